// Notices: special-period notices to the outlets. The list (active or
// all, newest first); composing one — title, the customer-facing text,
// severity, validity, an FAQ of question/answer rows, and a scope of
// regions and outlets (scope.js); and one notice with its
// acknowledgements per target outlet (which have read it, which not yet)
// and, while it is not ended, ending it with a recovery text the counters
// show. The emergency team and administrators publish and end; customer
// service reads.

import { h, written, field, select, button, panel, dl, showError, clearError, showInfo } from '../dom.js';
import { listView } from '../list.js';
import { label } from '../i18n.js';
import { fmtTime } from '../format.js';
import { scopePicker, allRows } from '../scope.js';
import { noticeDraft } from './incidents.js';

export const SEVERITIES = ['info', 'warning', 'critical'];
const API = '/api/v1/notices';

// WRITERS are the roles that publish and end notices.
export const WRITERS = ['admin', 'emergency'];
const canWrite = (ctx) => WRITERS.includes(ctx.account?.role);

// rfc3339 turns a datetime-local value (the PC's local time) into the
// RFC 3339 time the hub takes; '' stays '' (now, or until ended).
export function rfc3339(local) {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// noticeBody is the publish body of the composed values: texts trimmed,
// FAQ rows with neither question nor answer dropped (a half-filled one is
// sent, for the hub to refuse with its reason), times in RFC 3339, and
// customer_messages only when turned off (the hub's default is on).
export function noticeBody({ title, text, severity, faq, validFrom, validTo, customerMessages }, scope) {
  const body = {
    title: String(title || '').trim(),
    text: String(text || '').trim(),
    severity: SEVERITIES.includes(severity) ? severity : 'info',
    faq: (faq || []).map((r) => ({ q: String(r.q || '').trim(), a: String(r.a || '').trim() })).filter((r) => r.q || r.a),
    ...scope,
  };
  const from = rfc3339(validFrom), to = rfc3339(validTo);
  if (from) body.valid_from = from;
  if (to) body.valid_to = to;
  if (customerMessages === false) body.customer_messages = false;
  return body;
}

// MESSAGE_KINDS are a notice's customer messages, in the order shown.
export const MESSAGE_KINDS = ['notice.start', 'notice.end'];
// cancelled: a start message the notice's end overtook; capped: customers
// left out over the cap per outlet (start messages only).
export const MESSAGE_STATES = ['pending', 'sent', 'delivered', 'failed', 'cancelled', 'capped'];

// messageTotals sums a notice's start messages that went (sent or
// delivered) and those that failed, for the list.
export function messageTotals(notice) {
  const start = messageRows(notice).find((r) => r.kind === 'notice.start');
  return start ? { done: start.sent + start.delivered, failed: start.failed } : null;
}

// messageRows are a notice's customer-message counts per kind, every
// state a number; [] when it sent none.
export function messageRows(notice) {
  const m = notice?.messages || {};
  return MESSAGE_KINDS.filter((k) => m[k]).map((k) => {
    const row = { kind: k };
    for (const s of MESSAGE_STATES) row[s] = Number(m[k][s]) || 0;
    return row;
  });
}

// ackRows are a notice's target outlets with their acknowledgement: the
// notice's scope, or every outlet for a notice to all. Those not yet
// acknowledged come first, then by outlet id; an outlet acknowledging
// twice (two clerks) shows the first.
export function ackRows(notice, allOutlets) {
  const scope = Array.isArray(notice?.scope) && notice.scope.length ? notice.scope : allOutlets || [];
  const first = new Map();
  for (const a of notice?.acknowledged_by || []) {
    const seen = first.get(a.outlet);
    if (!seen || String(a.at) < String(seen.at)) first.set(a.outlet, a);
  }
  // An acknowledgement from an outlet outside the list (added later) is
  // still shown.
  const ids = [...new Set([...scope, ...first.keys()])];
  return ids.map((o) => ({ outlet: o, acked: first.has(o), staff: first.get(o)?.staff || '', at: first.get(o)?.at || '' }))
    .sort((a, b) => (a.acked === b.acked ? (a.outlet < b.outlet ? -1 : a.outlet > b.outlet ? 1 : 0) : a.acked ? 1 : -1));
}

// targetOutlets are the outlets a notice was sent to: its outlets and
// those of its regions, or every outlet for a notice to all. A region's
// outlets are those the hub lists for it now.
export async function targetOutlets(api, notice) {
  const regions = Array.isArray(notice?.regions) ? notice.regions : [];
  const scope = Array.isArray(notice?.scope) ? notice.scope : [];
  if (!regions.length && !scope.length) return (await allRows(api, '/api/v1/outlets', {}, 'outlets')).map((o) => o.id);
  const out = new Set(scope);
  for (const r of regions) for (const o of await allRows(api, '/api/v1/outlets', { region: r }, 'outlets')) out.add(o.id);
  return [...out];
}

// state is a notice's state word: active, ended, or waiting for its
// validity (published but not active and not ended).
export function noticeState(n) {
  if (n.ended) return 'ended';
  return n.active ? 'active' : 'inactive';
}

// scopeCell says whom a notice went to: its regions by name, a count of
// its outlets, or every outlet.
function scopeCell(t, n) {
  const regions = n.regions || [], scope = n.scope || [];
  if (!regions.length && !scope.length) return t('notices.allOutlets');
  return [regions.length ? written('span', {}, regions.join(', ')) : null, regions.length && scope.length ? ' + ' : null,
    scope.length ? t('notices.outlets', { n: scope.length }) : null].filter(Boolean);
}

const severityCell = (sev) => h('span', { class: 'sev sev-' + sev }, label('nsev.', sev));

function renderList(ctx) {
  const { t } = ctx;
  const v = listView(ctx, {
    path: API, key: 'notices', empty: 'notices.empty',
    filters: [{ name: 'open', type: 'check', label: 'notices.activeOnly' }],
    columns: [
      { label: 'notices.col.title', cell: (n) => h('a', { href: '#/notices/' + encodeURIComponent(n.id), 'data-notice': n.id }, written('span', {}, n.title)) },
      { label: 'notices.col.severity', cell: (n) => severityCell(n.severity) },
      { label: 'notices.col.state', cell: (n) => t('notices.state.' + noticeState(n)) },
      { label: 'notices.col.from', cell: (n) => fmtTime(n.valid_from) },
      { label: 'notices.col.to', cell: (n) => (n.valid_to ? fmtTime(n.valid_to) : t('notices.untilEnded')) },
      { label: 'notices.col.scope', cell: (n) => scopeCell(t, n) },
      { label: 'notices.col.acks', cell: (n) => String(new Set((n.acknowledged_by || []).map((a) => a.outlet)).size) },
      { label: 'notices.col.messages', cell: (n) => {
        const m = messageTotals(n);
        return m ? t(m.failed ? 'notices.msgSummaryFailed' : 'notices.msgSummary', m) : '—';
      } },
    ],
  });
  const node = h('div', { class: 'notices' }, h('div', { class: 'page-head' }, h('h1', {}, t('notices.title')),
    canWrite(ctx) ? h('a', { class: 'btn btn-primary', href: '#/notices/new', 'data-notice': 'compose' }, t('notices.compose')) : null), v.node);
  return { node, dispose: v.dispose };
}

async function renderCompose(ctx) {
  const { t } = ctx;
  if (!canWrite(ctx)) return h('p', { class: 'empty' }, t('notices.readOnly'));
  // #/notices/new?incident=ID: a draft from an incident report, to check
  // and publish (or not).
  const from = ctx.query?.incident;
  const draft = from ? noticeDraft(await ctx.api.get('/api/v1/incidents/' + encodeURIComponent(from)), t) : null;
  const faqRows = h('div', { class: 'faq-rows', 'data-notice': 'faq' });
  const addFAQ = (q = '', a = '') => {
    const row = h('div', { class: 'faq-row' },
      field(t('notices.faq.q'), h('input', { name: 'faq-q', value: q, size: 40 })),
      field(t('notices.faq.a'), h('textarea', { name: 'faq-a', rows: 2, cols: 50 }, a)),
      h('button', { type: 'button', class: 'btn btn-ghost', 'data-faq': 'remove', onclick: () => row.remove() }, t('notices.faq.remove')));
    faqRows.append(row);
  };
  const scope = scopePicker(ctx, draft?.outlets);
  const form = h('form', { class: 'form notice-form', 'data-notice': 'form', onsubmit: async (e) => {
    e.preventDefault();
    const f = form.elements;
    const body = noticeBody({
      title: f.title.value, text: f.text.value, severity: f.severity.value, validFrom: f.valid_from.value, validTo: f.valid_to.value,
      customerMessages: f.customer_messages.checked,
      faq: [...faqRows.querySelectorAll('.faq-row')].map((r) => ({ q: r.querySelector('[name=faq-q]').value, a: r.querySelector('[name=faq-a]').value })),
    }, scope.value());
    submit.disabled = true;
    try {
      const n = await ctx.api.post(API, body);
      clearError();
      showInfo(t('notices.published', { title: n.title }));
      ctx.navigate('/notices/' + encodeURIComponent(n.id), {});
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
    }
  } },
  draft ? h('p', { class: 'hint', 'data-notice': 'from-incident' }, t('inc.fromIncident', { id: draft.incident })) : null,
  field(t('notices.f.title'), h('input', { name: 'title', required: true, size: 60, value: draft?.title || '' })),
  field(t('notices.f.text'), h('textarea', { name: 'text', required: true, rows: 5, cols: 70 }, draft?.text || '')),
  field(t('notices.f.severity'), select('severity', SEVERITIES, (s) => label('nsev.', s), draft?.severity || 'info')),
  h('div', { class: 'form-row' },
    field(t('notices.f.from'), h('input', { type: 'datetime-local', name: 'valid_from' })),
    field(t('notices.f.to'), h('input', { type: 'datetime-local', name: 'valid_to' }))),
  h('p', { class: 'hint' }, t('notices.f.validityHint')),
  h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'customer_messages', checked: true, 'data-notice': 'customer-messages' }), ' ', t('notices.f.customers')),
  h('p', { class: 'hint' }, t('notices.f.customersHint')),
  h('fieldset', { class: 'faq' }, h('legend', {}, t('notices.faq')), faqRows,
    h('button', { type: 'button', class: 'btn', 'data-faq': 'add', onclick: () => addFAQ() }, t('notices.faq.add'))),
  scope.node);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-notice': 'publish' }, t('notices.publish'));
  form.append(h('div', { class: 'actions' }, submit, h('a', { class: 'btn', href: '#/notices' }, t('notices.cancel'))));
  return h('div', { class: 'notices' }, h('h1', {}, t('notices.composeTitle')), form);
}

