// Scan-in (入库): a parcel's waybill from the scanner, the recipient's phone,
// the shelf and layer; the agent answers with the pickup code and prints the
// shelf label. The side shows today's parcels, the devices and the
// scanners' live reads.

import { h, field, showError, clearError, showInfo, hideInfo, keepFocus } from '../dom.js';
import { t, label } from '../i18n.js';
import { api } from '../api.js';
import { poll } from '../router.js';
import { fmtClock, maskedContact, deviceTitle } from '../format.js';
import { lastPlace, rememberPlace } from '../prefs.js';
import { parcelRow } from '../widgets.js';

export function renderScan(root, scope) {
  const place = lastPlace();
  const barcode = h('input', { id: 'scan-barcode', name: 'barcode', class: 'input-scan', autocomplete: 'off', spellcheck: 'false', placeholder: t('scan.barcodeHint') });
  const phone = h('input', { id: 'scan-phone', name: 'phone', inputmode: 'tel', autocomplete: 'off', maxlength: 20 });
  const name = h('input', { id: 'scan-name', name: 'name', autocomplete: 'off' });
  const shelf = h('input', { id: 'scan-shelf', name: 'shelf', inputmode: 'numeric', autocomplete: 'off', value: place.shelf });
  const layer = h('input', { id: 'scan-layer', name: 'layer', inputmode: 'numeric', autocomplete: 'off', value: place.layer });
  const sameCity = h('input', { id: 'scan-same-city', type: 'checkbox' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'scan-submit' }, t('scan.submit'));
  const result = h('div', { class: 'result', id: 'scan-result' });
  const list = h('ul', { class: 'list', id: 'scan-list' });
  const listTitle = h('h2', {}, t('scan.today', { n: 0 }));
  const devLine = h('div', { class: 'devices', id: 'scan-devices' }, t('loading'));
  const reads = h('ul', { class: 'reads', id: 'scan-reads' });

  const form = h('form', { class: 'panel scan-form', id: 'scan-form' },
    h('h1', {}, t('scan.title')),
    field(t('scan.barcode'), barcode, 'field-wide'),
    h('div', { class: 'row' }, field(t('scan.phone'), phone, 'grow'), field(t('scan.name'), name, 'grow')),
    h('div', { class: 'row' }, field(t('scan.shelf'), shelf, 'short'), field(t('scan.layer'), layer, 'short'),
      h('label', { class: 'check' }, sameCity, t('scan.sameCity')), submit),
    result);

  // A wedge scanner ends with Enter. If the phone is still missing, Enter
  // moves there instead of submitting a request that would be refused.
  barcode.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    if (!barcode.value.trim()) return;
    if (!phone.value.trim()) {
      phone.focus();
      showInfo(t('scan.phoneNext'));
      return;
    }
    form.requestSubmit();
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const req = { barcode: barcode.value.trim(), phone: phone.value.trim() };
    if (!req.barcode) { barcode.focus(); return showError(t('err.required', { field: t('scan.barcode') })); }
    if (!req.phone) { phone.focus(); return showError(t('err.required', { field: t('scan.phone') })); }
    if (name.value.trim()) req.name = name.value.trim();
    if (shelf.value.trim()) req.shelf = shelf.value.trim();
    if (layer.value.trim()) req.layer = layer.value.trim();
    if (sameCity.checked) req.same_city = true;
    submit.disabled = true;
    try {
      const res = await api('POST', '/api/v1/parcels/inbound', req);
      rememberPlace(shelf.value.trim(), layer.value.trim());
      clearError();
      hideInfo();
      showInbound(result, res);
      barcode.value = '';
      phone.value = '';
      name.value = '';
      sameCity.checked = false;
      loadList();
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
      barcode.focus();
    }
  });

  async function loadList() {
    try {
      const res = await api('GET', '/api/v1/parcels?status=in_stock');
      const today = new Date().toDateString();
      const rows = (res.parcels || []).filter((p) => !p.inbound_at || new Date(p.inbound_at).toDateString() === today);
      listTitle.textContent = t('scan.today', { n: rows.length });
      list.replaceChildren(...(rows.length ? rows.map(parcelRow) : [h('li', { class: 'muted' }, t('empty'))]));
    } catch (err) {
      list.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  async function loadDevices() {
    try {
      const res = await api('GET', '/api/v1/devices');
      renderDevices(devLine, res.devices || []);
      renderReads(reads, res.recent_reads || [], (text) => { barcode.value = text; phone.focus(); });
    } catch (err) {
      devLine.replaceChildren(h('span', { class: 'error-text' }, t('scan.devicesError', { msg: err.message })));
    }
  }

  root.append(h('div', { class: 'split' },
    form,
    h('section', { class: 'panel side' },
      listTitle, list,
      h('h2', {}, t('scan.devices')), devLine,
      h('h2', {}, t('scan.reads')), reads)));

  // A half-entered parcel is a task in progress, not idleness.
  keepFocus(barcode, scope, () => Boolean(barcode.value.trim() || phone.value.trim() || name.value.trim()));
  loadList();
  poll(loadList, 15000, scope);
  poll(loadDevices, 2000, scope);
  barcode.focus();
}

function showInbound(box, res) {
  const p = res.parcel || {};
  const job = res.label_job;
  box.replaceChildren(h('div', { class: 'result-card ok' },
    h('div', { class: 'result-head' }, t('scan.done') + ' · ' + (p.waybill || '')),
    h('div', { class: 'code-label' }, t('scan.code')),
    h('div', { class: 'code', id: 'scan-code' }, p.pickup_code || '—'),
    h('div', { class: 'muted' }, maskedContact(p)),
    job ? h('div', { class: 'muted' }, t('scan.labelPrinted') + ' · ' + t('scan.labelJob', { job })) : null));
}

function renderDevices(box, devs) {
  if (!devs.length) {
    box.replaceChildren(h('span', { class: 'muted' }, t('scan.noDevices')));
    return;
  }
  box.replaceChildren(...devs.map((d) => h('span', { class: 'dev dev-' + d.state, title: deviceTitle(d) },
    h('span', { class: 'dot' }), `${d.name} ${label('dev.', d.state)}`, d.detail ? h('small', {}, ' · ' + d.detail) : null)));
}

function renderReads(box, reads, use) {
  if (!reads.length) {
    box.replaceChildren(h('li', { class: 'muted' }, t('scan.noReads')));
    return;
  }
  // Newest first, a handful: this is a live view, not a log.
  const rows = reads.slice().sort((a, b) => String(b.at).localeCompare(String(a.at))).slice(0, 6);
  box.replaceChildren(...rows.map((r) => h('li', { class: 'read read-' + r.result },
    h('span', { class: 'item-sub' }, fmtClock(r.at)),
    h('span', { class: 'item-sub' }, r.scanner),
    h('span', { class: 'item-main' }, r.text),
    h('span', { class: 'tag' }, label('read.', r.result)),
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => use(r.text) }, t('scan.useRead')))));
}
