// Out for delivery (派送): parcels in stock are scanned into a batch, and the
// courier signs once for all of them. The side lists today's batches and
// what is still out.

import { h, field, written, sentence, showError, clearError, showInfo, onEnter, keepFocus } from '../dom.js';
import { t, label } from '../i18n.js';
import { api, findParcels } from '../api.js';
import { poll } from '../router.js';
import { today } from '../format.js';
import { signatureBox } from '../signature.js';
import { waybillList } from '../widgets.js';
import { effectBanner } from '../effects.js';

export function renderDispatch(root, scope) {
  const scan = h('input', { id: 'dsp-scan', class: 'input-scan', autocomplete: 'off', spellcheck: 'false', placeholder: t('scan.barcodeHint') });
  const courier = h('input', { id: 'dsp-courier', autocomplete: 'off', spellcheck: 'false' });
  const courierName = h('input', { id: 'dsp-courier-name', autocomplete: 'off' });
  const batchList = h('ul', { class: 'list', id: 'dsp-batch' });
  const batchTitle = h('h2', {}, t('dsp.batch', { n: 0 }));
  const pad = signatureBox({ id: 'dsp-sign', hint: t('dsp.courierSigns'), scope: scope, compact: true });
  const submit = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'dsp-submit' }, t('dsp.submit'));
  const openBox = h('div', { id: 'dsp-open' });
  const days = h('ul', { class: 'list cards', id: 'dsp-days' });
  const batch = new Map(); // waybill → parcel (or null while unknown)

  function drawBatch() {
    batchTitle.textContent = t('dsp.batch', { n: batch.size });
    batchList.replaceChildren(...(batch.size ? [...batch].map(([w, p]) => h('li', { class: 'item', 'data-waybill': w },
      h('span', { class: 'item-code' }, p?.pickup_code || '—'),
      h('span', { class: 'item-main grow' }, w),
      h('span', { class: 'item-sub' }, p?.phone_masked || ''),
      p ? h('span', { class: 'tag' + (p.status === 'in_stock' ? '' : ' tag-major') }, label('status.', p.status)) : null,
      h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', onclick: () => { batch.delete(w); drawBatch(); } }, t('dsp.remove'))))
      : [h('li', { class: 'muted' }, t('dsp.scanHint'))]));
  }

  onEnter(scan, async (code) => {
    scan.value = '';
    if (batch.has(code)) return showInfo(t('dsp.already', { waybill: code }));
    batch.set(code, null);
    drawBatch();
    try {
      const ps = await findParcels({ waybill: code });
      if (batch.has(code)) batch.set(code, ps[0] || { status: 'unknown' });
      clearError();
    } catch (err) {
      showError(err);
    }
    drawBatch();
  });

  submit.addEventListener('click', async () => {
    if (!batch.size) { scan.focus(); return showError(t('dsp.empty')); }
    if (!courier.value.trim()) { courier.focus(); return showError(t('err.required', { field: t('dsp.courier') })); }
    if (pad.pad.empty()) return showError(t('dsp.err.sign'));
    const req = { courier: courier.value.trim(), waybills: [...batch.keys()], signature: { signer: courier.value.trim(), svg: pad.pad.toSVG() } };
    if (courierName.value.trim()) req.courier_name = courierName.value.trim();
    submit.disabled = true;
    try {
      const res = await api('POST', '/api/v1/dispatches', req);
      clearError();
      showInfo(sentence('dsp.done', { n: req.waybills.length, who: req.courier_name || req.courier, id: res.batch?.id || '' }, 'who'));
      batch.clear();
      drawBatch();
      pad.pad.clear();
      load();
    } catch (err) {
      // A parcel not in stock: 409 with its state, shown as is.
      showError(err);
    } finally {
      submit.disabled = false;
      scan.focus();
    }
  });

  async function load() {
    try {
      const [bs, open] = await Promise.all([api('GET', '/api/v1/dispatches'), api('GET', '/api/v1/dispatches/open')]);
      const openWs = open.open || [];
      openBox.replaceChildren(...(openWs.length ? [h('div', { class: 'alert-bad' }, h('b', {}, t('dsp.openAtEnd', { n: openWs.length })),
        waybillList('dsp-open-list', openWs, ''))] : []));
      const flagged = new Set(openWs);
      const todays = (bs.batches || []).filter((b) => !b.day || b.day === today());
      days.replaceChildren(...(todays.length ? todays.map((b) => {
        const c = b.counts || {};
        return h('li', { class: 'card', 'data-id': b.id },
          h('div', { class: 'card-head' }, written('b', {}, b.courier), h('span', { class: 'item-sub' }, b.day),
            h('span', { class: 'tag' }, t('dsp.counts', { ...c })),
            c.open ? h('span', { class: 'tag state' }, t('dsp.stillOut', { n: c.open })) : null),
          h('ul', { class: 'list' }, (b.items || []).map((it) => h('li', { class: 'item small-item' + (flagged.has(it.waybill) ? ' flagged' : ''), 'data-waybill': it.waybill },
            h('span', { class: 'item-main grow' }, it.waybill),
            it.reason ? h('span', { class: 'item-sub' }, label('reason.', it.reason)) : null,
            it.disposition ? h('span', { class: 'item-sub' }, label('disp.', it.disposition)) : null,
            h('span', { class: 'tag dstate-' + it.state }, label('dstate.', it.state))))));
      }) : [h('li', { class: 'muted' }, t('empty'))]));
    } catch (err) {
      days.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  root.append(h('div', { class: 'split' },
    h('section', { class: 'panel' }, h('h1', {}, t('dsp.title')), effectBanner('dispatch-effects', ['areas'], scope),
      field(t('dsp.scan'), scan, 'field-wide'),
      batchTitle, batchList,
      h('div', { class: 'row' }, field(t('dsp.courier'), courier, 'grow'), field(t('dsp.courierName'), courierName, 'grow')),
      h('div', { class: 'field-label pad-title' }, t('dsp.courierSigns')),
      pad.el,
      h('div', { class: 'row pad-tools' }, h('span', { class: 'muted small grow' }, t('dsp.note')), submit)),
    h('section', { class: 'panel side' }, openBox, h('h2', {}, t('dsp.today')), days)));
  drawBatch();
  keepFocus(scan, scope, () => Boolean(scan.value.trim() || courier.value.trim() && !batch.size));
  poll(load, 15000, scope);
  scan.focus();
}
