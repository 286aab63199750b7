// DOM helpers. Elements are built with h() and textContent, never
// innerHTML, so names, complaint texts and API messages can never inject
// markup; no inline styles (the CSP refuses them). Also the page's banners.

import { t } from './i18n.js';

export const $ = (sel, root = document) => root.querySelector(sel);

// Properties set as properties, not attributes, so they reflect live state.
const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'multiple', 'indeterminate']);

// h builds an element: h('button', {class: 'btn', onclick: f}, 'label').
// Children may be nested arrays; null, undefined and false are skipped.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// written shows words somebody wrote (a complaint, a note, a name, an id)
// as they are, whatever the screen's language; data-written tells the
// browser test's language check that these are not the screen's words.
export function written(tag, props, ...children) {
  return h(tag, { ...props, 'data-written': '' }, ...children);
}

// field wraps a control with its label.
export function field(labelText, control, extra) {
  return h('label', { class: 'field' + (extra ? ' ' + extra : '') }, h('span', { class: 'field-label' }, labelText), control);
}

// select is a drop-down of values labelled by labelOf, with an optional
// first "any" entry of value ''.
export function select(name, values, labelOf, initial, any) {
  const opts = values.map((v) => h('option', { value: v, selected: v === initial }, labelOf(v)));
  if (any) opts.unshift(h('option', { value: '', selected: !initial }, any));
  return h('select', { name }, opts);
}

// button is a plain button running fn; while fn's promise runs the button
// is disabled, so a double click sends one request.
export function button(text, fn, cls = 'btn') {
  const b = h('button', { type: 'button', class: cls }, text);
  b.addEventListener('click', async () => {
    b.disabled = true;
    try { await fn(); } catch (e) { showError(e); } finally { b.disabled = false; }
  });
  return b;
}

// panel is a titled box.
export function panel(title, ...children) {
  return h('section', { class: 'panel' }, title ? h('h2', {}, title) : null, ...children);
}

// dl is a list of label/value pairs.
export function dl(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '')]));
}

// ---------------------------------------------------------------------------
// Banners

export function showError(err) {
  if (err && !(err instanceof Error)) err = String(err);
  if (err instanceof Error && !('status' in err)) console.error(err);
  const msg = err instanceof Error ? err.message : err;
  $('#error-text').textContent = msg || t('err.unknown');
  $('#error-banner').hidden = false;
  $('#info-banner').hidden = true;
}

export function clearError() {
  $('#error-banner').hidden = true;
  $('#error-text').textContent = '';
}

export function showInfo(msg) {
  const b = $('#info-banner');
  b.replaceChildren(...[msg].flat());
  b.hidden = false;
}

export function hideInfo() {
  $('#info-banner').hidden = true;
}
