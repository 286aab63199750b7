// Incident reports (事故报告) to head office: when it happened, where (this
// outlet unless said otherwise), the cause, the impact (parcels affected,
// expected delay), what happened, and up to four photos, each redrawn here
// as a JPEG small enough to sync. The side list follows the open reports
// through head office's steps (acknowledged, resolved); the outlet adds
// notes and closes a report once head office has resolved it.

import { h, field, group, select, written, showError, clearError, showInfo, readDataURL } from '../dom.js';
import { t, label } from '../i18n.js';
import { api } from '../api.js';
import { fmtTime, joined } from '../format.js';
import { incidentCauses } from '../kinds.js';
import { stepButtons, stepActions, openList, historyList } from '../widgets.js';
import { fitPhoto, MAX_PHOTOS } from '../photofit.js';

// localInput is a Date as a datetime-local input's value, in this PC's zone.
function localInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function renderIncidents(root, scope) {
  const occurred = h('input', { id: 'inc-occurred', type: 'datetime-local', value: localInput(new Date()) });
  const place = h('input', { id: 'inc-place', placeholder: t('inc.placeHere'), maxlength: 200 });
  const cause = select('cause', incidentCauses(), 'icause.', 'weather');
  cause.id = 'inc-cause';
  const causeText = h('input', { id: 'inc-cause-text', maxlength: 100, placeholder: t('inc.causeText') });
  const causeTextField = field(t('inc.causeText'), causeText, 'grow');
  const parcels = h('input', { id: 'inc-parcels', type: 'number', min: 0, step: 1, value: 0, class: 'short' });
  const delay = h('input', { id: 'inc-delay', type: 'number', min: 0, step: 1, value: 0, class: 'short' });
  const text = h('textarea', { id: 'inc-text', rows: 3, maxlength: 2000 });
  const photos = h('input', { id: 'inc-photos', type: 'file', accept: 'image/*', multiple: true, class: 'file-hidden' });
  const photoCount = h('span', { class: 'muted', id: 'inc-photo-count' }, t('exc.noPhoto'));
  const picker = h('label', { class: 'btn file-btn' }, photos, t('exc.choosePhotos'));
  const previews = h('div', { class: 'thumbs' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'inc-submit' }, t('inc.submit'));
  const list = h('ul', { class: 'list cards', id: 'inc-list' });
  const listTitle = h('h2', {}, t('inc.open', { n: 0 }));
  let fitted = []; // base64 JPEG bodies
  let busy = false;

  const showCauseText = () => { causeTextField.hidden = cause.value !== 'other'; };
  cause.addEventListener('change', showCauseText);
  showCauseText();

  const resetPhotos = () => {
    fitted = [];
    photos.value = '';
    previews.replaceChildren();
    photoCount.textContent = t('exc.noPhoto');
  };
  photos.addEventListener('change', async () => {
    const files = [...photos.files];
    resetPhotos();
    busy = true;
    submit.disabled = true;
    try {
      if (files.length > MAX_PHOTOS) throw new Error(t('inc.tooManyPhotos', { max: MAX_PHOTOS }));
      for (const f of files) {
        if (!f.type.startsWith('image/')) throw new Error(t('inc.notImage', { name: f.name }));
        const fit = await fitPhoto(await readDataURL(f)).catch(() => { throw new Error(t('inc.notImage', { name: f.name })); });
        if (!fit) throw new Error(t('inc.cannotShrink', { name: f.name }));
        fitted.push(fit.b64);
        previews.append(h('img', { src: fit.url, alt: f.name, 'data-bytes': fit.bytes }));
      }
      photoCount.textContent = fitted.length ? t('exc.photoCount', { n: fitted.length }) : t('exc.noPhoto');
      clearError();
    } catch (err) {
      resetPhotos();
      showError(err);
    } finally {
      busy = false;
      submit.disabled = false;
    }
  });

  const form = h('form', { class: 'panel', id: 'inc-form' },
    h('h1', {}, t('inc.title')),
    h('div', { class: 'row' }, field(t('inc.occurred'), occurred), field(t('inc.place'), place, 'grow')),
    h('div', { class: 'row' }, field(t('inc.cause'), cause), causeTextField),
    h('div', { class: 'row' }, field(t('inc.parcels'), parcels), field(t('inc.delay'), delay)),
    field(t('inc.text'), text, 'field-wide'),
    group(t('inc.photos', { max: MAX_PHOTOS }), h('div', { class: 'row row-center' }, picker, photoCount)), previews,
    submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    const at = new Date(occurred.value).getTime();
    if (!Number.isFinite(at)) { occurred.focus(); return showError(t('err.required', { field: t('inc.occurred') })); }
    if (!text.value.trim()) { text.focus(); return showError(t('err.required', { field: t('inc.text') })); }
    const req = {
      occurred_at: at, place: place.value.trim(), cause: cause.value,
      parcels: Number(parcels.value) || 0, delay_hours: Number(delay.value) || 0, text: text.value.trim(),
    };
    if (cause.value === 'other') req.cause_text = causeText.value.trim();
    if (fitted.length) req.photos = fitted;
    submit.disabled = true;
    try {
      await api('POST', '/api/v1/incidents', req);
      clearError();
      showInfo(t('inc.done', { cause: label('icause.', req.cause) }));
      place.value = '';
      causeText.value = '';
      text.value = '';
      parcels.value = 0;
      delay.value = 0;
      resetPhotos();
      load();
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
    }
  });

  root.append(h('div', { class: 'split' }, form, h('section', { class: 'panel side' }, listTitle, list)));
  const load = openList({ list, title: listTitle, path: '/api/v1/incidents?open=1', field: 'incidents', titleKey: 'inc.open', card: incidentCard, every: 15000, scope });
  text.focus();
}

