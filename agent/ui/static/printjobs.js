// Print problems: labels and receipts the clerk must act on, on every page
// under the header. A label that could not be drawn, one that may not have
// printed and one its printer holds each come with the actions the agent
// allows now (docs/AGENT-API.md, Print jobs): retry, print without the
// barcode, reprint, confirm it came out, cancel.

import { $, h, showError, clearError, showInfo } from './dom.js';
import { t, label } from './i18n.js';
import { api, loggedIn } from './api.js';
import { deviceTitle } from './format.js';

// problemText is the words for a job's problem; the agent's own detail
// (both languages, for the log) goes to the tooltip, not the line.
export function problemText(job) {
  if (job.problem === 'held') {
    return t('print.problem.held', { state: label('dev.', job.device?.state || 'fault') });
  }
  return label('print.problem.', job.problem);
}

// jobTitle names what a job prints in the screen's language; a job the
// agent names no document for shows its own title.
export function jobTitle(job) {
  const key = 'print.doc.' + job.doc;
  return job.doc && t(key) !== key ? t(key, { ref: job.ref || '' }) : (job.title || '');
}

// problemLine is one job's row: what it is, what is wrong, the actions. The
// tooltip is the printer's state in the screen's words; the agent's own
// error (for the log, not in the screen's language) is kept on the row for
// support, not shown.
export function problemLine(job, act) {
  const tip = job.device ? deviceTitle(job.device) : '';
  return h('li', { class: 'print-problem', 'data-job': String(job.id), 'data-problem': job.problem, title: tip || null, 'data-error': job.last_error || null },
    h('b', {}, t('print.job', { id: job.id })),
    h('span', { class: 'print-title' }, jobTitle(job)),
    h('span', { class: 'print-why' }, problemText(job)),
    h('span', { class: 'print-actions' }, ...(job.actions || []).map((a) => h('button', {
      type: 'button', class: 'btn btn-small' + (a === 'cancel' ? ' btn-danger-ghost' : ''), 'data-action': a,
      onclick: (e) => act(job, a, e.currentTarget),
    }, label('print.action.', a)))));
}

let last = [];

export function renderPrintProblems(jobs = last) {
  last = jobs;
  const box = $('#print-problems');
  if (!box) return;
  box.hidden = jobs.length === 0;
  box.replaceChildren(...(jobs.length ? [
    h('div', { class: 'print-head' }, t('print.problems', { n: jobs.length })),
    h('ul', { class: 'print-list' }, ...jobs.map((j) => problemLine(j, act))),
  ] : []));
}

export async function refreshPrintProblems() {
  if (!loggedIn()) {
    renderPrintProblems([]);
    return;
  }
  try {
    renderPrintProblems((await api('GET', '/api/v1/print-jobs?problems=1')).jobs || []);
  } catch {
    // An agent without printers, or one that does not answer: the sync
    // indicator says so; this strip stays as it was.
  }
}

async function act(job, action, button) {
  button.disabled = true;
  try {
    const res = await api('POST', `/api/v1/print-jobs/${job.id}/${action}`);
    clearError();
    showInfo(t('print.done', { id: job.id, action: label('print.action.', action), next: res.job?.id ?? job.id }));
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
    refreshPrintProblems();
  }
}
