// Sending at the counter (收寄): the sender's real-name registration, the
// recipient, the contents checked item by item against head office's
// prohibited list, the weight from the scale and the price from the tariff;
// accepting prints the waybill label.

import { $, h, field, group, choice, written, sentence, showError, clearError } from '../dom.js';
import { t, label, known } from '../i18n.js';
import { api } from '../api.js';
import { poll } from '../router.js';
import { yuan, kg, maskedParty, deviceTitle, quoteLine } from '../format.js';
import { itemTypes } from '../kinds.js';
import { effectBanner, suspendedArea } from '../effects.js';
import { watchNotices } from '../header.js';
import { classTag, fillClass } from '../classtag.js';

export function renderSending(root, scope) {
  const inp = (id, props) => h('input', { id, autocomplete: 'off', ...props });
  const sName = inp('send-sender-name');
  const sPhone = inp('send-sender-phone', { inputmode: 'tel', maxlength: 20 });
  // The sender's class, once the phone typed is a whole number.
  const sClass = classTag('send-sender-class');
  sPhone.addEventListener('change', () => { if (sPhone.value.trim().replace(/\D/g, '').length >= 11) fillClass(sClass, { phone: sPhone.value.trim() }); else fillClass(sClass, null); });
  const idType = h('select', { id: 'send-id-type' }, h('option', { value: 'resident_id' }, t('idt.resident_id')));
  const idNumber = inp('send-id-number', { spellcheck: 'false', maxlength: 32 });
  const rName = inp('send-rcpt-name');
  const rPhone = inp('send-rcpt-phone', { inputmode: 'tel', maxlength: 20 });
  const rAddress = inp('send-rcpt-address');
  const dests = h('datalist', { id: 'send-dest-codes' });
  const dest = inp('send-dest', { list: 'send-dest-codes', inputmode: 'numeric', spellcheck: 'false' });
  // A destination whose deliveries a notice suspends is warned about, not
  // refused: head office decides whether such parcels are taken.
  const destWarn = h('div', { class: 'alert-warn', id: 'send-dest-suspended', role: 'status', hidden: true });
  const checkDest = () => {
    const d = dest.value.trim();
    destWarn.hidden = !suspendedArea(d);
    destWarn.textContent = destWarn.hidden ? '' : t('eff.areaWarn', { area: d });
  };
  dest.addEventListener('input', checkDest);
  watchNotices(checkDest, scope);
  const advice = h('div', { class: 'advice', id: 'send-advice' });
  // Packaging advice per item type is the screen's own words (pack.<type>).
  const adviseFor = (v) => { advice.textContent = known('pack.' + v) ? t('pack.' + v) : ''; };
  const itemType = choice('item_type', itemTypes(), 'item.', 'documents', adviseFor);
  const items = inp('send-items');
  const checklist = h('ul', { class: 'list checklist', id: 'send-prohibited' }, h('li', { class: 'muted' }, t('loading')));
  const blocked = h('div', { class: 'alert-bad', id: 'send-blocked', hidden: true });
  const weight = inp('send-weight', { type: 'number', min: 0, step: '0.001', class: 'short-num' });
  const weightFrom = h('span', { class: 'tag', id: 'send-weight-from' }, t('send.manual'));
  const scales = h('div', { class: 'scales', id: 'send-scales' });
  const dim = (id) => inp(id, { type: 'number', min: 0, step: 1, class: 'short-num' });
  const len = dim('send-length'), wid = dim('send-width'), hei = dim('send-height');
  const declared = inp('send-declared', { type: 'number', min: 0, step: '0.01', class: 'short-num' });
  const insured = h('input', { type: 'checkbox', id: 'send-insured' });
  const quoteBtn = h('button', { type: 'button', class: 'btn', id: 'send-quote' }, t('send.quote'));
  const quoteBox = h('div', { class: 'quote', id: 'send-quote-box' });
  const submit = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'send-submit' }, t('send.submit'));
  const result = h('div', { class: 'result', id: 'send-result' });
  const left = h('span', { class: 'tag', id: 'send-left' });
  let prohibited = null; // the list in force
  let scaleName = '';    // the scale the shown weight came from ('' = typed)
  const present = new Set();
  const absent = new Set();

  weight.addEventListener('input', () => { scaleName = ''; weightFrom.textContent = t('send.manual'); quoteBox.replaceChildren(); });

  function drawChecklist() {
    if (!prohibited) return;
    checklist.replaceChildren(...prohibited.items.map((it) => {
      const state = absent.has(it.code) ? 'absent' : present.has(it.code) ? 'present' : '';
      const set = (v) => () => {
        absent.delete(it.code); present.delete(it.code);
        (v === 'absent' ? absent : present).add(it.code);
        drawChecklist();
      };
      return h('li', { class: 'check-item ' + state, 'data-code': it.code },
        h('span', { class: 'grow' }, written('b', {}, it.name), ' ',
          h('span', { class: 'tag' + (it.rule === 'forbidden' ? ' tag-major' : '') }, label('rule.', it.rule)),
          it.note ? written('span', { class: 'muted small' }, ' ' + it.note) : null),
        h('button', { type: 'button', class: 'btn btn-small choice-btn' + (state === 'absent' ? ' on' : ''), 'data-absent': it.code, onclick: set('absent') }, t('send.absent')),
        h('button', { type: 'button', class: 'btn btn-small choice-btn' + (state === 'present' ? ' on bad' : ''), 'data-present': it.code, onclick: set('present') }, t('send.present')));
    }));
    const bad = prohibited.items.filter((it) => present.has(it.code));
    blocked.hidden = !bad.length;
    blocked.replaceChildren(...(bad.length ? sentence('send.cannotSend', { items: bad.map((it) => it.name).join(t('list.sep')) }, 'items') : []));
    submit.disabled = bad.length > 0;
  }

  async function loadCatalog() {
    try {
      const cat = await api('GET', '/api/v1/sending/catalog');
      adviseFor(itemType.value);
      idType.replaceChildren(...(cat.id_types || ['resident_id']).map((v) => h('option', { value: v, selected: v === idType.value }, label('idt.', v))));
      dests.replaceChildren(...Object.entries(cat.tariff?.zones || {}).sort().map(([code, zone]) => h('option', { value: code }, code + ' · ' + zone)));
      if (!prohibited || prohibited.version !== cat.prohibited?.version) {
        prohibited = cat.prohibited || null;
        absent.clear(); present.clear();
        if (prohibited) drawChecklist();
        else checklist.replaceChildren(h('li', { class: 'error-text' }, t('send.noList')));
      }
      left.textContent = cat.waybills ? t('send.left', { n: cat.waybills.remaining }) : t('send.noNumbers');
      left.classList.toggle('tag-major', !cat.waybills || cat.waybills.remaining < 10);
    } catch (err) {
      checklist.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  async function loadScales() {
    try {
      const devs = ((await api('GET', '/api/v1/devices')).devices || []).filter((d) => d.kind === 'scale');
      scales.replaceChildren(...(devs.length ? devs.map((d) => h('button', {
        type: 'button', class: 'btn btn-scale dev-' + d.state, id: 'send-scale-' + d.name, 'data-scale': d.name, title: deviceTitle(d),
        onclick: () => readScale(d.name),
      }, h('span', { class: 'dot' }), sentence('send.readScale', { name: d.name }, 'name'))) : [h('span', { class: 'muted small' }, t('send.noScale'))]));
    } catch (err) {
      scales.replaceChildren(h('span', { class: 'error-text small' }, t('scan.devicesError', { msg: err.message })));
    }
  }

  // request builds the SendReq from the form; weighing says whether the
  // weight comes from the scale.
  function request() {
    const req = {
      sender: { name: sName.value.trim(), phone: sPhone.value.trim() },
      sender_id_type: idType.value, sender_id_number: idNumber.value.trim(),
      recipient: { name: rName.value.trim(), phone: rPhone.value.trim(), address: rAddress.value.trim(), dest_code: dest.value.trim() },
      item_type: itemType.value, items: items.value.trim(),
      prohibited_version: prohibited?.version || '', prohibited_checked: [...absent],
    };
    if (scaleName) req.scale = scaleName;
    else if (weight.value !== '') req.weight_grams = Math.round(Number(weight.value) * 1000);
    for (const [k, el] of [['length_cm', len], ['width_cm', wid], ['height_cm', hei]]) if (el.value !== '') req[k] = Math.round(Number(el.value));
    if (declared.value !== '') req.declared_fen = Math.round(Number(declared.value) * 100);
    if (insured.checked) req.insured = true;
    return req;
  }

  function showQuote(res) {
    const q = res.quote || {};
    quoteBox.replaceChildren(
      h('table', { class: 'quote-lines' }, (q.lines || []).map((l) => h('tr', { 'data-line': l.code }, h('td', {}, quoteLine(l)), h('td', { class: 'num' }, yuan(l.fen))))),
      h('div', { class: 'quote-total' }, h('span', {}, t('send.total')), h('b', { id: 'send-total' }, yuan(q.total_fen))),
      h('div', { class: 'muted small' }, t('send.quoteInfo', { w: kg(res.weight_grams), c: kg(q.chargeable_grams), v: res.tariff_version || '' }),
        // The zone's name is head office's, from the tariff.
        q.zone ? [' · ' + t('send.zone') + ' ', written('span', {}, q.zone)] : null));
  }

  async function quote(scale) {
    if (!dest.value.trim()) { dest.focus(); throw new Error(t('err.required', { field: t('send.dest') })); }
    const req = request();
    if (scale) { req.scale = scale; delete req.weight_grams; }
    const res = await api('POST', '/api/v1/sending/quote', req);
    showQuote(res);
    return res;
  }

  async function readScale(name) {
    const btn = $('#send-scale-' + CSS.escape(name));
    if (btn) btn.disabled = true;
    try {
      const res = await quote(name);
      clearError();
      weight.value = (res.weight_grams / 1000).toFixed(3);
      scaleName = name;
      weightFrom.textContent = t('send.fromScale', { name });
    } catch (err) {
      showError(err);
    } finally {
      if (btn) btn.disabled = false;
    }
  }

  quoteBtn.addEventListener('click', async () => {
    try { await quote(); clearError(); } catch (err) { showError(err); }
  });

  submit.addEventListener('click', async () => {
    if (!prohibited) return showError(t('send.noList'));
    const unchecked = prohibited.items.filter((it) => !absent.has(it.code));
    if (unchecked.length) return showError(t('send.confirmAll', { items: unchecked.map((it) => it.name).join(t('list.sep')) }));
    submit.disabled = true;
    try {
      const res = await api('POST', '/api/v1/shipments', request());
      clearError();
      const sh = res.shipment || {};
      result.replaceChildren(h('div', { class: 'result-card ok' },
        h('div', { class: 'result-head' }, t('send.done')),
        h('div', { class: 'code-label' }, t('send.number')),
        h('div', { class: 'code code-waybill', id: 'send-number' }, sh.number || '—'),
        h('div', {}, `${kg(sh.weight_grams)} · ${yuan(sh.quote?.total_fen)} · ${label('item.', sh.item_type)}`),
        h('div', { class: 'muted' }, sentence('send.parties', {
          s: maskedParty(sh.sender, sh.sender_id_masked),
          r: maskedParty(sh.recipient, sh.recipient?.dest_code),
        }, 's', 'r')),
        h('div', { class: 'muted', id: 'send-label' }, res.label_job ? t('send.labelPrinted', { job: res.label_job }) : t('send.noLabel'))));
      for (const el of [sName, sPhone, idNumber, rName, rPhone, rAddress, dest, items, weight, len, wid, hei, declared]) el.value = '';
      checkDest();
      insured.checked = false;
      scaleName = '';
      weightFrom.textContent = t('send.manual');
      absent.clear(); present.clear();
      drawChecklist();
      quoteBox.replaceChildren();
      loadCatalog();
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = Boolean(prohibited?.items.some((it) => present.has(it.code)));
    }
  });

  // Sized for 1366×768: the parties and the contents on the left, the
  // checklist, weight and price on the right, the result on top of them.
  root.append(h('div', { class: 'split split-send' },
    h('section', { class: 'panel send-form', id: 'send-form' },
      h('div', { class: 'card-head' }, h('h1', {}, t('send.title')), left),
      effectBanner('send-effects', ['areas'], scope),
      h('h2', {}, t('send.sender')),
      h('div', { class: 'row' }, field(t('send.name'), sName, 'grow'), field(t('send.phone'), sPhone, 'grow'), sClass,
        field(t('send.idType'), idType), field(t('send.idNumber'), idNumber, 'grow id-number')),
      h('h2', {}, t('send.recipient')),
      h('div', { class: 'row' }, field(t('send.name'), rName, 'grow'), field(t('send.phone'), rPhone, 'grow'), field(t('send.dest'), dest, 'short-dest')),
      destWarn,
      field(t('send.address'), rAddress, 'field-wide'), dests,
      h('div', { class: 'row send-item' }, group(t('send.item'), itemType),
        field(t('send.items'), items, 'grow')),
      advice,
      h('h2', {}, t('send.prohibited')), checklist, blocked),
    h('section', { class: 'panel side send-side' },
      result,
      h('h2', {}, t('send.weight')),
      h('div', { class: 'row row-end' }, field(t('send.weightKg'), weight), scales, weightFrom),
      h('div', { class: 'row' }, field(t('send.length'), len), field(t('send.width'), wid), field(t('send.height'), hei)),
      h('div', { class: 'row row-end' }, field(t('send.declared'), declared), h('label', { class: 'check' }, insured, t('send.insured')), quoteBtn),
      quoteBox,
      h('div', { class: 'row pad-tools' }, h('span', { class: 'grow' }), submit))));
  poll(loadCatalog, 30000, scope);
  poll(loadScales, 5000, scope);
  sName.focus();
}