function incidentCard(x, reload) {
  const stepBox = h('div', { class: 'step-form' });
  const causeWords = x.cause === 'other' && x.cause_text ? x.cause_text : label('icause.', x.cause);
  return h('li', { class: 'card', 'data-id': x.id },
    h('div', { class: 'card-head' },
      x.cause === 'other' ? written('b', {}, causeWords) : h('b', {}, causeWords),
      h('span', { class: 'item-main' }, fmtTime(x.occurred_at)),
      h('span', { class: 'tag state', 'data-state': x.state }, label('istate.', x.state))),
    x.place ? written('div', { class: 'card-text' }, x.place) : h('div', { class: 'card-text muted' }, t('inc.placeHere')),
    written('div', { class: 'card-text' }, x.text),
    h('div', { class: 'muted small' }, joined([t('inc.impact', { parcels: x.parcels, hours: x.delay_hours }),
      x.photos?.length ? t('exc.photoCount', { n: x.photos.length }) : ''], ' · ')),
    historyList(x.id, x.history, 'istep.'),
    h('div', { class: 'steps' }, stepButtons(x.allowed, 'istep.', (step) => openIncidentStep(stepBox, x, step, reload))),
    stepBox);
}

// openIncidentStep shows a step's note inline; a note needs its text.
function openIncidentStep(box, x, step, reload) {
  const note = h('input', { class: 'grow', placeholder: t('exc.note'), maxlength: 1000 });
  const { go, cancel } = stepActions({
    box, step, prefix: 'istep.', reload,
    path: `/api/v1/incidents/${encodeURIComponent(x.id)}/steps`,
    fill: (req) => {
      if (step === 'note' && !note.value.trim()) { note.focus(); showError(t('err.required', { field: t('exc.note') })); return false; }
      if (note.value.trim()) req.note = note.value.trim();
      return true;
    },
  });
  box.replaceChildren(h('div', { class: 'row' }, note, go, cancel));
  note.focus();
}
