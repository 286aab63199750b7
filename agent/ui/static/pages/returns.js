// Delivery results (退回 / 妥投): a parcel the courier brought back is
// restocked with a new pickup code or sent back to the sender; a delivered
// one is recorded with the recipient's signature as proof.

import { h, field, group, choice, written, showError, clearError, onEnter, keepFocus } from '../dom.js';
import { t, label } from '../i18n.js';
import { api, findParcels } from '../api.js';
import { maskedContact } from '../format.js';
import { undeliveredReasons, dispositions } from '../kinds.js';
import { lastPlace, rememberPlace } from '../prefs.js';
import { signatureBox } from '../signature.js';

// The two forms of the page; not codes of the API (each has its route).
const OUTCOMES = ['undelivered', 'delivered'];

export function renderReturns(root, scope) {
  const scan = h('input', { id: 'ret-scan', class: 'input-scan', autocomplete: 'off', spellcheck: 'false', placeholder: t('scan.barcodeHint') });
  const selBox = h('div', { class: 'selected', id: 'ret-selected' }, h('span', { class: 'muted' }, t('ret.none')));
  const undeliveredBox = h('div', { id: 'ret-undelivered' });
  const deliveredBox = h('div', { id: 'ret-delivered', hidden: true });
  const outcome = choice('outcome', OUTCOMES, 'ret.outcome.', 'undelivered', (v) => {
    undeliveredBox.hidden = v !== 'undelivered';
    deliveredBox.hidden = v !== 'delivered';
  });
  const reason = choice('reason', undeliveredReasons(), 'reason.', 'recipient_absent');
  const place = lastPlace();
  const shelf = h('input', { id: 'ret-shelf', inputmode: 'numeric', autocomplete: 'off', value: place.shelf });
  const layer = h('input', { id: 'ret-layer', inputmode: 'numeric', autocomplete: 'off', value: place.layer });
  const placeRow = h('div', { class: 'row' }, field(t('scan.shelf'), shelf, 'short'), field(t('scan.layer'), layer, 'short'));
  const disposition = choice('disposition', dispositions(), 'disp.', 'restock', (v) => { placeRow.hidden = v !== 'restock'; });
  const note = h('input', { id: 'ret-note', autocomplete: 'off' });
  const retBtn = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'ret-submit', disabled: true }, t('ret.submit'));
  const proofSigner = h('input', { id: 'ret-proof-signer', autocomplete: 'off' });
  const pad = signatureBox({ id: 'ret-sign', hint: t('ret.proofSigns'), scope: scope, compact: true });
  const delBtn = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'ret-delivered-submit', disabled: true }, t('ret.deliveredSubmit'));
  const result = h('div', { class: 'result', id: 'ret-result' });
  let selected = null;

  undeliveredBox.append(
    group(t('ret.reason'), reason),
    group(t('ret.disposition'), disposition),
    placeRow,
    h('div', { class: 'row' }, field(t('ret.note'), note, 'grow'), retBtn));
  deliveredBox.append(field(t('ret.proofSigner'), proofSigner), pad.el, h('div', { class: 'row pad-tools' }, h('span', { class: 'grow' }), delBtn));

  function choose(p) {
    selected = p;
    selBox.replaceChildren(h('span', { class: 'item-main' }, p.waybill),
      written('span', { class: 'item-sub' }, maskedContact(p)),
      h('span', { class: 'tag' + (p.status === 'out_for_delivery' ? ' state' : ' tag-major') }, label('status.', p.status)));
    retBtn.disabled = delBtn.disabled = false;
  }

  onEnter(scan, async (code) => {
    scan.value = '';
    try {
      const ps = await findParcels({ waybill: code });
      if (!ps.length) throw new Error(t('ret.notFound', { waybill: code }));
      clearError();
      result.replaceChildren();
      choose(ps[0]);
    } catch (err) {
      showError(err);
    }
  });

  retBtn.addEventListener('click', async () => {
    if (!selected) return showError(t('ret.none'));
    const req = { reason: reason.value, disposition: disposition.value };
    if (disposition.value === 'restock') {
      if (!shelf.value.trim()) { shelf.focus(); return showError(t('err.required', { field: t('scan.shelf') })); }
      if (!layer.value.trim()) { layer.focus(); return showError(t('err.required', { field: t('scan.layer') })); }
      req.shelf = shelf.value.trim();
      req.layer = layer.value.trim();
    }
    if (note.value.trim()) req.note = note.value.trim();
    retBtn.disabled = true;
    try {
      const res = await api('POST', `/api/v1/parcels/${encodeURIComponent(selected.waybill)}/undelivered`, req);
      clearError();
      if (req.shelf) rememberPlace(req.shelf, req.layer);
      const p = res.parcel || {};
      result.replaceChildren(h('div', { class: 'result-card ok' },
        h('div', { class: 'result-head' }, t('ret.done', { waybill: p.waybill || selected.waybill, reason: label('reason.', req.reason) })),
        req.disposition === 'restock'
          ? [h('div', { class: 'code-label' }, t('ret.newCode')), h('div', { class: 'code', id: 'ret-code' }, p.pickup_code || '—')]
          : h('div', { class: 'code code-mid', id: 'ret-code' }, t('ret.toSender')),
        h('div', { class: 'muted' }, label('status.', p.status))));
      reset();
    } catch (err) {
      showError(err);
      retBtn.disabled = false;
    }
  });

  delBtn.addEventListener('click', async () => {
    if (!selected) return showError(t('ret.none'));
    if (!proofSigner.value.trim()) { proofSigner.focus(); return showError(t('err.required', { field: t('ret.proofSigner') })); }
    if (pad.pad.empty()) return showError(t('err.sign'));
    delBtn.disabled = true;
    try {
      const res = await api('POST', `/api/v1/parcels/${encodeURIComponent(selected.waybill)}/delivered`,
        { proof: { signer: proofSigner.value.trim(), svg: pad.pad.toSVG() } });
      clearError();
      result.replaceChildren(h('div', { class: 'result-card ok' }, h('div', { class: 'result-head' }, t('ret.deliveredDone', { waybill: res.parcel?.waybill || selected.waybill }))));
      reset();
    } catch (err) {
      showError(err);
      delBtn.disabled = false;
    }
  });

  function reset() {
    selected = null;
    selBox.replaceChildren(h('span', { class: 'muted' }, t('ret.none')));
    retBtn.disabled = delBtn.disabled = true;
    note.value = '';
    proofSigner.value = '';
    pad.pad.clear();
    scan.focus();
  }

  root.append(h('div', { class: 'split' },
    h('section', { class: 'panel' }, h('h1', {}, t('ret.title')),
      field(t('ret.scan'), scan, 'field-wide'),
      selBox,
      group(t('ret.outcome'), outcome),
      undeliveredBox, deliveredBox),
    h('section', { class: 'panel side' }, h('h2', {}, t('ret.result')), result, h('p', { class: 'hint' }, t('ret.hint')))));
  keepFocus(scan, scope, () => Boolean(scan.value.trim() || selected));
  scan.focus();
}
