// What the complaint and exception pages share: the queue's deadline and its
// live countdown, bulk assign, a case's history, and the step forms.

import { h, written, field, select, showError, showInfo, clearError, button } from './dom.js';
import { t, label } from './i18n.js';
import { countdown, fmtTime, toDate } from './format.js';
import { errorText } from './api.js';

// dueOf is a queue item's next deadline: the hub's due_at, or — from a hub
// that answers only the deadlines themselves — the first one not yet met
// (a complaint's first reply, then its result; an exception's handling).
// null when there is none (closed, or every deadline met).
export function dueOf(row) {
  if (!row) return null;
  if ('due_at' in row) return row.due_at || null;
  if (row.state === 'closed') return null;
  if ('first_reply_by' in row) {
    if (!row.first_reply_at) return row.first_reply_by || null;
    if (!row.result_at) return row.result_by || null;
    return null;
  }
  if ('handle_by' in row) return row.handled_at ? null : row.handle_by || null;
  return null;
}

// isOverdue is the hub's word for a row, else whether its deadline passed
// at now.
export function isOverdue(row, now) {
  if (typeof row?.overdue === 'boolean') return row.overdue;
  const due = dueOf(row);
  return !!due && toDate(due).getTime() < now;
}

// countdownCell is a row's live countdown: a span the ticker rewrites every
// second from its data-due.
export function countdownCell(row, now) {
  const due = dueOf(row);
  if (!due) return h('span', { class: 'muted' }, t('case.noDeadline'));
  const c = countdown(due, now);
  return h('span', { class: 'countdown' + (c.breached ? ' breached' : ''), 'data-due': due, title: fmtTime(due) }, c.text);
}

// startTicker rewrites every countdown under root once a second, marking
// breached ones and their rows red, until the returned stop is called.
export function startTicker(root, now) {
  const tick = () => {
    for (const el of root.querySelectorAll('[data-due]')) {
      const c = countdown(el.dataset.due, now());
      el.textContent = c.text;
      el.classList.toggle('breached', c.breached);
      el.closest('tr')?.classList.toggle('breached', c.breached);
    }
  };
  const id = setInterval(tick, 1000);
  return () => clearInterval(id);
}

// bulkSummary words a bulk step's answer: how many went through, and each
// refused id with its reason in the screen's words.
export function bulkSummary(results, tr) {
  const ok = results.filter((r) => r.ok).length;
  const bad = results.filter((r) => !r.ok).map((r) => `${r.id}: ${errorText({ error: r.error }, 409, tr)}`);
  return { ok, bad };
}

// bulkAssign is the tool over a queue: the ids ticked, an owner, one POST.
export function bulkAssign(ctx, route, ids, reload) {
  const owner = h('input', { name: 'bulk-owner', size: 12 });
  const go = button(t('case.bulkAssign', { n: ids.length }), async () => {
    const o = owner.value.trim();
    if (!o) { showError(t('case.ownerMissing')); return; }
    const res = await ctx.api.post(route, { ids, step: 'assign', owner: o });
    const { ok, bad } = bulkSummary(res.results || [], t);
    if (bad.length) showError(t('case.bulkSome', { ok, bad: bad.length }) + ' ' + bad.join('; '));
    else { clearError(); showInfo(t('case.bulkDone', { ok })); }
    await reload();
  }, 'btn btn-primary');
  go.disabled = ids.length === 0;
  go.dataset.bulk = 'assign';
  return [field(t('case.assignTo'), owner), go];
}

// historyList is a case's steps, oldest first, each with who took it and
// from where (head office or an outlet).
export function historyList(items, stepPrefix, statePrefix) {
  if (!items?.length) return h('p', { class: 'muted' }, t('case.noHistory'));
  return h('ol', { class: 'history' }, items.map((it) => h('li', {},
    h('span', { class: 'when' }, fmtTime(it.at)),
    h('strong', {}, label(stepPrefix, it.step)), ' → ', label(statePrefix, it.state), ' · ',
    written('span', {}, it.actor || '—'), ' @ ', it.origin === 'hub' ? t('case.hq') : written('span', {}, it.origin),
    it.note ? h('div', { class: 'note' }, written('span', {}, it.note)) : null)));
}

// stepForm is one allowed step as a small form: its fields, and a button
// that posts {step, ...fields} and then runs done.
export function stepForm(ctx, route, step, stepPrefix, fields, collect, done) {
  const b = button(label(stepPrefix, step), async () => {
    const extra = collect ? collect() : {};
    if (extra === null) return;
    await ctx.api.post(route, { step, ...extra });
    clearError();
    showInfo(t('case.stepDone', { step: label(stepPrefix, step) }));
    await done();
  }, 'btn btn-primary');
  b.dataset.step = step;
  // A step with no fields of its own is its button.
  return fields ? h('div', { class: 'step-form', 'data-step-form': step }, fields, b) : b;
}

// ownerField and noteField are the step forms' usual inputs.
export function ownerField() {
  const el = h('input', { name: 'owner', size: 14 });
  return { el, node: field(t('case.owner'), el) };
}

export function noteField(name = 'note') {
  const el = h('textarea', { name, rows: 3 });
  return { el, node: field(t('case.note'), el) };
}

// choices is a drop-down of codes labelled from the dictionary.
export function choices(name, codes, prefix, initial) {
  return select(name, codes, (c) => label(prefix, c), initial);
}
