// The complaint queue of the whole network: open complaints by default,
// soonest deadline on top (the hub's order), a live countdown on each, the
// breached ones in red; filters, bulk assign, CSV.

import { h, written } from '../dom.js';
import { label } from '../i18n.js';
import { fmtTime } from '../format.js';
import { hrefOf } from '../router.js';
import { listView } from '../list.js';
import { countdownCell, startTicker, bulkAssign, isOverdue } from '../cases.js';
import { codes, prefix } from '../vocab.js';

export const ROLES = ['admin', 'service', 'emergency', 'analyst'];
// ACTORS may take steps on cases; the other roles read the queues.
export const ACTORS = ['admin', 'service'];

// queueQuery is the query a queue shows: the hash's, or open ones when the
// hash names none.
export function queueQuery(query) {
  return Object.keys(query || {}).length ? query : { open: '1' };
}

// queueFilters are a queue's filters; kindVocab labels its "label" filter.
export function queueFilters(stateVocab, labelVocab) {
  return [
    { name: 'open', label: 'case.f.open', type: 'select', options: ['1', '0'], optionLabel: (v) => label('case.open.', v), noAny: true },
    { name: 'overdue', label: 'case.f.overdue', type: 'check' },
    { name: 'outlet', label: 'case.f.outlet', size: 10 },
    { name: 'region', label: 'case.f.region', size: 8 },
    { name: 'owner', label: 'case.f.owner', size: 10 },
    { name: 'state', label: 'case.f.state', type: 'select', options: codes(stateVocab), optionLabel: (v) => label(prefix(stateVocab), v) },
    { name: 'label', label: labelVocab === 'exceptionKind' ? 'case.f.kind' : 'case.f.type', type: 'select', options: codes(labelVocab), optionLabel: (v) => label(prefix(labelVocab), v) },
  ];
}

export const page = {
  id: 'complaints',
  path: '/complaints',
  roles: ROLES,
  nav: 'nav.complaints',
  reads: ['GET /api/v1/complaints'],
  acts: { roles: ACTORS, routes: ['POST /api/v1/complaints/steps'] },
  render(ctx) {
    const { t } = ctx;
    const now = () => ctx.api.now();
    const list = listView({ ...ctx, query: queueQuery(ctx.query) }, {
      path: '/api/v1/complaints', key: 'complaints',
      filters: queueFilters('complaintState', 'complaintType'),
      select: ACTORS.includes(ctx.account.role), rowKey: (c) => c.id,
      rowClass: (c) => (isOverdue(c, now()) ? 'breached' : null),
      tools: ACTORS.includes(ctx.account.role) ? (ids, reload) => bulkAssign(ctx, '/api/v1/complaints/steps', ids, reload) : null,
      columns: [
        { label: 'cmp.col.ticket', cell: (c) => h('a', { href: hrefOf('/complaints/' + encodeURIComponent(c.id)), 'data-case': c.id }, written('span', {}, c.ticket || c.id)) },
        { label: 'case.col.due', class: 'nowrap', cell: (c) => countdownCell(c, now()) },
        { label: 'case.col.outlet', cell: (c) => written('span', {}, c.outlet) },
        { label: 'cmp.col.type', cell: (c) => [label('ctype.', c.type), ' · ', label('cat.', c.category)] },
        { label: 'cmp.col.severity', cell: (c) => h('span', { class: c.severity === 'major' ? 'tag tag-bad' : 'tag' }, label('sev.', c.severity)) },
        { label: 'case.col.state', cell: (c) => h('span', { class: 'tag' }, label('cstate.', c.state)) },
        { label: 'case.col.owner', cell: (c) => written('span', {}, c.owner || '') },
        { label: 'cmp.col.received', class: 'nowrap', cell: (c) => fmtTime(c.received_at) },
      ],
    });
    const stop = startTicker(list.node, now);
    return { node: h('div', {}, h('h1', {}, t('cmp.title')), list.node), dispose: () => { stop(); list.dispose(); } };
  },
};
