// Courier handover (交接): the courier's parcels are scanned one by one
// against the manifests head office sent; both sign, and closing raises the
// exceptions (missing parcels as suspected lost, extra ones as mis-sorted).
// The open session is in the hash (#/handover?id=…), so a reload resumes it.

import { h, field, written, sentence, showError, clearError, showInfo, onEnter, keepFocus } from '../dom.js';
import { t, label } from '../i18n.js';
import { api, currentStaff } from '../api.js';
import { poll, routeParam } from '../router.js';
import { fmtTime, joined, shortID, handoverNote } from '../format.js';
import { signatureBox } from '../signature.js';
import { countTile, waybillList } from '../widgets.js';

export function renderHandover(root, scope) {
  const id = routeParam('id');
  if (id) return renderHandoverSession(root, id, scope);

  const courier = h('input', { id: 'ho-courier', autocomplete: 'off', spellcheck: 'false', placeholder: t('ho.courierHint') });
  const manifestBox = h('ul', { class: 'list', id: 'ho-manifests' }, h('li', { class: 'muted' }, t('loading')));
  const openBtn = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'ho-open' }, t('ho.open'));
  const sessions = h('ul', { class: 'list cards', id: 'ho-sessions' }, h('li', { class: 'muted' }, t('loading')));
  const chosen = new Set();

  const form = h('form', { class: 'panel', id: 'ho-form' },
    h('h1', {}, t('ho.title')),
    h('h2', {}, t('ho.pickManifests')),
    manifestBox,
    h('p', { class: 'hint' }, t('ho.noManifestHint')),
    h('div', { class: 'row' }, field(t('ho.courier'), courier, 'grow'), openBtn));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!courier.value.trim()) { courier.focus(); return showError(t('err.required', { field: t('ho.courier') })); }
    openBtn.disabled = true;
    try {
      const res = await api('POST', '/api/v1/handovers', { courier: courier.value.trim(), manifests: [...chosen] });
      clearError();
      location.hash = '#/handover?id=' + encodeURIComponent(res.handover.id);
    } catch (err) {
      showError(err);
      openBtn.disabled = false;
    }
  });

  async function loadManifests() {
    try {
      const ms = (await api('GET', '/api/v1/manifests')).manifests || [];
      manifestBox.replaceChildren(...(ms.length ? ms.map((m) => {
        const box = h('input', { type: 'checkbox', 'data-manifest': m.id, checked: chosen.has(m.id) });
        box.addEventListener('change', () => {
          if (box.checked) chosen.add(m.id); else chosen.delete(m.id);
          if (box.checked && !courier.value.trim() && m.courier) courier.value = m.courier;
        });
        // People pick a manifest by who brings it, on which line, when;
        // the id is there to quote to head office, small.
        return h('li', { class: 'item' }, h('label', { class: 'check grow' }, box,
          written('span', { class: 'item-main' }, manifestName(m)),
          h('span', { class: 'tag' }, t('ho.waybillCount', { n: (m.waybills || []).length })),
          m.expected_at ? h('span', { class: 'item-sub' }, t('ho.expectedAt', { at: fmtTime(m.expected_at) })) : null,
          h('small', { class: 'muted manifest-id', title: m.id }, shortID(m.id))));
      }) : [h('li', { class: 'muted' }, t('ho.noManifests'))]));
    } catch (err) {
      manifestBox.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  async function loadSessions() {
    try {
      const hs = (await api('GET', '/api/v1/handovers')).handovers || [];
      const open = hs.filter((x) => x.state === 'open');
      const closed = hs.filter((x) => x.state !== 'open').slice(0, 5);
      const card = (x) => h('li', { class: 'card', 'data-id': x.id },
        h('div', { class: 'card-head' }, written('b', {}, x.courier), h('span', { class: 'item-sub' }, fmtTime(x.opened_at)),
          h('span', { class: 'tag state' }, label('hstate.', x.state))),
        h('div', { class: 'muted small' }, t('ho.countsLine', { ...x.counts })),
        h('div', { class: 'steps' }, h('a', { class: 'btn btn-small' + (x.state === 'open' ? ' btn-primary' : ''), 'data-resume': x.id,
          href: '#/handover?id=' + encodeURIComponent(x.id) }, x.state === 'open' ? t('ho.resume') : t('ho.view'))));
      sessions.replaceChildren(
        h('li', {}, h('h2', {}, t('ho.openSessions', { n: open.length }))),
        ...(open.length ? open.map(card) : [h('li', { class: 'muted' }, t('empty'))]),
        ...(closed.length ? [h('li', {}, h('h2', {}, t('ho.recent'))), ...closed.map(card)] : []));
    } catch (err) {
      sessions.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  root.append(h('div', { class: 'split' }, form, h('section', { class: 'panel side' }, sessions)));
  poll(loadManifests, 15000, scope);
  poll(loadSessions, 15000, scope);
  courier.focus();
}

function renderHandoverSession(root, id, scope) {
  const scan = h('input', { id: 'ho-scan', class: 'input-scan', autocomplete: 'off', spellcheck: 'false', placeholder: t('scan.barcodeHint') });
  const head = h('div', { class: 'card-head', id: 'ho-head' }, t('loading'));
  const counts = h('div', { class: 'counts', id: 'ho-counts' });
  const last = h('div', { class: 'last-scan', id: 'ho-last' });
  const lists = h('div', { class: 'two-lists' });
  const signer = h('input', { id: 'ho-courier-signer', autocomplete: 'off', spellcheck: 'false' });
  const courierPad = signatureBox({ id: 'ho-sign-courier', hint: t('ho.courierSigns'), scope: scope, compact: true });
  const clerkPad = signatureBox({ id: 'ho-sign-clerk', hint: sentence('ho.clerkSigns', { who: currentStaff()?.name || currentStaff()?.id || '' }, 'who'),
    label: t('ho.clerkSignature'), scope: scope, compact: true });
  const closeBtn = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'ho-close' }, t('ho.close'));
  const signPanel = h('div', { id: 'ho-sign' },
    h('h2', {}, t('ho.signatures')),
    field(t('ho.courierSigner'), signer),
    courierPad.el,
    h('h3', {}, t('ho.clerkSignature')),
    clerkPad.el,
    h('div', { class: 'row pad-tools' }, h('span', { class: 'muted small grow' }, t('ho.closeNote')), closeBtn));
  const excBox = h('div', { id: 'ho-exceptions' });
  const back = h('a', { class: 'btn btn-small', href: '#/handover', id: 'ho-back' }, t('ho.back'));
  const scanField = field(t('ho.scanHere'), scan, 'field-wide');
  const manifestHeads = h('span', { class: 'ho-manifests-head', id: 'ho-manifest-heads' });
  let current = null;
  let named = false;

  // The session names its manifests by id; the screen names them by
  // courier, line and expected time, each fetched once.
  async function nameManifests(ids) {
    if (named || !ids.length) return;
    named = true;
    const heads = await Promise.all(ids.map(async (mid) => {
      try {
        const m = (await api('GET', `/api/v1/manifests/${encodeURIComponent(mid)}`)).manifest || { id: mid };
        return manifestHead(m);
      } catch {
        return manifestHead({ id: mid });
      }
    }));
    manifestHeads.replaceChildren(...heads);
  }

  function show(ho, exceptions) {
    current = ho;
    nameManifests(ho.manifests || []);
    const c = ho.counts || {};
    // replaceChildren would print a null as "null"; leave gaps out.
    head.replaceChildren(...[h('b', {}, sentence('ho.courierIs', { who: ho.courier }, 'who')),
      (ho.manifests || []).length ? manifestHeads : h('span', { class: 'item-sub' }, t('ho.noManifest')),
      (ho.unknown_manifests || []).length ? h('span', { class: 'tag tag-major' }, t('ho.unknownManifests', { ids: ho.unknown_manifests.join(', ') })) : null,
      h('span', { class: 'tag state', id: 'ho-state' }, label('hstate.', ho.state)), back].filter(Boolean));
    counts.replaceChildren(
      countTile('expected', t('ho.expected'), c.expected),
      countTile('scanned', t('ho.scanned'), c.scanned, 'count-ok'),
      countTile('missing', t('ho.missing'), c.missing, c.missing ? 'count-bad' : ''),
      countTile('extra', t('ho.extra'), c.extra, c.extra ? 'count-warn' : ''),
      countTile('duplicates', t('ho.duplicates'), c.duplicates, 'count-dim'));
    lists.replaceChildren(
      h('div', {}, h('h2', {}, t('ho.missingList', { n: (ho.missing || []).length })), waybillList('ho-missing', ho.missing || [], t('none'))),
      h('div', {}, h('h2', {}, t('ho.extraList', { n: (ho.extra || []).length })), waybillList('ho-extra', ho.extra || [], t('none'))));
    const open = ho.state === 'open';
    scan.disabled = !open;
    scanField.hidden = !open;
    signPanel.hidden = !open;
    if (!open) showExceptions(exceptions || []);
  }

  function showExceptions(xs) {
    excBox.replaceChildren(h('h2', {}, t('ho.exceptions', { n: xs.length })),
      h('ul', { class: 'list cards', id: 'ho-exception-list' }, xs.length ? xs.map((x) => h('li', { class: 'card', 'data-id': x.id, 'data-kind': x.report?.kind },
        h('div', { class: 'card-head' }, h('b', {}, label('kind.', x.report?.kind)), h('span', { class: 'item-main' }, x.report?.waybill),
          h('span', { class: 'item-sub' }, x.id)),
        x.report?.handover ? h('div', { class: 'muted small' }, handoverNote(x.report.kind, x.report.handover)) : null,
        x.report?.note ? written('div', { class: 'muted small' }, x.report.note) : null)) : h('li', { class: 'muted' }, t('ho.noExceptions'))),
      h('a', { class: 'btn btn-primary', href: '#/handover', id: 'ho-new' }, t('ho.new')));
  }

  onEnter(scan, async (code) => {
    const before = new Set(current?.scanned || []);
    scan.value = '';
    try {
      const res = await api('POST', `/api/v1/handovers/${encodeURIComponent(id)}/scans`, { barcode: code });
      clearError();
      const ho = res.handover;
      const w = (ho.scanned || []).find((x) => !before.has(x)) || code;
      const kind = before.has(w) || before.has(code) ? 'duplicate' : (ho.extra || []).includes(w) ? 'extra' : 'matched';
      last.className = 'last-scan last-' + kind;
      last.replaceChildren(h('span', { class: 'item-main' }, w), h('b', {}, t('ho.scan.' + kind)));
      show(ho);
    } catch (err) {
      showError(err);
    }
    scan.focus();
  });

  closeBtn.addEventListener('click', async () => {
    if (!signer.value.trim()) { signer.focus(); return showError(t('err.required', { field: t('ho.courierSigner') })); }
    if (courierPad.pad.empty()) return showError(t('ho.err.courierSign'));
    if (clerkPad.pad.empty()) return showError(t('ho.err.clerkSign'));
    closeBtn.disabled = true;
    try {
      const res = await api('POST', `/api/v1/handovers/${encodeURIComponent(id)}/close`, {
        courier: { signer: signer.value.trim(), svg: courierPad.pad.toSVG() },
        clerk: { svg: clerkPad.pad.toSVG() },
      });
      clearError();
      showInfo(t('ho.closed', { n: (res.exceptions || []).length }));
      show(res.handover, res.exceptions || []);
    } catch (err) {
      // A 409 names the session's state and what is allowed; shown as is.
      showError(err);
    } finally {
      closeBtn.disabled = false;
    }
  });

  root.append(h('div', { class: 'split split-even' },
    h('section', { class: 'panel' }, head,
      scanField,
      last, counts, lists),
    h('section', { class: 'panel side' }, signPanel, excBox)));
  keepFocus(scan, scope, () => Boolean(scan.value.trim() || signer.value.trim() && document.activeElement === signer));
  api('GET', `/api/v1/handovers/${encodeURIComponent(id)}`).then((res) => {
    show(res.handover, res.exceptions || []);
    if (!signer.value && res.handover.courier) signer.value = res.handover.courier;
    if (res.handover.state === 'open') scan.focus();
  }).catch((err) => {
    head.replaceChildren(h('span', { class: 'error-text' }, err.message), back);
    showError(err);
  });
  scan.focus();
}

// manifestName is what people call a manifest: its courier and line, as
// head office wrote them.
function manifestName(m) {
  return joined([m.courier, m.line], ' · ') || t('ho.manifestUnnamed');
}

// manifestHead is one manifest at the head of a session: courier, line and
// expected time, then the id, small.
function manifestHead(m) {
  return h('span', { class: 'item-sub ho-manifest', 'data-manifest-head': m.id },
    sentence('ho.manifestIs', { name: manifestName(m) }, 'name'),
    m.expected_at ? ' · ' + t('ho.expectedAt', { at: fmtTime(m.expected_at) }) : '',
    ' ', h('small', { class: 'muted manifest-id', title: m.id }, shortID(m.id)));
}
