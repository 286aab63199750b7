// The one list of the screen: a filter bar, a table, previous/next pages by
// the hub's cursor, and the CSV link of the same filters. Every list page
// builds on it. The filters live in the hash (ctx.query), so a reload or a
// link keeps them; the cursors live here, a stack so that "previous" goes
// back the way "next" came.

import { h, field, select, showError, clearError } from './dom.js';
import { t } from './i18n.js';

export const PAGE_SIZE = 50;

// Cursor stack, pure: the cursors of the pages seen so far, the current
// one last (null for the first page).
export const firstPage = () => [null];
export const nextPage = (stack, cursor) => (cursor ? [...stack, cursor] : stack);
export const prevPage = (stack) => (stack.length > 1 ? stack.slice(0, -1) : stack);
export const currentCursor = (stack) => stack[stack.length - 1];

// filterQuery is the query a list sends: the filters named in filters that
// have a value in query, the page size and the cursor.
export function filterQuery(filters, query, cursor, limit = PAGE_SIZE) {
  const q = {};
  for (const f of filters) {
    const v = query[f.name];
    if (v !== undefined && v !== '' && v !== null) q[f.name] = v;
  }
  q.limit = limit;
  if (cursor) q.cursor = cursor;
  return q;
}

// filterValues reads a filter form into a query: checkboxes as 1 or
// nothing, the rest trimmed.
export function filterValues(filters, form) {
  const q = {};
  for (const f of filters) {
    const el = form.elements[f.name];
    if (!el) continue;
    const v = f.type === 'check' ? (el.checked ? '1' : '') : String(el.value).trim();
    if (v) q[f.name] = v;
  }
  return q;
}

// filterControl is the control of one filter: {name, label, type: 'text'
// (default), 'select' (options: [values], optionLabel(v), noAny: no "any"
// entry), 'check', 'date'}.
function filterControl(f, value) {
  if (f.type === 'select') return field(t(f.label), select(f.name, f.options, f.optionLabel || String, value || (f.noAny ? f.options[0] : ''), f.noAny ? null : t('list.any')));
  if (f.type === 'check') {
    return h('label', { class: 'check' }, h('input', { type: 'checkbox', name: f.name, checked: value === '1' || value === 'true' }), t(f.label));
  }
  return field(t(f.label), h('input', { name: f.name, type: f.type === 'date' ? 'date' : 'text', value: value || '', placeholder: f.placeholder ? t(f.placeholder) : null, size: f.size || 12 }));
}

// listView renders a list for ctx: spec = {path (API route), key (the
// answer's array), filters, columns: [{label, cell(row) → node|text,
// class}], rowKey(row), select (bulk checkboxes: true), tools(selected
// ids, reload) → nodes over the table, empty (the words for no rows),
// csv (false to leave the link out), fixed (query the route always gets)}.
// It returns {node, dispose, reload}.
export function listView(ctx, spec) {
  const filters = spec.filters || [];
  let stack = firstPage();
  let next = null;
  let rows = [];
  const selected = new Set();
  const body = h('tbody');
  const status = h('span', { class: 'list-status' });
  const prev = h('button', { type: 'button', class: 'btn', 'data-list': 'prev', disabled: true, onclick: () => { stack = prevPage(stack); load(); } }, t('list.prev'));
  const nextBtn = h('button', { type: 'button', class: 'btn', 'data-list': 'next', disabled: true, onclick: () => { stack = nextPage(stack, next); load(); } }, t('list.next'));
  const fixed = spec.fixed || {};
  const shown = { ...ctx.query };
  const csv = spec.csv === false ? null
    : h('a', { class: 'btn', 'data-list': 'csv', href: ctx.api.csvURL(spec.path, { ...fixed, ...filterQuery(filters, shown, null) }), download: '' }, t('list.csv'));
  const tools = h('div', { class: 'list-tools' });
  const all = spec.select ? h('input', { type: 'checkbox', 'aria-label': t('list.selectAll'), onchange: () => {
    for (const r of rows) { if (all.checked) selected.add(spec.rowKey(r)); else selected.delete(spec.rowKey(r)); }
    draw();
  } }) : null;
  const head = h('tr', {}, spec.select ? h('th', { class: 'col-check' }, all) : null, spec.columns.map((c) => h('th', { class: c.class || null }, t(c.label))));
  const table = h('table', { class: 'list' }, h('thead', {}, head), body);
  const form = filters.length ? h('form', { class: 'filters', onsubmit: (e) => {
    e.preventDefault();
    ctx.navigate(ctx.path, filterValues(filters, form));
  } }, filters.map((f) => filterControl(f, shown[f.name])), h('button', { type: 'submit', class: 'btn btn-primary' }, t('list.filter')),
  h('button', { type: 'button', class: 'btn', onclick: () => ctx.navigate(ctx.path, {}) }, t('list.clear'))) : null;

  function redrawTools() {
    if (spec.tools) tools.replaceChildren(...[spec.tools([...selected], reload)].flat().filter(Boolean));
  }
  function draw() {
    body.replaceChildren(...rows.map((r) => {
      const id = spec.select ? spec.rowKey(r) : null;
      const box = spec.select ? h('td', { class: 'col-check' }, h('input', { type: 'checkbox', 'data-id': id, checked: selected.has(id), onchange: (e) => {
        if (e.target.checked) selected.add(id); else selected.delete(id);
        if (all) all.checked = rows.length > 0 && rows.every((x) => selected.has(spec.rowKey(x)));
        redrawTools();
      } })) : null;
      return h('tr', { class: spec.rowClass ? spec.rowClass(r) : null }, box, spec.columns.map((c) => h('td', { class: c.class || null }, c.cell(r))));
    }));
    if (!rows.length) body.append(h('tr', {}, h('td', { class: 'empty', colspan: spec.columns.length + (spec.select ? 1 : 0) }, t(spec.empty || 'list.empty'))));
    if (all) all.checked = rows.length > 0 && rows.every((x) => selected.has(spec.rowKey(x)));
    redrawTools();
  }
  let generation = 0;
  async function load() {
    const mine = ++generation;
    prev.disabled = true;
    nextBtn.disabled = true;
    status.textContent = t('list.loading');
    try {
      const q = { ...fixed, ...filterQuery(filters, shown, currentCursor(stack)) };
      const res = await ctx.api.get(spec.path, q);
      if (mine !== generation) return;
      rows = Array.isArray(res[spec.key]) ? res[spec.key] : [];
      next = res.next || null;
      clearError();
    } catch (e) {
      if (mine !== generation) return;
      rows = [];
      next = null;
      showError(e);
    }
    status.textContent = t('list.page', { n: stack.length, rows: rows.length });
    prev.disabled = stack.length <= 1;
    nextBtn.disabled = !next;
    draw();
    spec.loaded?.(rows);
  }
  function reload() {
    return load();
  }
  draw();
  const ready = load();
  const node = h('div', { class: 'list-view', 'data-list-of': spec.key }, form, tools,
    h('div', { class: 'table-wrap' }, table),
    h('div', { class: 'pager' }, prev, status, nextBtn, csv));
  return { node, dispose: () => { generation++; }, reload, ready, rows: () => rows };
}
