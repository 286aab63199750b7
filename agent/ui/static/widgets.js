// Pieces several pages build the same way: a parcel's row, count tiles and
// waybill chips, and the buttons of a lifecycle step (exceptions and
// complaints move through their steps alike).

import { h, clearError, showError } from './dom.js';
import { t, label } from './i18n.js';
import { api } from './api.js';
import { fmtClock } from './format.js';

// parcelRow is a parcel in a list: pickup code, waybill, masked phone, time in.
export function parcelRow(p) {
  return h('li', { class: 'item', 'data-waybill': p.waybill },
    h('span', { class: 'item-code' }, p.pickup_code || '—'),
    h('span', { class: 'item-main' }, p.waybill),
    h('span', { class: 'item-sub' }, p.phone_masked || ''),
    h('span', { class: 'item-sub' }, fmtClock(p.inbound_at)));
}

export function countTile(id, labelText, value, cls) {
  return h('div', { class: 'count ' + (cls || ''), 'data-count': id },
    h('div', { class: 'count-n', id: 'count-' + id }, String(value ?? 0)),
    h('div', { class: 'count-label' }, labelText));
}

export function waybillList(id, items, empty) {
  return h('ul', { class: 'list chips', id }, items.length
    ? items.map((w) => h('li', { class: 'chip', 'data-waybill': w }, w))
    : h('li', { class: 'muted' }, empty));
}

// stepButtons are the steps a record allows now, as the agent lists them;
// open(step) shows that step's inline form.
export function stepButtons(allowed, prefix, open) {
  return (allowed || []).map((step) => h('button', {
    type: 'button', class: 'btn btn-small', 'data-step': step,
    onclick: () => open(step),
  }, label(prefix, step)));
}

// stepActions are the confirm and cancel buttons of a step's inline form (no
// modal dialogs: they block a counter screen and a browser test alike).
// Confirm asks fill(req) to complete the request, which answers false after
// showing what is missing, posts it to path, and calls reload when the agent
// took it. Cancel empties box.
export function stepActions({ box, path, step, prefix, fill, reload }) {
  const go = h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-go': step }, t('confirm') + ' · ' + label(prefix, step));
  go.addEventListener('click', async () => {
    const req = { step };
    if (fill(req) === false) return;
    go.disabled = true;
    try {
      await api('POST', path, req);
      clearError();
      reload();
    } catch (err) {
      showError(err);
      go.disabled = false;
    }
  });
  const cancel = h('button', { type: 'button', class: 'btn btn-small', onclick: () => box.replaceChildren() }, t('cancel'));
  return { go, cancel };
}
