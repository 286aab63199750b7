// Pickup (取件): find the parcel by pickup code, waybill or the phone's last
// four digits, check identity, and have the recipient (or their named agent)
// sign; or record that the customer refused it. A parcel found that was
// checked in but never shelved has no code to hand over against: it is
// shelved right here, and then picked up.

import { h, field, group, choice, written, showError, clearError, showInfo } from '../dom.js';
import { t, label } from '../i18n.js';
import { api, findParcels } from '../api.js';
import { maskedContact } from '../format.js';
import { idChecks, signers } from '../kinds.js';
import { signatureBox } from '../signature.js';
import { parcelRow, shelveForm } from '../widgets.js';
import { revealButton } from '../reveal.js';
import { classTag } from '../classtag.js';

// A pickup code is shelf-layer-number; anything else typed or scanned is
// taken for a waybill.
const CODE_RE = /^\d+-\d+-\d+$/;

// findQuery is the search for what the clerk typed: the last four digits
// plus the code narrow to one parcel; the digits alone list that customer's
// parcels to choose from.
export function findQuery(q, last4) {
  const params = new URLSearchParams();
  if (last4) {
    params.set('phone_last4', last4);
    if (q) params.set('code', q);
  } else if (CODE_RE.test(q)) params.set('code', q);
  else params.set('waybill', q);
  return params;
}

