// Exception parcels (异常件): report one with its kind, a note and photos, and
// move the open ones through their steps (handling, informing the customer,
// a claim and its decision, closing), each against its kind's handling
// deadline, shown as a live countdown.

import { h, field, group, select, written, showError, clearError, showInfo, readDataURL } from '../dom.js';
import { t, label } from '../i18n.js';
import { api } from '../api.js';
import { joined, yuan, handoverNote } from '../format.js';
import { exceptionKinds } from '../kinds.js';
import { stepButtons, stepActions, deadlineLine, openList, historyList } from '../widgets.js';

const PHOTO_MAX_MB = 4;

export function renderExceptions(root, scope) {
  const waybill = h('input', { id: 'exc-waybill', class: 'input-scan', autocomplete: 'off', spellcheck: 'false' });
  const kind = select('kind', exceptionKinds(), 'kind.', 'damaged');
  kind.id = 'exc-kind';
  const note = h('textarea', { id: 'exc-note', rows: 3 });
  // The native file button speaks the browser's language, not the screen's;
  // a label styled as a button replaces it.
  const photos = h('input', { id: 'exc-photos', type: 'file', accept: 'image/jpeg,image/png', multiple: true, class: 'file-hidden' });
  const photoCount = h('span', { class: 'muted' }, t('exc.noPhoto'));
  const picker = h('label', { class: 'btn file-btn' }, photos, t('exc.choosePhotos'));
  const previews = h('div', { class: 'thumbs' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'exc-submit' }, t('exc.submit'));
  const list = h('ul', { class: 'list cards', id: 'exc-list' });
  const listTitle = h('h2', {}, t('exc.open', { n: 0 }));
  let encoded = []; // base64 photo bodies, no data: prefix

  photos.addEventListener('change', async () => {
    encoded = [];
    previews.replaceChildren();
    try {
      for (const f of photos.files) {
        if (!/^image\/(jpeg|png)$/.test(f.type)) throw new Error(t('err.photoType', { name: f.name }));
        if (f.size > PHOTO_MAX_MB << 20) throw new Error(t('err.photoSize', { name: f.name, mb: PHOTO_MAX_MB }));
        const url = await readDataURL(f);
        encoded.push(url.slice(url.indexOf(',') + 1));
        previews.append(h('img', { src: url, alt: f.name }));
      }
      photoCount.textContent = encoded.length ? t('exc.photoCount', { n: encoded.length }) : t('exc.noPhoto');
      clearError();
    } catch (err) {
      encoded = [];
      photos.value = '';
      previews.replaceChildren();
      photoCount.textContent = t('exc.noPhoto');
      showError(err);
    }
  });

  const form = h('form', { class: 'panel', id: 'exc-form' },
    h('h1', {}, t('exc.title')),
    h('div', { class: 'row' }, field(t('exc.waybill'), waybill, 'grow'), field(t('exc.kind'), kind)),
    field(t('exc.note'), note, 'field-wide'),
    group(t('exc.photos'), h('div', { class: 'row row-center' }, picker, photoCount)), previews,
    submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!waybill.value.trim()) { waybill.focus(); return showError(t('err.required', { field: t('exc.waybill') })); }
    const req = { waybill: waybill.value.trim(), kind: kind.value, note: note.value.trim() };
    if (encoded.length) req.photos = encoded;
    submit.disabled = true;
    try {
      await api('POST', '/api/v1/exceptions', req);
      clearError();
      showInfo(t('exc.done', { waybill: req.waybill, kind: label('kind.', req.kind) }));
      waybill.value = '';
      note.value = '';
      photos.value = '';
      previews.replaceChildren();
      photoCount.textContent = t('exc.noPhoto');
      encoded = [];
      load();
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
    }
  });

  root.append(h('div', { class: 'split' }, form, h('section', { class: 'panel side' }, listTitle, list)));
  const load = openList({ list, title: listTitle, path: '/api/v1/exceptions?open=1', field: 'exceptions', titleKey: 'exc.open', card: exceptionCard, every: 15000, scope });
  waybill.focus();
}

function exceptionCard(x, reload) {
  const stepBox = h('div', { class: 'step-form' });
  return h('li', { class: 'card', 'data-id': x.id },
    h('div', { class: 'card-head' },
      h('b', {}, label('kind.', x.kind)), h('span', { class: 'item-main' }, x.waybill),
      h('span', { class: 'tag state' }, label('xstate.', x.state))),
    x.handover ? h('div', { class: 'card-text' }, handoverNote(x.kind, x.handover)) : null,
    x.note ? written('div', { class: 'card-text' }, x.note) : null,
    h('div', { class: 'muted small' }, joined([x.owner ? t('exc.owner') + ' ' + x.owner : '',
      x.photos?.length ? t('exc.photoCount', { n: x.photos.length }) : '',
      claimText(x.claim)], ' · ')),
    // Handled (claim decided or closed) stops the countdown where it was.
    h('div', { class: 'deadlines' },
      deadlineLine(t('exc.deadline'), 'handle', x.handle_by, x.handle_remaining_s, x.handled_at,
        (x.breached || []).includes('handle_deadline'))),
    historyList(x.id, x.history, 'xstep.'),
    h('div', { class: 'steps' }, stepButtons(x.allowed, 'xstep.', (step) => openExceptionStep(stepBox, x, step, reload))),
    stepBox);
}

// claimText sums up a claim: open, or decided with its amount.
export function claimText(c) {
  if (!c || !c.opened) return '';
  if (!c.decided) return t('exc.claim') + ' · ' + t('exc.claimOpen');
  const amount = c.amount_cents ? ' ' + yuan(c.amount_cents) : '';
  return t('exc.claim') + ' · ' + (c.approved ? t('exc.claimApproved') : t('exc.claimRefused')) + amount;
}

// openExceptionStep shows the inputs a step takes inline.
function openExceptionStep(box, x, step, reload) {
  const note = h('input', { class: 'grow', placeholder: t('exc.note') });
  const amount = h('input', { type: 'number', min: 0, step: '0.01', class: 'short', placeholder: t('exc.amount') });
  const approved = h('input', { type: 'checkbox', checked: true });
  const owner = h('input', { class: 'short-text', placeholder: t('exc.owner') });
  const money = step === 'decide_claim';
  const { go, cancel } = stepActions({
    box, step, prefix: 'xstep.', reload,
    path: `/api/v1/exceptions/${encodeURIComponent(x.id)}/steps`,
    fill: (req) => {
      if (note.value.trim()) req.note = note.value.trim();
      // Money travels in integer cents, never as a float of yuan.
      if (money && amount.value !== '') req.amount_cents = Math.round(Number(amount.value) * 100);
      if (step === 'decide_claim') req.approved = approved.checked;
      if (step === 'assign') {
        if (!owner.value.trim()) { owner.focus(); showError(t('err.required', { field: t('exc.owner') })); return false; }
        req.owner = owner.value.trim();
      }
      return true;
    },
  });
  box.replaceChildren(h('div', { class: 'row' }, step === 'assign' ? owner : null, note, money ? amount : null,
    step === 'decide_claim' ? h('label', { class: 'check' }, approved, t('exc.approved')) : null,
    go, cancel));
  note.focus();
}
