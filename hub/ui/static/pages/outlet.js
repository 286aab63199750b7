// One outlet: its health in full, its region and city (an administrator
// can change them), and its recent dead letters and conflicting events with
// their reasons.

import { h, written, dl, panel, field, button, showInfo } from '../dom.js';
import { ago, offset, count, fmtTime } from '../format.js';
import { hrefOf } from '../router.js';
import { health, ROLES } from './outlets.js';

export const page = {
  id: 'outlet',
  path: '/outlets/:id',
  roles: ROLES,
  reads: ['GET /api/v1/outlets/{id}'],
  acts: { roles: ['admin'], routes: ['PATCH /api/v1/outlets/{id}'] },
  async render(ctx) {
    const { t } = ctx;
    const id = ctx.params.id;
    const route = '/api/v1/outlets/' + encodeURIComponent(id);
    const root = h('div', { 'data-outlet-id': id });
    const draw = (o) => {
      const now = ctx.api.now();
      const edit = ctx.account.role === 'admin' ? (() => {
        const region = h('input', { name: 'region', value: o.region || '', size: 10 });
        const city = h('input', { name: 'city', value: o.city || '', size: 10 });
        return panel(t('out.where'), h('div', { class: 'form-row' }, field(t('out.f.region'), region), field(t('out.f.city'), city),
          button(t('out.save'), async () => {
            await ctx.api.patch(route, { region: region.value.trim(), city: city.value.trim() });
            showInfo(t('out.saved'));
            draw(await ctx.api.get(route));
          }, 'btn btn-primary')));
      })() : null;
      const dead = o.recent_dead_letters || [];
      const conflicts = o.recent_conflicts || [];
      root.replaceChildren(
        h('p', {}, h('a', { href: hrefOf('/outlets') }, t('out.back'))),
        h('h1', {}, t('out.one'), written('span', {}, o.id)),
        h('div', { class: 'cols' },
          panel(t('out.health'), dl([
            [t('out.col.health'), t('out.health.' + health(o))],
            [t('out.col.where'), written('span', {}, [o.region, o.city].filter(Boolean).join(' · ') || '—')],
            [t('out.col.lastSeen'), [ago(o.last_seen, now), o.last_seen ? ' (' + fmtTime(o.last_seen) + ')' : '']],
            [t('out.col.backlog'), count(o.backlog)],
            [t('out.col.oldest'), o.oldest_unsynced_at ? fmtTime(o.oldest_unsynced_at) : '—'],
            [t('out.col.offset'), offset(o.clock_offset_ms)],
            [t('out.skewed'), count(o.clock_skewed_events)],
            [t('out.acked'), count(o.acked_seq)],
            [t('out.held'), count(o.held_events)],
            [t('out.col.dead'), count(o.dead_letters)],
            [t('out.col.conflicts'), count(o.conflicts)],
            [t('out.incarnation'), written('span', {}, `${o.epoch ?? 0} · ${o.incarnation || '—'}`)],
          ])),
          edit),
        panel(t('out.deadTitle'), h('div', { class: 'table-wrap' }, h('table', { class: 'list', 'data-list-of': 'dead_letters' },
          h('thead', {}, h('tr', {}, h('th', {}, t('out.dl.seq')), h('th', {}, t('out.dl.code')), h('th', {}, t('out.dl.reason')), h('th', {}, t('out.dl.at')))),
          h('tbody', {}, dead.length ? dead.map((d) => h('tr', {}, h('td', { class: 'num' }, String(d.seq)), h('td', {}, written('span', {}, d.code)),
            h('td', {}, written('span', {}, d.reason)), h('td', {}, fmtTime(d.at))))
            : h('tr', {}, h('td', { class: 'empty', colspan: 4 }, t('list.empty'))))))),
        panel(t('out.conflictTitle'), h('div', { class: 'table-wrap' }, h('table', { class: 'list', 'data-list-of': 'conflicts' },
          h('thead', {}, h('tr', {}, h('th', {}, t('out.dl.seq')), h('th', {}, t('out.cf.held')), h('th', {}, t('out.cf.sent')), h('th', {}, t('out.dl.at')))),
          h('tbody', {}, conflicts.length ? conflicts.map((x) => h('tr', {}, h('td', { class: 'num' }, `${x.epoch}/${x.seq}`), h('td', {}, written('span', {}, x.held_id)),
            h('td', {}, written('span', {}, x.sent_id)), h('td', {}, fmtTime(x.at))))
            : h('tr', {}, h('td', { class: 'empty', colspan: 4 }, t('list.empty'))))))));
    };
    draw(await ctx.api.get(route));
    return root;
  },
};