export function renderPickup(root, scope) {
  const query = h('input', { id: 'pickup-query', class: 'input-scan', autocomplete: 'off', spellcheck: 'false' });
  const phone4 = h('input', { id: 'pickup-phone4', inputmode: 'numeric', maxlength: 4, autocomplete: 'off' });
  const results = h('ul', { class: 'list', id: 'pickup-results' });
  const findForm = h('form', { class: 'find', id: 'pickup-find' },
    field(t('pickup.query'), query, 'grow'), field(t('pickup.phone4'), phone4, 'short4'),
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'pickup-search' }, t('pickup.search')));

  let selected = null;
  const selBox = h('div', { class: 'selected', id: 'pickup-selected' }, h('span', { class: 'muted' }, t('pickup.none')));
  const idCheck = choice('id_check', idChecks(), 'idc.', 'code_only');
  const agentName = h('input', { id: 'pickup-agent-name', autocomplete: 'off' });
  const agentField = field(t('pickup.agentName'), agentName, 'grow');
  agentField.hidden = true;
  const signer = choice('signer', signers(), 'signer.', 'recipient', (v) => { agentField.hidden = v !== 'agent'; });
  const confirm = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'pickup-confirm', disabled: true }, t('pickup.confirm'));
  const reason = h('input', { id: 'refuse-reason', autocomplete: 'off' });
  const refuseBtn = h('button', { type: 'button', class: 'btn btn-danger', id: 'refuse-confirm', disabled: true }, t('pickup.refuseConfirm'));
  const refuseBox = h('div', { class: 'row refuse', id: 'refuse-box', hidden: true }, field(t('pickup.refuseReason'), reason, 'grow'), refuseBtn);
  const refuseToggle = h('button', { type: 'button', class: 'btn btn-danger-ghost', id: 'pickup-refuse', disabled: true,
    onclick: () => { refuseBox.hidden = !refuseBox.hidden; if (!refuseBox.hidden) reason.focus(); } }, t('pickup.refuse'));

  const signBox = signatureBox({
    id: 'sign-pad', hint: t('pickup.signHere'), scope,
    tools: [h('span', { class: 'muted small grow' }, t('pickup.staffNote')), refuseToggle, confirm],
  });
  const pad = signBox.pad;

  function choose(p) {
    selected = p;
    const unshelved = p.status === 'inbound';
    // replaceChildren would print a null as "null"; leave gaps out.
    selBox.replaceChildren(...[h('span', { class: 'code code-mid' }, p.pickup_code || '—'),
      h('span', { class: 'item-main' }, p.waybill),
      written('span', { class: 'item-sub' }, maskedContact(p)),
      p.phone_masked ? revealButton('parcel', p.waybill, 'phone') : null,
      h('span', { class: 'tag' }, label('status.', p.status)),
      classTag('pickup-class', { waybill: p.waybill }),
      unshelved ? h('div', { class: 'grow', id: 'pickup-unshelved' }, h('div', { class: 'warn-text' }, t('pickup.unshelved')),
        shelveForm(p, (np) => { replaceResult(np); choose(np); })) : null,
      p.status === 'in_stock' ? moveButton(p) : null].filter(Boolean));
    for (const b of [confirm, refuseToggle, refuseBtn]) b.disabled = unshelved;
    for (const li of results.children) li.classList.toggle('on', li.dataset.waybill === p.waybill);
  }

  // moveButton opens the shelve form for a parcel put on the wrong shelf
  // (or found elsewhere): it gets a new code, and the old one is freed.
  function moveButton(p) {
    const b = h('button', { type: 'button', class: 'btn btn-small', id: 'pickup-move' }, t('shelve.move'));
    b.addEventListener('click', () => b.replaceWith(shelveForm(p, (np) => { replaceResult(np); choose(np); })));
    return b;
  }

  // replaceResult shows a parcel's new state in the results it was found in.
  function replaceResult(p) {
    const old = [...results.children].find((li) => li.dataset.waybill === p.waybill);
    if (old) old.replaceWith(resultRow(p));
  }

  function resultRow(p) {
    const li = parcelRow(p);
    li.append(h('span', { class: 'tag' }, label('status.', p.status)));
    li.classList.add('clickable');
    li.addEventListener('click', () => choose(p));
    return li;
  }

  function reset() {
    selected = null;
    selBox.replaceChildren(h('span', { class: 'muted' }, t('pickup.none')));
    for (const b of [confirm, refuseToggle, refuseBtn]) b.disabled = true;
    pad.clear();
    agentName.value = '';
    reason.value = '';
    refuseBox.hidden = true;
    results.replaceChildren();
    query.value = '';
    phone4.value = '';
    query.focus();
  }

  findForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = query.value.trim();
    const last4 = phone4.value.trim();
    if (!q && !last4) { query.focus(); return showError(t('err.required', { field: t('pickup.query') })); }
    try {
      const ps = await findParcels(findQuery(q, last4));
      clearError();
      results.replaceChildren(...(ps.length ? ps.map(resultRow) : [h('li', { class: 'muted' }, t('pickup.noResult'))]));
      if (ps.length === 1) choose(ps[0]);
    } catch (err) {
      showError(err);
    }
  });

  confirm.addEventListener('click', async () => {
    if (!selected) return showError(t('pickup.none'));
    if (pad.empty()) return showError(t('err.sign'));
    const req = { code: selected.pickup_code, id_check: idCheck.value, signer: signer.value, signature_svg: pad.toSVG() };
    if (signer.value === 'agent') {
      if (!agentName.value.trim()) { agentName.focus(); return showError(t('err.agentName')); }
      req.agent_name = agentName.value.trim();
    }
    confirm.disabled = true;
    try {
      await api('POST', `/api/v1/parcels/${encodeURIComponent(selected.waybill)}/pickup`, req);
      clearError();
      showInfo(t('pickup.done', { waybill: selected.waybill }));
      reset();
    } catch (err) {
      // A 409 names the parcel's state and what is allowed; show it as is.
      showError(err);
      confirm.disabled = false;
    }
  });

  refuseBtn.addEventListener('click', async () => {
    if (!selected) return;
    if (!reason.value.trim()) { reason.focus(); return showError(t('err.required', { field: t('pickup.refuseReason') })); }
    refuseBtn.disabled = true;
    try {
      await api('POST', `/api/v1/parcels/${encodeURIComponent(selected.waybill)}/refuse`, { reason: reason.value.trim() });
      clearError();
      showInfo(t('pickup.refused', { waybill: selected.waybill }));
      reset();
    } catch (err) {
      showError(err);
      refuseBtn.disabled = false;
    }
  });

  root.append(h('div', { class: 'split split-pickup' },
    h('section', { class: 'panel' }, h('h1', {}, t('pickup.find')), findForm, results),
    h('section', { class: 'panel hand' },
      h('h2', {}, t('pickup.selected')), selBox,
      h('div', { class: 'row' }, group(t('pickup.idCheck'), idCheck), group(t('pickup.signer'), signer)),
      agentField,
      signBox.el,
      refuseBox)));
  query.focus();
}
