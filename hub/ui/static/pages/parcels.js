// Parcel search across every outlet: a waybill or its first characters
// (at least six), optionally one outlet or region. A row opens the parcel's
// events at every outlet.

import { h, written } from '../dom.js';
import { label } from '../i18n.js';
import { fmtTime } from '../format.js';
import { hrefOf } from '../router.js';
import { listView } from '../list.js';

export const ROLES = ['admin', 'service'];

// MIN_QUERY is the shortest waybill prefix the hub searches by.
export const MIN_QUERY = 6;

// searchable says whether q is long enough to search.
export function searchable(q) {
  return String(q || '').trim().length >= MIN_QUERY;
}

export const page = {
  id: 'parcels',
  path: '/parcels',
  roles: ROLES,
  nav: 'nav.parcels',
  reads: ['GET /api/v1/parcels'],
  render(ctx) {
    const { t } = ctx;
    const filters = [
      { name: 'q', label: 'par.f.q', size: 18, placeholder: 'par.f.qHint' },
      { name: 'outlet', label: 'case.f.outlet', size: 10 },
      { name: 'region', label: 'case.f.region', size: 8 },
    ];
    if (!searchable(ctx.query.q)) {
      // The filter bar alone: nothing is asked of the hub until there is a
      // waybill to look for.
      const list = listView({ ...ctx, api: { ...ctx.api, get: async () => ({ parcels: [] }) } }, {
        path: '/api/v1/parcels', key: 'parcels', filters, csv: false, empty: ctx.query.q ? 'par.short' : 'par.hint', columns: [{ label: 'par.col.waybill', cell: () => '' }],
      });
      return { node: h('div', {}, h('h1', {}, t('par.title')), list.node), dispose: list.dispose };
    }
    const list = listView(ctx, {
      path: '/api/v1/parcels', key: 'parcels', filters, empty: 'par.none',
      columns: [
        { label: 'par.col.waybill', cell: (p) => h('a', { href: hrefOf('/parcels/' + encodeURIComponent(p.waybill)), 'data-waybill': p.waybill }, written('span', {}, p.waybill)) },
        { label: 'case.col.outlet', cell: (p) => written('span', {}, p.outlet) },
        { label: 'case.col.state', cell: (p) => h('span', { class: 'tag' }, label('pstate.', p.state)) },
        { label: 'par.col.since', cell: (p) => fmtTime(p.since) },
      ],
    });
    return { node: h('div', {}, h('h1', {}, t('par.title')), list.node), dispose: list.dispose };
  },
};
