// Complaints and feedback (投诉): record what the customer says, and work the
// open ones through their steps against the two deadlines, first reply and
// result, shown as live countdowns.

import { h, field, group, choice, select, written, showError, clearError, showInfo } from '../dom.js';
import { t, label } from '../i18n.js';
import { api } from '../api.js';
import { counterChannels, complaintTypes, complaintCategories, complaintSeverities } from '../kinds.js';
import { activeNotices } from '../header.js';
import { stepButtons, stepActions, deadlineLine, openList, historyList } from '../widgets.js';

export function renderComplaints(root, scope) {
  const channel = choice('channel', counterChannels(), 'ch.', 'counter');
  const ctype = choice('type', complaintTypes(), 'ctype.', 'complaint');
  const category = select('category', complaintCategories(), 'cat.', 'delay');
  category.id = 'cmp-category';
  const severity = choice('severity', complaintSeverities(), 'sev.', 'routine');
  const phone = h('input', { id: 'cmp-phone', inputmode: 'tel', autocomplete: 'off', maxlength: 20 });
  const name = h('input', { id: 'cmp-name', autocomplete: 'off' });
  const waybill = h('input', { id: 'cmp-waybill', autocomplete: 'off', spellcheck: 'false' });
  const text = h('textarea', { id: 'cmp-text', rows: 3 });
  const notice = h('select', { id: 'cmp-notice' }, h('option', { value: '' }, t('none')),
    activeNotices().map((n) => written('option', { value: n.id }, n.title)));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'cmp-submit' }, t('cmp.submit'));
  const list = h('ul', { class: 'list cards', id: 'cmp-list' });
  const listTitle = h('h2', {}, t('cmp.open', { n: 0 }));

  const form = h('form', { class: 'panel cmp-form', id: 'cmp-form' },
    h('h1', {}, t('cmp.title')),
    group(t('cmp.channel'), channel),
    h('div', { class: 'row' }, group(t('cmp.type'), ctype), group(t('cmp.severity'), severity)),
    h('div', { class: 'row' }, field(t('cmp.category'), category), field(t('cmp.phone'), phone, 'grow'), field(t('cmp.name'), name, 'grow')),
    h('div', { class: 'row' }, field(t('cmp.waybill'), waybill, 'grow'), field(t('cmp.notice'), notice, 'grow')),
    field(t('cmp.text'), text, 'field-wide'),
    submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!phone.value.trim()) { phone.focus(); return showError(t('err.required', { field: t('cmp.phone') })); }
    if (!text.value.trim()) { text.focus(); return showError(t('err.required', { field: t('cmp.text') })); }
    const req = {
      channel: channel.value, type: ctype.value, category: category.value, severity: severity.value,
      customer_phone: phone.value.trim(), text: text.value.trim(),
    };
    if (name.value.trim()) req.customer_name = name.value.trim();
    if (waybill.value.trim()) req.waybill = waybill.value.trim();
    if (notice.value) req.notice_id = notice.value;
    submit.disabled = true;
    try {
      const res = await api('POST', '/api/v1/complaints', req);
      clearError();
      const c = res.complaint || {};
      showInfo(t('cmp.done', { ticket: c.ticket || c.id || '' }) + (res.receipt_job ? ' · ' + t('cmp.receipt') : ''));
      for (const el of [phone, name, waybill, text]) el.value = '';
      load();
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
    }
  });

  root.append(h('div', { class: 'split' }, form, h('section', { class: 'panel side' }, listTitle, list)));
  const load = openList({ list, title: listTitle, path: '/api/v1/complaints?open=1', field: 'complaints', titleKey: 'cmp.open', card: complaintCard, every: 30000, scope });
  phone.focus();
}

