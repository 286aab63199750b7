// Pieces several pages build the same way: a parcel's row, count tiles and
// waybill chips, the shelve form, the buttons of a lifecycle step and the
// deadline countdowns and the history (exceptions and complaints move
// through their steps, and against their deadlines, alike).

import { h, field, written, clearError, showError } from './dom.js';
import { t, label } from './i18n.js';
import { api } from './api.js';
import { fmtClock, fmtTime, countdown, metText, stepActorParts } from './format.js';
import { lastPlace, rememberPlace } from './prefs.js';
import { poll } from './router.js';
import { revealButton } from './reveal.js';

// parcelRow is a parcel in a list: pickup code, waybill, masked phone (with
// a supervisor's button to see it in full), time in.
export function parcelRow(p) {
  return h('li', { class: 'item', 'data-waybill': p.waybill },
    h('span', { class: 'item-code' }, p.pickup_code || '—'),
    h('span', { class: 'item-main' }, p.waybill),
    h('span', { class: 'item-sub' }, p.phone_masked || ''),
    p.phone_masked ? revealButton('parcel', p.waybill, 'phone') : null,
    h('span', { class: 'item-sub' }, fmtClock(p.inbound_at)));
}

// shelveForm puts a parcel on a shelf, or on another one: shelf and layer
// (the last place used, unless place says otherwise) and one button. The
// agent answers with the parcel and its new pickup code, which done gets.
// Every page that shows a parcel with no shelf offers it, so none is stuck.
export function shelveForm(p, done, place) {
  const at = place || lastPlace();
  const shelf = h('input', { class: 'shelve-shelf', inputmode: 'numeric', autocomplete: 'off', value: at.shelf });
  const layer = h('input', { class: 'shelve-layer', inputmode: 'numeric', autocomplete: 'off', value: at.layer });
  const go = h('button', { type: 'button', class: 'btn btn-primary btn-small shelve-go' }, p.pickup_code ? t('shelve.move') : t('shelve.go'));
  go.addEventListener('click', async () => {
    const req = { shelf: shelf.value.trim(), layer: layer.value.trim() };
    if (!req.shelf) { shelf.focus(); return showError(t('err.required', { field: t('scan.shelf') })); }
    if (!req.layer) { layer.focus(); return showError(t('err.required', { field: t('scan.layer') })); }
    go.disabled = true;
    try {
      const res = await api('POST', `/api/v1/parcels/${encodeURIComponent(p.waybill)}/shelve`, req);
      rememberPlace(req.shelf, req.layer);
      clearError();
      done(res.parcel || {}, res.label_job);
    } catch (err) {
      showError(err);
      go.disabled = false;
    }
  });
  for (const el of [shelf, layer]) {
    el.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      go.click();
    });
  }
  return h('div', { class: 'row shelve', 'data-shelve': p.waybill },
    field(t('scan.shelf'), shelf, 'short'), field(t('scan.layer'), layer, 'short'), go);
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

// deadlineLine is one deadline of a case: its label, a live countdown (or,
// once met at metAt, the result the agent froze) and when it falls due. key
// names it in data-deadline; late is a breach the agent reported.
export function deadlineLine(labelText, key, by, remaining, metAt, late) {
  if (!by) return null;
  return h('div', { class: 'deadline' + (late ? ' breached' : '') + (metAt ? ' met' : ''), 'data-deadline': key },
    h('span', { class: 'deadline-label' }, labelText),
    metAt
      ? h('span', { class: 'deadline-left' }, metText(remaining))
      : h('span', { class: 'deadline-left countdown', 'data-remaining': remaining ?? 0 }, ''),
    h('span', { class: 'muted small' }, t('cmp.by', { at: fmtTime(by) })));
}

// countdowns ticks every live deadline under list each second until the
// page's scope ends. Remaining seconds come from the agent (hub-corrected
// time); the PC's clock may be wrong, so locally only elapsed time is
// measured, with the monotonic performance.now(). Call loaded() when the
// list has been refilled.
export function countdowns(list, scope) {
  let loadedAt = performance.now();
  const tick = () => {
    const elapsed = (performance.now() - loadedAt) / 1000;
    for (const el of list.querySelectorAll('[data-remaining]')) {
      const c = countdown(el.dataset.remaining, elapsed);
      el.textContent = c.text;
      el.closest('.deadline').classList.toggle('breached', c.breached);
    }
  };
  const timer = setInterval(tick, 1000);
  scope.push(() => clearInterval(timer));
  return { loaded() { loadedAt = performance.now(); tick(); } };
}

// openList keeps a page's side list of open entities (exceptions,
// complaints): every `every` ms it loads path, titles the list with
// titleKey and the count of body[field], and renders each with card(item,
// reload); their deadline countdowns tick in between. It returns the
// reload, for the page's form to call after recording a new one.
export function openList({ list, title, path, field: key, titleKey, card, every, scope }) {
  const clocks = countdowns(list, scope);
  async function load() {
    try {
      const items = (await api('GET', path))[key] || [];
      title.textContent = t(titleKey, { n: items.length });
      list.replaceChildren(...(items.length ? items.map((x) => card(x, load)) : [h('li', { class: 'muted' }, t('empty'))]));
      clocks.loaded();
    } catch (err) {
      list.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }
  poll(load, every, scope);
  return load;
}

// folded remembers the histories the clerk opened or closed, by case id,
// so the list's reload every few seconds keeps them as they were.
const folded = new Map();

// historyList is a case's history (a complaint's or an exception's, id),
// oldest first: when, the step (its label under prefix), who took it and
// the note. It opens by itself when head office took a step, which the
// clerk has to see; otherwise it stays folded under the card.
export function historyList(id, items, prefix) {
  if (!items?.length) return null;
  const open = folded.get(id) ?? items.some((it) => it.origin === 'hub');
  const box = h('details', { class: 'history', open },
    h('summary', {}, t('hist.title', { n: items.length })),
    h('ol', { class: 'history-list' }, items.map((it) => h('li', {
      class: 'history-item' + (it.origin === 'hub' ? ' from-hub' : ''), 'data-step': it.step, 'data-origin': it.origin,
    },
    h('span', { class: 'muted small' }, fmtTime(it.at)),
    h('b', {}, label(prefix, it.step)),
    h('span', { class: 'history-actor' }, stepActorParts(it).map((p) => (p.own ? written('span', {}, p.text) : p.text))),
    it.note ? written('span', { class: 'history-note' }, it.note) : null))));
  // Only a person's click counts: the toggle event also fires for the
  // initial open attribute.
  box.querySelector('summary').addEventListener('click', () => folded.set(id, !box.open));
  return box;
}
