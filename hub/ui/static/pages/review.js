// The review queue of head office's own channels (WeChat, chat, call
// centre, the complaints mailbox): each complaint waiting for its first
// reply, with the reply proposed from the templates; customer service
// accepts it, edits it, and sends it (the complaint's acknowledge step, its
// note the reply as sent). Above it, the categories whose proposed reply
// goes out without review: an administrator sets them.

import { h, written, button, showError, showInfo, clearError } from '../dom.js';
import { label } from '../i18n.js';
import { fmtTime } from '../format.js';
import { hrefOf } from '../router.js';
import { listView } from '../list.js';
import { countdownCell, startTicker } from '../cases.js';
import { codes } from '../vocab.js';

export const ROLES = ['admin', 'service'];
// SETTERS may change which categories are answered without review.
export const SETTERS = ['admin'];

// replyBody is the step that sends reply as a complaint's first reply, or
// null for an empty reply.
export function replyBody(reply) {
  const note = String(reply || '').trim();
  return note ? { step: 'acknowledge', note } : null;
}

// autoSendBody is what PUT /api/v1/channels/autosend takes: the checked
// categories, each once, in the vocabulary's order.
export function autoSendBody(all, checked) {
  const on = new Set(checked || []);
  return { categories: (all || []).filter((c) => on.has(c)) };
}

function autoSendPanel(ctx) {
  const { t } = ctx;
  const canSet = SETTERS.includes(ctx.account.role);
  const all = codes('complaintCategory');
  const boxes = all.map((c) => h('input', { type: 'checkbox', name: 'autosend', value: c, disabled: !canSet, 'data-autosend': c }));
  const node = h('details', { class: 'panel', 'data-autosend-panel': '' },
    h('summary', {}, t('rev.autoSend')),
    h('p', { class: 'hint' }, t('rev.autoSendHint')),
    h('div', { class: 'form-row' }, all.map((c, i) => h('label', { class: 'check' }, boxes[i], ' ', label('cat.', c)))),
    canSet ? h('div', { class: 'form-row' }, button(t('rev.autoSendSave'), async () => {
      const body = autoSendBody(all, boxes.filter((b) => b.checked).map((b) => b.value));
      await ctx.api.put('/api/v1/channels/autosend', body);
      clearError();
      showInfo(t('rev.autoSendSaved'));
    }, 'btn btn-primary')) : null);
  ctx.api.get('/api/v1/channels/autosend').then((r) => {
    const on = new Set(r.categories || []);
    boxes.forEach((b) => { b.checked = on.has(b.value); });
  }, showError);
  return node;
}

export const page = {
  id: 'review',
  path: '/review',
  roles: ROLES,
  nav: 'nav.review',
  reads: ['GET /api/v1/channels/review', 'GET /api/v1/channels/autosend'],
  // An administrator also sets the categories (PUT /api/v1/channels/autosend).
  acts: { roles: ROLES, routes: ['POST /api/v1/complaints/{id}/steps'] },
  render(ctx) {
    const { t } = ctx;
    const now = () => ctx.api.now();
    let list;
    const replyCell = (c) => {
      const text = h('textarea', { rows: 3, cols: 48, 'data-reply': c.id }, c.reply_text || '');
      const send = button(t('rev.send'), async () => {
        const body = replyBody(text.value);
        if (!body) { showError(t('rev.empty')); return; }
        await ctx.api.post('/api/v1/complaints/' + encodeURIComponent(c.id) + '/steps', body);
        clearError();
        showInfo(t('rev.sent', { ticket: c.ticket }));
        await list.reload();
      }, 'btn btn-primary');
      send.dataset.send = c.id;
      return h('div', { class: 'reply' },
        c.reply_template ? null : h('p', { class: 'hint' }, t('rev.noTemplate')),
        text, h('div', { class: 'form-row' }, send));
    };
    list = listView(ctx, {
      path: '/api/v1/channels/review', key: 'channel_review',
      columns: [
        { label: 'cmp.col.ticket', cell: (c) => h('a', { href: hrefOf('/complaints/' + encodeURIComponent(c.id)), 'data-case': c.id }, written('span', {}, c.ticket || c.id)) },
        { label: 'case.col.due', class: 'nowrap', cell: (c) => countdownCell(c, now()) },
        { label: 'rev.col.channel', cell: (c) => label('ch.', c.channel) },
        { label: 'case.col.outlet', cell: (c) => (c.outlet === 'hub' ? t('rev.headOffice') : written('span', {}, c.outlet)) },
        { label: 'rev.col.category', cell: (c) => label('cat.', c.category) },
        { label: 'cmp.col.received', class: 'nowrap', cell: (c) => fmtTime(c.received_at) },
        { label: 'rev.col.reply', cell: replyCell },
      ],
    });
    const stop = startTicker(list.node, now);
    return {
      node: h('div', {}, h('h1', {}, t('rev.title')), h('p', { class: 'hint' }, t('rev.hint')), autoSendPanel(ctx), list.node),
      dispose: () => { stop(); list.dispose(); },
    };
  },
};
