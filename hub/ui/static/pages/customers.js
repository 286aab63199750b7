// Head office's customers: find one by phone (the hub hashes the number;
// it never enters the address bar), list them by class or outlet with a
// CSV export, and one customer's profile across outlets: parcels, fees,
// complaints with their satisfaction, exceptions, the outlets used. The
// contact stays masked; customer service may reveal it, and the hub
// audits every reveal.

import { h, written, panel, dl, button, field, select, showError } from '../dom.js';
import { fmtTime, yuan, count } from '../format.js';
import { listView } from '../list.js';
import { hrefOf } from '../router.js';

export const ROLES = ['admin', 'service', 'analyst'];
// REVEALERS may open a customer's contact (the hub's route table says so).
export const REVEALERS = ['admin', 'service'];
// NAMERS set a customer's enterprise account.
export const NAMERS = ['admin', 'analyst'];
// LANGS are the languages head office writes to a customer in; LINGUISTS
// set which (PUT …/lang).
export const LANGS = ['zh', 'en'];
export const LINGUISTS = ['admin', 'service'];

// CLASSES are the eight RFM segments, in the hub's order.
export const CLASSES = ['important_value', 'important_develop', 'important_keep', 'important_retain',
  'general_value', 'general_develop', 'general_keep', 'general_retain'];

// className is a class's name in the screen's language, '' for none yet.
export function className(t, c) {
  return c ? t('class.' + c) : '';
}

// monthOf is a Date's month as the hub takes it (YYYY-MM).
export function monthOf(d) {
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0');
}

const list = {
  id: 'customers',
  path: '/customers',
  roles: ROLES,
  nav: 'nav.customers',
  reads: ['GET /api/v1/customers'],
  render(ctx) {
    const { t } = ctx;
    const phone = h('input', { name: 'phone', id: 'customer-phone', type: 'tel', size: 16, autocomplete: 'off', placeholder: t('cus.phoneHint') });
    const found = h('p', { class: 'muted', id: 'customer-found' });
    const search = async (ev) => {
      ev?.preventDefault();
      found.textContent = '';
      try {
        const res = await ctx.api.get('/api/v1/customers', { phone: phone.value.trim() });
        phone.value = '';
        const c = (res.customers || [])[0];
        if (c) ctx.navigate('/customers/' + c.id);
        else found.textContent = t('cus.notFound');
      } catch (e) { showError(e); }
    };
    // POST, so that a submission without the script never puts the phone
    // in an address; the script sends it to the hub itself.
    const form = h('form', { class: 'filters', id: 'customer-search', method: 'post', onsubmit: search },
      field(t('cus.f.phone'), phone), h('button', { type: 'submit', class: 'btn primary', id: 'customer-find' }, t('cus.search')));
    const view = listView(ctx, {
      path: '/api/v1/customers', key: 'customers',
      filters: [
        { name: 'class', label: 'cus.f.class', type: 'select', options: CLASSES, optionLabel: (v) => className(t, v) },
        { name: 'outlet', label: 'cus.f.outlet', size: 10 },
      ],
      columns: [
        { label: 'cus.col.id', cell: (c) => h('a', { href: hrefOf('/customers/' + c.id), 'data-customer': c.id }, written('code', {}, c.id.slice(0, 12) + '…')) },
        { label: 'cus.col.class', cell: (c) => h('span', { 'data-class': c.class }, className(t, c.class)) },
        { label: 'cus.col.phone', cell: (c) => written('span', {}, c.phone_masked || '') },
        { label: 'cus.col.name', cell: (c) => written('span', {}, c.name_masked || '') },
        { label: 'cus.col.enterprise', cell: (c) => written('span', {}, c.enterprise || '') },
        { label: 'cus.col.lastSeen', class: 'nowrap', cell: (c) => fmtTime(c.last_seen) },
        { label: 'cus.col.received', cell: (c) => count(c.received) },
        { label: 'cus.col.sent', cell: (c) => count(c.sent) },
        { label: 'cus.col.fees', cell: (c) => yuan(c.fees_fen) },
        { label: 'cus.col.complaints', cell: (c) => count(c.complaints) },
      ],
    });
    return { node: h('div', {}, h('h1', {}, t('cus.title')), panel(t('cus.find'), form, found), view.node), dispose: view.dispose };
  },
};