async function renderOne(ctx) {
  const { t } = ctx;
  const id = ctx.params.id;
  let n;
  try {
    n = await ctx.api.get(API + '/' + encodeURIComponent(id));
  } catch (e) {
    showError(e);
    return h('p', { class: 'empty' }, h('a', { href: '#/notices' }, t('notices.back')));
  }
  let outlets = [];
  try {
    outlets = await targetOutlets(ctx.api, n);
  } catch (e) {
    showError(e);
  }
  const rows = ackRows({ ...n, scope: outlets }, []);
  const acked = rows.filter((r) => r.acked).length;
  const facts = dl([
    [t('notices.col.severity'), severityCell(n.severity)],
    [t('notices.col.state'), h('span', { 'data-notice': 'state' }, t('notices.state.' + noticeState(n)))],
    [t('notices.col.from'), fmtTime(n.valid_from)],
    [t('notices.col.to'), n.valid_to ? fmtTime(n.valid_to) : t('notices.untilEnded')],
    [t('notices.col.scope'), n.scope?.length ? written('span', {}, n.scope.join(', ')) : n.regions?.length ? '' : t('notices.allOutlets')],
    n.regions?.length ? [t('notices.regions'), written('span', {}, n.regions.join(', '))] : null,
  ]);
  const acks = h('table', { class: 'list', 'data-notice': 'acks' },
    h('thead', {}, h('tr', {}, h('th', {}, t('notices.ack.outlet')), h('th', {}, t('notices.ack.state')), h('th', {}, t('notices.ack.staff')), h('th', {}, t('notices.ack.at')))),
    h('tbody', {}, rows.length ? rows.map((r) => h('tr', { 'data-outlet': r.outlet, 'data-acked': r.acked ? '1' : '0', class: r.acked ? '' : 'pending' },
      h('td', {}, written('span', {}, r.outlet)),
      h('td', {}, r.acked ? t('notices.ack.yes') : t('notices.ack.no')),
      h('td', {}, r.staff ? written('span', {}, r.staff) : ''),
      h('td', {}, r.at ? fmtTime(r.at) : ''))) : h('tr', {}, h('td', { colspan: 4, class: 'empty' }, t('notices.ack.none')))));
  const mrows = messageRows(n);
  const messages = panel(t('notices.messages'), mrows.length ? h('table', { class: 'list', 'data-notice': 'messages' },
    h('thead', {}, h('tr', {}, h('th', {}, t('notices.msg.kind')), MESSAGE_STATES.map((st) => h('th', {}, t('notices.msg.' + st))))),
    h('tbody', {}, mrows.map((r) => h('tr', { 'data-kind': r.kind }, h('td', {}, t('notices.msg.' + r.kind)),
      MESSAGE_STATES.map((st) => h('td', { 'data-state': st, class: st === 'failed' && r[st] ? 'bad' : '' }, String(r[st]))))))) :
    h('p', { class: 'empty', 'data-notice': 'messages' }, t('notices.msg.none')));
  const faq = n.faq?.length ? panel(t('notices.faq'), h('dl', { class: 'faq-list' }, n.faq.map((qa) => [written('dt', {}, qa.q), written('dd', {}, qa.a)]))) : null;
  let end = null;
  if (n.ended) {
    end = panel(t('notices.recovery'), written('p', { class: 'notice-text', 'data-notice': 'recovery' }, n.recovery_text || ''));
  } else if (canWrite(ctx)) {
    const text = h('textarea', { name: 'recovery', rows: 3, cols: 70, required: true });
    end = panel(t('notices.end'), field(t('notices.recoveryText'), text), button(t('notices.endSubmit'), async () => {
      if (!text.value.trim()) {
        showError(t('notices.recoveryRequired'));
        return;
      }
      await ctx.api.post(API + '/' + encodeURIComponent(id) + '/end', { text: text.value.trim() });
      clearError();
      showInfo(t('notices.ended'));
      ctx.navigate('/notices/' + encodeURIComponent(id), { at: Date.now() });
    }, 'btn btn-danger'));
  }
  return h('div', { class: 'notices', 'data-notice-id': n.id },
    h('p', {}, h('a', { href: '#/notices' }, t('notices.back'))),
    h('h1', {}, written('span', {}, n.title)),
    facts,
    panel(t('notices.f.text'), written('p', { class: 'notice-text' }, n.text)),
    faq,
    panel(t('notices.acks', { acked, n: rows.length }), h('p', { class: 'hint', 'data-notice': 'ack-summary' }, t('notices.ackSummary', { acked, n: rows.length })), acks),
    messages,
    end);
}

const ROLES = ['admin', 'emergency', 'service'];

// pages: the list, composing (before the one notice, whose :id would
// match "new"), and one notice.
export const pages = [
  { id: 'notices', path: '/notices', roles: ROLES, nav: 'nav.notices', reads: [`GET ${API}`], render: renderList },
  { id: 'notice-new', path: '/notices/new', roles: WRITERS, reads: ['GET /api/v1/outlets', `POST ${API}`, 'GET /api/v1/incidents/{id}'], render: renderCompose },
  { id: 'notice', path: '/notices/:id', roles: ROLES, reads: [`GET ${API}/{id}`], acts: { roles: WRITERS, routes: [`POST ${API}/{id}/end`] }, render: renderOne },
];
export const page = pages[0];
