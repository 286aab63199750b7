// The exception queue of the whole network, as the complaint queue: open
// ones by default, soonest handling deadline on top, live countdowns,
// breaches in red, filters, bulk assign, CSV.

import { h, written } from '../dom.js';
import { label } from '../i18n.js';
import { fmtTime, yuan } from '../format.js';
import { hrefOf } from '../router.js';
import { listView } from '../list.js';
import { countdownCell, startTicker, bulkAssign, isOverdue } from '../cases.js';
import { queueQuery, queueFilters, ACTORS } from './complaints.js';

export const ROLES = ['admin', 'service', 'analyst'];

// claimText is an exception's claim in a few words, '' when none opened.
export function claimText(claim, t) {
  if (!claim?.opened) return '';
  if (!claim.decided) return t('exc.claim.open');
  return claim.approved ? t('exc.claim.approved', { amount: yuan(claim.amount_cents) }) : t('exc.claim.refused');
}

export const page = {
  id: 'exceptions',
  path: '/exceptions',
  roles: ROLES,
  nav: 'nav.exceptions',
  reads: ['GET /api/v1/exceptions'],
  acts: { roles: ACTORS, routes: ['POST /api/v1/exceptions/steps'] },
  render(ctx) {
    const { t } = ctx;
    const now = () => ctx.api.now();
    const list = listView({ ...ctx, query: queueQuery(ctx.query) }, {
      path: '/api/v1/exceptions', key: 'exceptions',
      filters: queueFilters('exceptionState', 'exceptionKind'),
      select: ACTORS.includes(ctx.account.role), rowKey: (x) => x.id,
      rowClass: (x) => (isOverdue(x, now()) ? 'breached' : null),
      tools: ACTORS.includes(ctx.account.role) ? (ids, reload) => bulkAssign(ctx, '/api/v1/exceptions/steps', ids, reload) : null,
      columns: [
        { label: 'exc.col.waybill', cell: (x) => h('a', { href: hrefOf('/exceptions/' + encodeURIComponent(x.id)), 'data-case': x.id }, written('span', {}, x.waybill || x.id)) },
        { label: 'case.col.due', class: 'nowrap', cell: (x) => countdownCell(x, now()) },
        { label: 'case.col.outlet', cell: (x) => written('span', {}, x.outlet) },
        { label: 'exc.col.kind', cell: (x) => label('kind.', x.kind) },
        { label: 'case.col.state', cell: (x) => h('span', { class: 'tag' }, label('xstate.', x.state)) },
        { label: 'exc.col.claim', cell: (x) => claimText(x.claim, t) },
        { label: 'case.col.owner', cell: (x) => written('span', {}, x.owner || '') },
        { label: 'exc.col.reported', class: 'nowrap', cell: (x) => fmtTime(x.reported_at) },
      ],
    });
    const stop = startTicker(list.node, now);
    return { node: h('div', {}, h('h1', {}, t('exc.title')), list.node), dispose: () => { stop(); list.dispose(); } };
  },
};