function complaintCard(c, reload) {
  const stepBox = h('div', { class: 'step-form' });
  const breached = new Set(c.breached || []);
  // A met deadline's remaining time is frozen by the agent; it does not
  // tick. A suggestion or praise has no result deadline at all.
  const deadline = (labelText, by, remaining, metAt, key) =>
    deadlineLine(labelText, key, by, remaining, metAt, breached.has('sla_' + key));
  return h('li', { class: 'card' + (c.severity === 'major' ? ' major' : ''), 'data-id': c.id },
    h('div', { class: 'card-head' },
      h('b', {}, c.ticket || c.id),
      h('span', { class: 'tag' }, label('ctype.', c.type)),
      h('span', { class: 'tag' }, label('cat.', c.category)),
      c.severity === 'major' ? h('span', { class: 'tag tag-major' }, t('sev.major')) : null,
      written('span', { class: 'item-sub' }, c.customer_masked || ''),
      h('span', { class: 'tag state' }, label('cstate.', c.state))),
    written('div', { class: 'card-text' }, c.text),
    h('div', { class: 'deadlines' },
      deadline(t('cmp.firstReply'), c.first_reply_by, c.first_reply_remaining_s, c.first_reply_at, 'first_reply'),
      deadline(t('cmp.result'), c.result_by, c.result_remaining_s, c.result_at, 'result')),
    historyList(c.id, c.history, 'cstep.'),
    h('div', { class: 'steps' }, stepButtons(c.allowed, 'cstep.', (step) => openComplaintStep(stepBox, c, step, reload))),
    stepBox);
}

function openComplaintStep(box, c, step, reload) {
  const note = h('textarea', { rows: 3, placeholder: t('cmp.noteFor') });
  const tips = h('div', { class: 'templates' });
  let satisfaction = 0;
  const stars = h('div', { class: 'stars', role: 'radiogroup', 'aria-label': t('cmp.satisfaction') });
  for (let i = 1; i <= 5; i++) {
    stars.append(h('button', { type: 'button', class: 'star', 'data-score': i, onclick: () => {
      satisfaction = i;
      for (const b of stars.children) b.classList.toggle('on', Number(b.dataset.score) <= i);
    } }, String(i)));
  }
  const owner = h('input', { class: 'short-text', placeholder: t('cmp.owner') });
  const notice = h('select', {}, activeNotices().map((n) => written('option', { value: n.id }, n.title)));
  const { go, cancel } = stepActions({
    box, step, prefix: 'cstep.', reload,
    path: `/api/v1/complaints/${encodeURIComponent(c.id)}/steps`,
    fill: (req) => {
      if (note.value.trim()) req.note = note.value.trim();
      if (step === 'follow_up') {
        if (!satisfaction) { showError(t('err.required', { field: t('cmp.satisfaction') })); return false; }
        req.satisfaction = satisfaction;
      }
      if (step === 'assign') {
        if (!owner.value.trim()) { owner.focus(); showError(t('err.required', { field: t('cmp.owner') })); return false; }
        req.owner = owner.value.trim();
      }
      if (step === 'escalate') req.reason = note.value.trim();
      if (step === 'attach_notice') {
        if (!notice.value) { showError(t('err.required', { field: t('cmp.notice') })); return false; }
        req.notice_id = notice.value;
      }
      return true;
    },
  });

  // Suggestions follow what the clerk types, a moment after typing stops.
  let debounce = null;
  const suggest = async () => {
    try {
      const q = new URLSearchParams({ category: c.category, q: note.value.trim() });
      const res = await api('GET', '/api/v1/reply-templates?' + q);
      const ts = res.templates || [];
      tips.replaceChildren(h('span', { class: 'field-label' }, t('cmp.templates')),
        ...(ts.length ? ts.slice(0, 3).map((tp) => written('button', {
          type: 'button', class: 'template', title: tp.text,
          onclick: () => { note.value = tp.text; note.focus(); },
        }, h('b', {}, tp.title), ' ', h('span', { class: 'muted' }, tp.text))) : [h('span', { class: 'muted' }, t('cmp.noTemplates'))]));
    } catch (err) {
      tips.replaceChildren(h('span', { class: 'error-text small' }, err.message));
    }
  };
  note.addEventListener('input', () => { clearTimeout(debounce); debounce = setTimeout(suggest, 300); });

  // replaceChildren would print a null as "null"; h() skips it.
  box.replaceChildren(h('div', {},
    step === 'follow_up' ? h('div', { class: 'row row-center' }, h('span', { class: 'field-label' }, t('cmp.satisfaction')), stars) : null,
    step === 'assign' ? h('div', { class: 'row' }, owner) : null,
    step === 'attach_notice' ? h('div', { class: 'row' }, notice) : null,
    note,
    tips,
    h('div', { class: 'row step-actions' }, go, cancel)));
  suggest();
  note.focus();
}
