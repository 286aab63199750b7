// DOM helpers. Elements are built with h() and textContent, never innerHTML,
// so notice texts, names and API messages can never inject markup. Also the
// page's banners, and the input behaviours a counter with a barcode scanner
// needs.

import { t, sentenceParts } from './i18n.js';

export const $ = (sel, root = document) => root.querySelector(sel);

// Properties set as properties, not attributes, so they reflect live state.
const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'multiple']);

// h builds an element: h('button', {class: 'btn', onclick: f}, 'label').
// Children may be nested arrays; null and false are skipped.
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

// written shows words somebody wrote or chose (a notice, a complaint, a
// note, a name, a device's name in the settings) as they are, whatever the
// screen's language; data-written tells the browser test's language check
// that these are not the screen's own words.
export function written(tag, props, ...children) {
  return h(tag, { ...props, 'data-written': '' }, ...children);
}

// sentence is t(key, vars) as nodes, with the values named in own shown
// as written (see written): "Courier: 王师傅" is an English sentence with a
// name in it.
export function sentence(key, vars, ...own) {
  return sentenceParts(key, vars, own).map((p) => (p.own ? written('span', {}, p.text) : p.text));
}

// field wraps a control with its label.
export function field(label, control, extra) {
  return h('label', { class: 'field' + (extra ? ' ' + extra : '') }, h('span', { class: 'field-label' }, label), control);
}

// group puts a label over a control that is not a single input (a row of
// choice buttons, a picker).
export function group(label, control) {
  return h('div', { class: 'group' }, h('span', { class: 'field-label' }, label), control);
}

// choice is a row of big toggle buttons backed by a hidden value; touch
// friendlier than a <select> for short lists.
export function choice(name, values, labelPrefix, initial, onchange) {
  const row = h('div', { class: 'choice', role: 'radiogroup', 'data-name': name });
  row.value = initial;
  for (const v of values) {
    const b = h('button', {
      type: 'button', class: 'choice-btn', role: 'radio', 'data-value': v,
      onclick: () => { row.value = v; sync(); onchange?.(v); },
    }, t(labelPrefix + v));
    row.append(b);
  }
  const sync = () => {
    for (const b of row.children) {
      const on = b.dataset.value === row.value;
      b.classList.toggle('on', on);
      b.setAttribute('aria-checked', on ? 'true' : 'false');
    }
  };
  sync();
  return row;
}

export function select(name, values, labelPrefix, initial) {
  return h('select', { name }, values.map((v) => h('option', { value: v, selected: v === initial }, t(labelPrefix + v))));
}

// ---------------------------------------------------------------------------
// Banners

export function showError(err) {
  const msg = err instanceof Error ? err.message : String(err);
  $('#error-text').textContent = msg;
  $('#error-banner').hidden = false;
  $('#info-banner').hidden = true;
}

export function clearError() {
  $('#error-banner').hidden = true;
  $('#error-text').textContent = '';
}

// showInfo shows a line of text, or nodes (a sentence with a name in it).
export function showInfo(msg) {
  const b = $('#info-banner');
  b.replaceChildren(...[msg].flat());
  b.hidden = false;
}

export function hideInfo() {
  $('#info-banner').hidden = true;
}

// ---------------------------------------------------------------------------
// Scanner input

// onEnter calls fn with the trimmed value when a wedge scanner (or the
// clerk) ends a code with Enter.
export function onEnter(input, fn) {
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const v = input.value.trim();
    if (v) fn(v);
  });
}

// keepFocus returns focus to the scan input whenever the clerk is idle (no
// key or touch for a few seconds and nothing half entered), and catches a
// wedge scanner typing while nothing editable has focus: focusing the input
// during keydown makes the character land in it.
export function keepFocus(input, scope, inProgress) {
  let timer = null;
  const editable = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (document.activeElement !== input && !inProgress()) input.focus();
      arm();
    }, 8000);
  };
  const onKey = (e) => {
    arm();
    if (!editable(document.activeElement) && e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey) input.focus();
  };
  const onFocusOut = () => setTimeout(() => {
    // Clicking a button takes focus away; give it back to the scanner input.
    if (!editable(document.activeElement)) input.focus();
  }, 0);
  document.addEventListener('keydown', onKey, true);
  document.addEventListener('pointerdown', arm, true);
  document.addEventListener('focusout', onFocusOut);
  arm();
  scope.push(() => {
    clearTimeout(timer);
    document.removeEventListener('keydown', onKey, true);
    document.removeEventListener('pointerdown', arm, true);
    document.removeEventListener('focusout', onFocusOut);
  });
}

// readDataURL reads a chosen file as a data: URL.
export function readDataURL(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}
