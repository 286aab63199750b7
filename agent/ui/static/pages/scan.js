// Scan-in (入库): a parcel's waybill from the scanner, the recipient's phone,
// the shelf and layer; the agent answers with the pickup code and prints the
// shelf label. The shelf may be left for later; such a parcel has no code
// yet and is listed under "not shelved" until it is put away. The side
// shows today's parcels (each may move to another shelf), the unshelved
// ones, the parcels device scanners read that nobody checked in yet (all
// checked in at once), the devices and the scanners' live reads.

import { h, field, written, showError, clearError, showInfo, hideInfo, keepFocus } from '../dom.js';
import { t, label } from '../i18n.js';
import { api } from '../api.js';
import { poll } from '../router.js';
import { fmtClock, fmtTime, maskedContact, deviceTitle, deviceWords } from '../format.js';
import { lastPlace, rememberPlace } from '../prefs.js';
import { parcelRow, shelveForm } from '../widgets.js';
import { problemText, refreshPrintProblems } from '../printjobs.js';
import { effectBanner } from '../effects.js';

export function renderScan(root, scope) {
  const place = lastPlace();
  const barcode = h('input', { id: 'scan-barcode', name: 'barcode', class: 'input-scan', autocomplete: 'off', spellcheck: 'false', placeholder: t('scan.barcodeHint') });
  const phone = h('input', { id: 'scan-phone', name: 'phone', inputmode: 'tel', autocomplete: 'off', maxlength: 20 });
  const name = h('input', { id: 'scan-name', name: 'name', autocomplete: 'off' });
  const shelf = h('input', { id: 'scan-shelf', name: 'shelf', inputmode: 'numeric', autocomplete: 'off', value: place.shelf });
  const layer = h('input', { id: 'scan-layer', name: 'layer', inputmode: 'numeric', autocomplete: 'off', value: place.layer });
  const sameCity = h('input', { id: 'scan-same-city', type: 'checkbox' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'scan-submit' }, t('scan.submit'));
  // The button says what it will do: with no place it only checks in.
  const syncSubmit = () => { submit.textContent = shelf.value.trim() || layer.value.trim() ? t('scan.submit') : t('scan.submitNoShelf'); };
  shelf.addEventListener('input', syncSubmit);
  layer.addEventListener('input', syncSubmit);
  syncSubmit();
  const result = h('div', { class: 'result', id: 'scan-result' });
  const list = h('ul', { class: 'list', id: 'scan-list' });
  const listTitle = h('h2', {}, t('scan.today', { n: 0 }));
  const devLine = h('div', { class: 'devices', id: 'scan-devices' }, t('loading'));
  const reads = h('ul', { class: 'reads', id: 'scan-reads' });
  const unshelvedTitle = h('h2', { id: 'scan-unshelved-title' }, t('scan.unshelved', { n: 0 }));
  const unshelved = h('ul', { class: 'list', id: 'scan-unshelved' });
  const pendingTitle = h('h2', { id: 'scan-pending-title' }, t('scan.pending', { n: 0 }));
  const pending = h('ul', { class: 'list', id: 'scan-pending' });
  const batchBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'scan-batch', disabled: true }, t('scan.batch'));
  // Phones typed against scanned parcels, kept across the list's refreshes,
  // and the parcels the list shows.
  const typed = new Map();
  let shown = [];

  const form = h('form', { class: 'panel scan-form', id: 'scan-form' },
    h('h1', {}, t('scan.title')),
    effectBanner('scan-effects', ['hold', 'hours'], scope),
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
      showInbound(result, res, afterShelve);
      refreshPrintProblems();
      barcode.value = '';
      phone.value = '';
      name.value = '';
      sameCity.checked = false;
      loadList();
    } catch (err) {
      showError(err);
      // Taken in before without a shelf: offer to shelve it here, at the
      // place the form names.
      if (err.code === 'parcel.not_shelved') {
        const p = { waybill: err.params.waybill || req.barcode };
        // It is registered already: nothing to type again.
        barcode.value = '';
        phone.value = '';
        name.value = '';
        const at = req.shelf && req.layer ? { shelf: req.shelf, layer: req.layer } : undefined;
        result.replaceChildren(h('div', { class: 'result-card warn', id: 'scan-unshelved-card' },
          h('div', { class: 'result-head' }, t('scan.notShelved') + ' · ' + p.waybill),
          shelveForm(p, (np, job) => afterShelve({ parcel: np, label_job: job }), at)));
      }
    } finally {
      submit.disabled = false;
      barcode.focus();
    }
  });

  // afterShelve shows a parcel just put on a shelf and refreshes the lists.
  function afterShelve(res) {
    clearError();
    showInbound(result, res, afterShelve);
    refreshPrintProblems();
    loadList();
  }

  // rowWithShelve is a parcel's row with a button that opens the shelve
  // form under it (and closes it again): "shelve" for one with no shelf,
  // "move" for one on a shelf.
  function rowWithShelve(p) {
    const li = parcelRow(p);
    const open = h('button', { type: 'button', class: 'btn btn-small', 'data-shelve-open': p.waybill },
      p.pickup_code ? t('shelve.move') : t('shelve.go'));
    open.addEventListener('click', () => {
      const was = li.querySelector('[data-shelve]');
      if (was) return was.remove();
      // Done, the form goes, so the list refreshes with the new code.
      const form = shelveForm(p, (np, job) => { form.remove(); afterShelve({ parcel: np, label_job: job }); });
      li.append(form);
      form.querySelector('input').focus();
    });
    li.append(open);
    return li;
  }

  async function checkInBatch() {
    const place = { shelf: shelf.value.trim(), layer: layer.value.trim() };
    if (!place.shelf) { shelf.focus(); return showError(t('err.required', { field: t('scan.shelf') })); }
    if (!place.layer) { layer.focus(); return showError(t('err.required', { field: t('scan.layer') })); }
    const { reqs, skipped } = batchRequests(shown.map((w) => [w, typed.get(w)]), place);
    if (!reqs.length) return showError(t('scan.batchNone'));
    batchBtn.disabled = true;
    let ok = 0;
    const failed = [];
    for (const req of reqs) {
      try {
        await api('POST', '/api/v1/parcels/inbound', req);
        typed.delete(req.barcode);
        ok++;
      } catch (err) {
        failed.push(req.barcode + ': ' + err.message);
      }
    }
    rememberPlace(place.shelf, place.layer);
    if (failed.length) showError(t('scan.batchFailed', { n: failed.length, list: failed.join('; ') }));
    else clearError();
    showInfo(t('scan.batchDone', { ok, skipped }));
    if (document.activeElement && pending.contains(document.activeElement)) barcode.focus();
    loadList();
  }
  batchBtn.addEventListener('click', checkInBatch);

  function pendingRow(p, i, all) {
    const ph = h('input', { class: 'pending-phone', 'data-phone-for': p.waybill, inputmode: 'tel', autocomplete: 'off', maxlength: 20,
      placeholder: t('scan.phone'), value: typed.get(p.waybill) || '' });
    ph.addEventListener('input', () => {
      typed.set(p.waybill, ph.value);
      batchBtn.disabled = ![...typed.values()].some((v) => v.trim());
    });
    // Enter goes on to the next parcel's phone; on the last, checks all in.
    ph.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      const next = pending.querySelector(`[data-phone-for="${CSS.escape(all[i + 1]?.waybill || '')}"]`);
      if (next) next.focus(); else batchBtn.click();
    });
    return h('li', { class: 'item', 'data-waybill': p.waybill },
      h('span', { class: 'item-main' }, p.waybill),
      h('span', { class: 'item-sub' }, t('scan.scansN', { n: p.scans || 1 })),
      ph);
  }

  async function loadList() {
    loadUnshelved();
    loadPending();
    try {
      const res = await api('GET', '/api/v1/parcels?status=in_stock');
      const today = new Date().toDateString();
      const rows = (res.parcels || []).filter((p) => !p.inbound_at || new Date(p.inbound_at).toDateString() === today);
      listTitle.textContent = t('scan.today', { n: rows.length });
      if (busy(list)) return;
      list.replaceChildren(...(rows.length ? rows.map(rowWithShelve) : [h('li', { class: 'muted' }, t('empty'))]));
    } catch (err) {
      list.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  async function loadUnshelved() {
    try {
      const ps = (await api('GET', '/api/v1/parcels?status=inbound')).parcels || [];
      unshelvedTitle.textContent = t('scan.unshelved', { n: ps.length });
      if (busy(unshelved)) return;
      unshelved.replaceChildren(...(ps.length ? ps.map(rowWithShelve) : [h('li', { class: 'muted' }, t('none'))]));
    } catch (err) {
      unshelved.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  async function loadPending() {
    try {
      // One more than shown tells a full list from a longer backlog.
      const all = (await api('GET', '/api/v1/parcels?status=scanned&limit=' + (PENDING_SHOWN + 1))).parcels || [];
      const ps = all.slice(0, PENDING_SHOWN);
      pendingTitle.textContent = all.length > ps.length ? t('scan.pendingMore', { n: ps.length }) : t('scan.pending', { n: ps.length });
      shown = ps.map((p) => p.waybill);
      for (const w of [...typed.keys()]) if (!ps.some((p) => p.waybill === w)) typed.delete(w);
      batchBtn.disabled = ![...typed.values()].some((v) => v.trim());
      if (busy(pending)) return;
      pending.replaceChildren(...(ps.length ? ps.map(pendingRow) : [h('li', { class: 'muted' }, t('none'))]));
    } catch (err) {
      pending.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  let lastRead = '';

  async function loadDevices() {
    try {
      const res = await api('GET', '/api/v1/devices');
      renderDevices(devLine, res.devices || []);
      const rs = res.recent_reads || [];
      renderReads(reads, rs, (text) => { barcode.value = text; phone.focus(); });
      // A new read may be a parcel nobody checked in yet.
      const newest = rs.map((r) => String(r.at)).sort().pop() || '';
      if (newest !== lastRead) { lastRead = newest; loadPending(); }
    } catch (err) {
      devLine.replaceChildren(h('span', { class: 'error-text' }, t('scan.devicesError', { msg: err.message })));
    }
  }

  root.append(h('div', { class: 'split' },
    form,
    h('section', { class: 'panel side' },
      listTitle, list,
      unshelvedTitle, unshelved,
      pendingTitle, h('p', { class: 'hint' }, t('scan.pendingHint')), pending,
      h('div', { class: 'row' }, batchBtn),
      h('h2', {}, t('scan.devices')), devLine,
      h('h2', {}, t('scan.reads')), h('p', { class: 'hint' }, t('scan.readsHint')), reads)));

  // A half-entered parcel is a task in progress, not idleness; so is a
  // shelve form or a run of phones being typed.
  keepFocus(barcode, scope, () => Boolean(barcode.value.trim() || phone.value.trim() || name.value.trim()) ||
    Boolean(document.activeElement?.closest?.('[data-shelve], #scan-pending')));
  loadList();
  poll(loadList, 15000, scope);
  poll(loadDevices, 2000, scope);
  barcode.focus();
}

// PENDING_SHOWN is how many scanned parcels the side lists: a run to
// check in, not the whole backlog of a busy line scanner.
const PENDING_SHOWN = 50;

// busy says whether the clerk is working inside a list (typing a phone,
// a shelf), which a refresh would wipe out.
function busy(list) {
  return Boolean(document.activeElement && list.contains(document.activeElement) || list.querySelector('[data-shelve]'));
}

// batchRequests turns the phones typed against scanned parcels into
// check-ins at one place; a parcel with no phone yet is left for later.
export function batchRequests(rows, place) {
  const reqs = [];
  let skipped = 0;
  for (const [waybill, phone] of rows) {
    const ph = String(phone || '').trim();
    if (!ph) { skipped++; continue; }
    reqs.push({ barcode: waybill, phone: ph, shelf: place.shelf, layer: place.layer });
  }
  return { reqs, skipped };
}

function showInbound(box, res, shelved) {
  const p = res.parcel || {};
  const job = res.label_job;
  if (!p.pickup_code) {
    // Checked in with no shelf: say so, and offer the shelf right here.
    box.replaceChildren(h('div', { class: 'result-card warn', id: 'scan-unshelved-card' },
      h('div', { class: 'result-head' }, t('scan.doneNoShelf') + ' · ' + (p.waybill || '')),
      h('div', { class: 'muted' }, maskedContact(p)),
      h('div', {}, t('scan.shelveLater')),
      shelveForm(p, (np, j) => shelved({ parcel: np, label_job: j }), { shelf: '', layer: '' })));
    return;
  }
  const labelLine = job ? h('div', { class: 'muted', id: 'scan-label' }, t('scan.labelPrinted') + ' · ' + t('scan.labelJob', { job })) : null;
  box.replaceChildren(h('div', { class: 'result-card ok' },
    h('div', { class: 'result-head' }, t('scan.done') + ' · ' + (p.waybill || '')),
    h('div', { class: 'code-label' }, t('scan.code')),
    h('div', { class: 'code', id: 'scan-code' }, p.pickup_code || '—'),
    written('div', { class: 'muted' }, maskedContact(p)),
    p.held_until ? h('div', { class: 'muted', id: 'scan-held' }, t('scan.heldUntil', { at: fmtTime(p.held_until), n: heldDays(p) })) : null,
    labelLine));
  // The label may not have been drawn at all: say so here too, not only in
  // the print problems strip.
  if (job) {
    api('GET', `/api/v1/print-jobs/${job}`).then((r) => {
      if (r.job?.problem) {
        labelLine.className = 'error-text';
        labelLine.textContent = t('scan.labelJob', { job }) + ' · ' + problemText(r.job);
      }
    }, () => {});
  }
}

function renderDevices(box, devs) {
  if (!devs.length) {
    box.replaceChildren(h('span', { class: 'muted' }, t('scan.noDevices')));
    return;
  }
  box.replaceChildren(...devs.map((d) => {
    const { detail } = deviceWords(d);
    // The device's name is the one the operator gave it in agent.toml.
    return h('span', { class: 'dev dev-' + d.state, title: deviceTitle(d), 'data-device': d.name },
      h('span', { class: 'dot' }), written('span', {}, d.name), ' ', label('dev.', d.state), detail ? h('small', {}, ' · ' + detail) : null);
  }));
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
    written('span', { class: 'item-sub' }, r.scanner),
    written('span', { class: 'item-main' }, r.text),
    h('span', { class: 'tag' }, label('read.', r.result)),
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => use(r.text) }, t('scan.useRead')))));
}

// heldDays is a parcel's holding period in days: the outlet's, or a
// notice's when one was in force at check-in.
export function heldDays(p) {
  if (!p?.held_until || !p?.inbound_at) return 0;
  return Math.round((new Date(p.held_until) - new Date(p.inbound_at)) / 86400000);
}
