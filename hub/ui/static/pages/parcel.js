// One waybill across the network: its folded state at each outlet that
// holds it and every event about it, in the hub's order.

import { h, written, panel } from '../dom.js';
import { label } from '../i18n.js';
import { fmtTime } from '../format.js';
import { hrefOf } from '../router.js';
import { ROLES } from './parcels.js';

// eventTime is an event's time for a person: the wall milliseconds of its
// HLC stamp, which packs them in the high 48 bits (the JSON number loses
// the low bits of the counter, never a millisecond).
export function eventTime(ev) {
  const ms = Math.floor(Number(ev?.hlc || 0) / 65536);
  return ms > 0 ? ms : null;
}

export const page = {
  id: 'parcel',
  path: '/parcels/:waybill',
  roles: ROLES,
  reads: ['GET /api/v1/parcels/{waybill}'],
  async render(ctx) {
    const { t } = ctx;
    const wb = ctx.params.waybill;
    const res = await ctx.api.get('/api/v1/parcels/' + encodeURIComponent(wb));
    const stateRows = res.parcels || [];
    const events = res.events || [];
    return h('div', { 'data-waybill': wb },
      h('p', {}, h('a', { href: hrefOf('/parcels', { q: wb }) }, t('par.back'))),
      h('h1', {}, t('par.one'), written('span', {}, wb)),
      panel(t('par.states'), h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, h('th', {}, t('case.col.outlet')), h('th', {}, t('case.col.state')))),
        h('tbody', {}, stateRows.length ? stateRows.map((p) => h('tr', {}, h('td', {}, written('span', {}, p.outlet)), h('td', {}, label('pstate.', p.status))))
          : h('tr', {}, h('td', { class: 'empty', colspan: 2 }, t('list.empty'))))))),
      panel(t('par.events'), h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, h('th', {}, t('par.ev.origin')), h('th', {}, t('par.ev.type')), h('th', {}, t('par.ev.actor')), h('th', {}, t('par.ev.at')))),
        h('tbody', {}, events.length ? events.map((e) => h('tr', {}, h('td', {}, written('span', {}, e.origin)), h('td', {}, written('span', {}, e.type)),
          h('td', {}, written('span', {}, e.actor || '')), h('td', {}, fmtTime(eventTime(e)))))
          : h('tr', {}, h('td', { class: 'empty', colspan: 4 }, t('list.empty'))))))));
  },
};
