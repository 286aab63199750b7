// The overview: the network at a glance — outlets connected and stale, the
// queues' counts and what is overdue, notices in force, today's parcels —
// each figure a link to the list it counts. It refreshes every 30 seconds.

import { h, showError, clearError } from '../dom.js';
import { count } from '../format.js';
import { hrefOf, poll } from '../router.js';

// TILES are the overview's figures: the answer's group and field, the
// label, and the list a click opens (absent for a figure with no list).
export const TILES = [
  { group: 'outlets', key: 'total', label: 'ov.outlets.total', href: ['/outlets', {}] },
  { group: 'outlets', key: 'connected', label: 'ov.outlets.connected', href: ['/outlets', { connected: '1' }] },
  { group: 'outlets', key: 'stale', label: 'ov.outlets.stale', href: ['/outlets', { connected: '0' }], bad: true },
  { group: 'outlets', key: 'with_dead_letters', label: 'ov.outlets.dead', href: ['/outlets', {}], bad: true },
  { group: 'complaints', key: 'open', label: 'ov.complaints.open', href: ['/complaints', { open: '1' }] },
  { group: 'complaints', key: 'overdue', label: 'ov.complaints.overdue', href: ['/complaints', { open: '1', overdue: '1' }], bad: true },
  { group: 'complaints', key: 'due_24h', label: 'ov.complaints.due24h', href: ['/complaints', { open: '1' }] },
  { group: 'exceptions', key: 'open', label: 'ov.exceptions.open', href: ['/exceptions', { open: '1' }] },
  { group: 'exceptions', key: 'overdue', label: 'ov.exceptions.overdue', href: ['/exceptions', { open: '1', overdue: '1' }], bad: true },
  { group: 'notices', key: 'active', label: 'ov.notices.active', href: ['/notices', {}] },
  { group: 'today', key: 'inbound', label: 'ov.today.inbound' },
  { group: 'today', key: 'picked_up', label: 'ov.today.pickedUp' },
];

// GROUPS are the tiles' sections, in order, with their titles.
export const GROUPS = [
  ['outlets', 'ov.group.outlets'], ['complaints', 'ov.group.complaints'], ['exceptions', 'ov.group.exceptions'],
  ['notices', 'ov.group.notices'], ['today', 'ov.group.today'],
];

// figure reads a tile's value from the answer: 0 when the hub did not say,
// null before any answer (shown as a dash, not as a count of 0).
export function figure(overview, tile) {
  if (!overview) return null;
  const v = overview[tile.group]?.[tile.key];
  return Number.isFinite(v) ? v : 0;
}

export const page = {
  id: 'overview',
  path: '/',
  roles: ['admin', 'service', 'emergency', 'analyst'],
  nav: 'nav.overview',
  reads: ['GET /api/v1/overview'],
  render(ctx) {
    const { t } = ctx;
    // A link goes only to a page this role may open.
    const canOpen = (path) => ctx.pages ? ctx.pages.some((p) => p.path === path && p.roles?.includes(ctx.account.role)) : true;
    const grid = h('div', { class: 'tiles' });
    const stamp = h('p', { class: 'muted', id: 'ov-stamp' });
    const draw = (ov) => {
      grid.replaceChildren(...GROUPS.map(([g, title]) => h('section', { class: 'tile-group', 'data-group': g },
        h('h2', {}, t(title)),
        h('div', { class: 'tile-row' }, TILES.filter((x) => x.group === g).map((x) => {
          const v = figure(ov, x);
          const body = [h('span', { class: 'tile-value' }, v === null ? '—' : count(v)), h('span', { class: 'tile-label' }, t(x.label))];
          const cls = 'tile' + (x.bad && v > 0 ? ' tile-bad' : '');
          return x.href && canOpen(x.href[0])
            ? h('a', { class: cls, href: hrefOf(...x.href), 'data-tile': x.group + '.' + x.key }, body)
            : h('div', { class: cls, 'data-tile': x.group + '.' + x.key }, body);
        })))));
    };
    draw(null);
    const stop = poll(async () => {
      try {
        const ov = await ctx.api.get('/api/v1/overview');
        draw(ov);
        stamp.textContent = t('ov.at', { at: new Date(ctx.api.now()).toLocaleTimeString(ctx.lang === 'zh' ? 'zh-CN' : 'en-US', { hourCycle: 'h23' }) });
        clearError();
      } catch (e) {
        showError(e);
      }
    }, 30000);
    return { node: h('div', { class: 'overview' }, h('h1', {}, t('ov.title')), stamp, grid), dispose: stop };
  },
};