const one = {
  id: 'customer',
  path: '/customers/:id',
  roles: ROLES,
  reads: ['GET /api/v1/customers/{id}', 'GET /api/v1/customers/{id}/statement'],
  // The reveal is the change this page offers by role; the enterprise
  // form is shown to NAMERS, whom the route table gives PUT …/enterprise.
  acts: { roles: REVEALERS, routes: ['POST /api/v1/customers/{id}/reveal'] },
  async render(ctx) {
    const { t } = ctx;
    const id = ctx.params.id;
    const path = '/api/v1/customers/' + encodeURIComponent(id);
    const res = await ctx.api.get(path);
    const c = res.customer;
    const role = ctx.account?.role;
    const phone = written('span', { id: 'customer-phone-shown' }, c.phone_masked || '');
    const name = written('span', { id: 'customer-name-shown' }, c.name_masked || '');
    const reveal = REVEALERS.includes(role) && c.has_contact
      ? button(t('cus.reveal'), async () => {
        const k = await ctx.api.post(path + '/reveal', {});
        phone.textContent = k.phone;
        name.textContent = k.name || '';
        reveal.hidden = true;
      })
      : null;
    if (reveal) reveal.id = 'customer-reveal';
    // The settings below answer the profile: shown in place (the page's
    // address does not change, so navigating to it would not redraw it).
    const enterprise = written('span', {}, c.enterprise || '');
    const langShown = h('span', { id: 'customer-lang', 'data-lang': c.lang }, t('cus.lang.' + (c.lang || 'zh')));
    const shown = (p) => {
      enterprise.textContent = p.customer.enterprise || '';
      langShown.dataset.lang = p.customer.lang;
      langShown.textContent = t('cus.lang.' + (p.customer.lang || 'zh'));
    };
    const sat = c.satisfaction_avg == null ? '—' : Number(c.satisfaction_avg).toFixed(1) + ' / 5';
    const facts = dl([
      [t('cus.col.class'), h('span', { id: 'customer-class', 'data-class': c.class }, className(t, c.class))],
      [t('cus.col.phone'), h('span', {}, phone, ' ', reveal)],
      [t('cus.col.name'), name],
      [t('cus.col.enterprise'), enterprise],
      [t('cus.lang'), langShown],
      [t('cus.firstSeen'), fmtTime(c.first_seen)],
      [t('cus.col.lastSeen'), fmtTime(c.last_seen)],
      [t('cus.col.received'), count(c.received)],
      [t('cus.col.sent'), count(c.sent)],
      [t('cus.col.fees'), yuan(c.fees_fen)],
      [t('cus.col.complaints'), t('cus.openOf', { open: c.complaints_open, n: c.complaints })],
      [t('cus.satisfaction'), sat],
      [t('cus.exceptions'), t('cus.openOf', { open: c.exceptions_open, n: c.exceptions })],
      [t('cus.window'), t('cus.windowFigures', { n: c.window_parcels, fees: yuan(c.window_fees_fen) })],
    ]);
    const table = (heads, rows, cells) => h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, heads.map((k) => h('th', {}, t(k))))),
      h('tbody', {}, rows.length ? rows.map((r) => h('tr', {}, cells(r).map((x) => h('td', {}, x))))
        : h('tr', {}, h('td', { class: 'empty', colspan: heads.length }, t('list.empty'))))));
    const outlets = table(['case.col.outlet', 'cus.col.parcels', 'cus.col.lastSeen'], res.outlets || [],
      (o) => [h('a', { href: hrefOf('/outlets/' + o.outlet), 'data-outlet': o.outlet }, written('span', {}, o.outlet)), count(o.parcels), fmtTime(o.last_seen)]);
    const parcels = table(['cus.col.kind', 'cus.col.waybill', 'case.col.outlet', 'cus.col.at', 'cus.col.fees'], res.parcels || [],
      (p) => [t('cus.kind.' + p.kind), h('a', { href: hrefOf('/parcels/' + p.waybill) }, written('span', {}, p.waybill)), written('span', {}, p.outlet), fmtTime(p.at), p.kind === 'sent' ? yuan(p.fees_fen) : '']);
    const cases = table(['cus.col.case', 'cus.col.caseID', 'cus.col.open', 'cus.satisfaction'], res.cases || [],
      (x) => [t('cus.case.' + x.kind), h('a', { href: hrefOf('/' + x.kind + 's/' + x.id) }, written('span', {}, x.id)), x.open ? t('cus.yes') : t('cus.no'), x.satisfaction == null ? '' : x.satisfaction + ' / 5']);
    const extra = [];
    if (NAMERS.includes(role)) {
      const ent = h('input', { name: 'enterprise', size: 24, value: c.enterprise || '' });
      extra.push(panel(t('cus.enterprise'), h('div', { class: 'filters' }, field(t('cus.col.enterprise'), ent),
        button(t('cus.save'), async () => shown(await ctx.api.put(path + '/enterprise', { name: ent.value })), 'btn primary'))));
    }
    if (LINGUISTS.includes(role)) {
      const lang = select('lang', LANGS, (l) => t('cus.lang.' + l), c.lang || 'zh');
      const save = button(t('cus.save'), async () => shown(await ctx.api.put(path + '/lang', { lang: lang.value })), 'btn primary');
      lang.id = 'customer-lang-select';
      save.id = 'customer-lang-save';
      extra.push(panel(t('cus.lang'), h('div', { class: 'filters' }, field(t('cus.lang'), lang), save)));
    }
    const month = h('input', { name: 'month', type: 'month', value: monthOf(new Date()) });
    const link = h('a', { class: 'btn', id: 'statement-csv', download: '' }, t('cus.statementCSV'));
    const setLink = () => { link.href = ctx.api.csvURL(path + '/statement', { month: month.value }); };
    month.addEventListener('change', setLink);
    setLink();
    extra.push(panel(t('cus.statement'), h('div', { class: 'filters' }, field(t('cus.month'), month), link)));
    return h('div', { 'data-customer': id },
      h('p', {}, h('a', { href: hrefOf('/customers') }, t('cus.back'))),
      h('h1', {}, t('cus.one'), ' ', written('code', {}, id)),
      panel(t('cus.profile'), facts),
      panel(t('cus.outlets'), outlets),
      panel(t('cus.parcels'), parcels),
      panel(t('cus.cases'), cases),
      ...extra);
  },
};

export const pages = [list, one];
