// The customer classes (RFM): how many customers each of the eight holds,
// how customers moved between them since a month began, each class's list
// to export, and the thresholds head office sets.

import { h, panel, button, field, showInfo } from '../dom.js';
import { count } from '../format.js';
import { hrefOf } from '../router.js';
import { CLASSES, className, monthOf } from './customers.js';

export const ROLES = ['admin', 'service', 'analyst'];
// ANALYSTS see the moves and set the thresholds.
export const ANALYSTS = ['admin', 'analyst'];

// cuts reads "30, 60, 120, 240" into four whole numbers, or null.
export function cuts(s) {
  const v = String(s || '').split(/[\s,，]+/).filter(Boolean).map(Number);
  return v.length === 4 && v.every((n) => Number.isInteger(n) && n >= 0) ? v : null;
}

// lastMonth is the month before d's, as the hub takes it.
export function lastMonth(d) {
  return monthOf(new Date(d.getFullYear(), d.getMonth() - 1, 1));
}

export const page = {
  id: 'classes',
  path: '/classes',
  roles: ROLES,
  nav: 'nav.classes',
  reads: ['GET /api/v1/customers/classes'],
  acts: { roles: ANALYSTS, routes: ['GET /api/v1/customers/classes/moves', 'GET /api/v1/customers/classes/settings', 'PUT /api/v1/customers/classes/settings'] },
  async render(ctx) {
    const { t } = ctx;
    const analyst = ANALYSTS.includes(ctx.account?.role);
    const since = ctx.query.since || lastMonth(new Date());
    const [res, moves, settings] = await Promise.all([
      ctx.api.get('/api/v1/customers/classes'),
      analyst ? ctx.api.get('/api/v1/customers/classes/moves', { since }) : null,
      analyst ? ctx.api.get('/api/v1/customers/classes/settings') : null,
    ]);
    const total = Number(res.total || 0);
    const rows = CLASSES.map((c) => {
      const n = Number(res.counts?.[c] || 0);
      const pct = total ? Math.round((n * 100) / total) : 0;
      return h('tr', { 'data-class': c },
        h('td', {}, h('a', { href: hrefOf('/customers', { class: c }) }, className(t, c))),
        h('td', { 'data-count': String(n) }, count(n)),
        h('td', {}, h('span', { class: 'bar', 'data-pct': String(pct), title: pct + '%' }, '▇'.repeat(Math.max(pct ? 1 : 0, Math.round(pct / 5)))), ' ', pct + '%'),
        h('td', {}, h('a', { class: 'btn', href: ctx.api.csvURL('/api/v1/customers', { class: c }), download: '' }, t('list.csv'))));
    });
    const counts = h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'class-counts' },
      h('thead', {}, h('tr', {}, h('th', {}, t('cus.col.class')), h('th', {}, t('cls.count')), h('th', {}, t('cls.share')), h('th', {}, t('cls.export')))),
      h('tbody', {}, rows, h('tr', {}, h('th', {}, t('cls.total')), h('th', { id: 'class-total' }, count(total)), h('td'), h('td')))));
    const out = [h('h1', {}, t('cls.title')), panel(t('cls.counts'), counts)];
    if (moves) {
      const from = moves.from || [];
      const matrix = h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'class-moves' },
        h('thead', {}, h('tr', {}, h('th', {}, t('cls.fromTo')), CLASSES.map((c) => h('th', {}, className(t, c))))),
        h('tbody', {}, from.map((f) => h('tr', {}, h('th', {}, f === 'new' ? t('cls.new') : className(t, f)),
          CLASSES.map((c) => h('td', { class: f === c ? 'diag' : null }, count(moves.moves?.[f]?.[c]))))))));
      const month = h('input', { name: 'since', type: 'month', value: since });
      out.push(panel(t('cls.moves'), h('div', { class: 'filters' }, field(t('cls.since'), month),
        button(t('cls.show'), async () => ctx.navigate('/classes', { since: month.value }))), matrix));
    }
    if (settings) {
      const win = h('input', { name: 'window_days', type: 'number', min: 1, max: 3660, value: settings.window_days });
      const r = h('input', { name: 'r_days', size: 20, value: (settings.r_days || []).join(', ') });
      const f = h('input', { name: 'f_parcels', size: 20, value: (settings.f_parcels || []).join(', ') });
      const m = h('input', { name: 'm_fen', size: 20, value: (settings.m_fen || []).join(', ') });
      out.push(panel(t('cls.settings'), h('p', { class: 'muted' }, t('cls.settingsHelp')),
        h('div', { class: 'filters', id: 'class-settings' }, field(t('cls.window'), win), field(t('cls.r'), r), field(t('cls.f'), f), field(t('cls.m'), m),
          button(t('cus.save'), async () => {
            const body = { window_days: Number(win.value), r_days: cuts(r.value), f_parcels: cuts(f.value), m_fen: cuts(m.value) };
            const ans = await ctx.api.put('/api/v1/customers/classes/settings', body);
            showInfo(t('cls.saved', { n: ans.reclassified }));
            ctx.navigate('/classes', { since });
          }, 'btn primary'))));
    }
    return h('div', {}, out);
  },
};
