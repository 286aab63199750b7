// What head office sends the outlets for the counter work: manifests
// (派件清单: the list, one manifest, publishing and amending), the tariff
// (the version in force, publishing a new one), the prohibited-items list
// (the version in force, publishing a new one) and waybill blocks
// (allocating a block for an outlet, an outlet's blocks). Each is a page
// of this module; main.js lists them with the others.

import { h, written, field, select, button, panel, dl, showError, clearError, showInfo } from '../dom.js';
import { listView } from '../list.js';
import { fmtTime, yuan, count } from '../format.js';
import { outletSelect } from '../scope.js';
import { rfc3339 } from './notices.js';

// READERS may read what head office sent; only administrators publish,
// amend and allocate (the hub's route table says the same).
const READERS = ['admin', 'service', 'emergency'];
const WRITERS = ['admin'];
const canWrite = (ctx) => WRITERS.includes(ctx.account?.role);

// ---------------------------------------------------------------------------
// Pure parts

// waybillLines reads a manifest's waybills from a text box: one a line (or
// separated by commas or spaces, as pasted from a spreadsheet), blanks
// dropped, order kept. Duplicates are kept for the hub to refuse by name.
export function waybillLines(text) {
  return String(text || '').split(/[\s,，;；]+/).map((s) => s.trim()).filter(Boolean);
}

// manifestBody is the publish or amend body of the form's values.
export function manifestBody({ outlet, courier, line, expectedAt, waybills }) {
  return {
    outlet: String(outlet || '').trim(),
    courier: String(courier || '').trim(),
    line: String(line || '').trim(),
    expected_at: rfc3339(expectedAt),
    waybills: waybillLines(waybills),
  };
}

// localInput writes an RFC 3339 time as a datetime-local value in the PC's
// time zone, the inverse of rfc3339, for editing a manifest.
export function localInput(v) {
  const d = new Date(v);
  if (!v || Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

// RULES are a prohibited item's rules.
export const RULES = ['forbidden', 'restricted'];

// prohibitedBody is the publish body of a version and its item rows; rows
// left wholly blank are dropped.
export function prohibitedBody(version, rows) {
  return {
    version: String(version || '').trim(),
    items: (rows || []).map((r) => {
      const it = { code: String(r.code || '').trim(), name: String(r.name || '').trim(), rule: RULES.includes(r.rule) ? r.rule : 'forbidden' };
      const note = String(r.note || '').trim();
      if (note) it.note = note;
      return it;
    }).filter((it) => it.code || it.name || it.note),
  };
}

// tariffBody is the publish body of a new version: the table as edited
// (JSON text, since a tariff is zones, rates and rules, not rows) with the
// version set. A table that is not a JSON object throws, with the reason.
export function tariffBody(version, tableText) {
  let table;
  try {
    table = JSON.parse(tableText);
  } catch (e) {
    throw new SyntaxError(e.message);
  }
  if (!table || typeof table !== 'object' || Array.isArray(table)) throw new SyntaxError('not an object');
  return { ...table, version: String(version || '').trim() };
}

// tariffTable is the part of a tariff a new version is edited from: the
// table without its version.
export function tariffTable(tariff) {
  const { version, ...rest } = tariff || {};
  return JSON.stringify(Object.keys(rest).length ? rest : { zones: {}, rates: {}, volumetric_divisor: 6000, max_weight_grams: 50000, insurance: { rate_bp: 0, min_fen: 0, max_declared_fen: 0 } }, null, 2);
}

// blockRow is a waybill block as the list shows it: how many serials it
// holds and how many of them are left.
export function blockRow(b) {
  return {
    size: b.last - b.first + 1,
    remaining: Math.max(0, b.last - Math.max(b.first, b.next ?? b.first) + 1),
  };
}

// serial writes a block's serial as the eight digits a waybill carries
// between its prefix and its check digit.
export const serial = (n) => String(n).padStart(8, '0');

// notFound reports whether an error is the hub's "nothing published yet".
const notFound = (e) => e?.status === 404;

// ---------------------------------------------------------------------------
// Manifests

function renderManifests(ctx) {
  const { t } = ctx;
  const v = listView(ctx, {
    path: '/api/v1/manifests', key: 'manifests', empty: 'manifests.empty',
    filters: [{ name: 'outlet', label: 'manifests.outlet' }],
    columns: [
      { label: 'manifests.col.id', cell: (m) => h('a', { href: '#/manifests/' + encodeURIComponent(m.id), 'data-manifest': m.id }, written('span', {}, m.id.slice(-8))) },
      { label: 'manifests.outlet', cell: (m) => written('span', {}, m.outlet) },
      { label: 'manifests.courier', cell: (m) => written('span', {}, m.courier || '') },
      { label: 'manifests.line', cell: (m) => written('span', {}, m.line || '') },
      { label: 'manifests.expectedAt', cell: (m) => fmtTime(m.expected_at) },
      { label: 'manifests.col.waybills', cell: (m) => count(m.waybills?.length), class: 'num' },
      { label: 'manifests.col.revision', cell: (m) => String(m.revision ?? ''), class: 'num' },
    ],
  });
  return { node: h('div', { class: 'manifests' }, h('div', { class: 'page-head' }, h('h1', {}, t('manifests.title')),
    canWrite(ctx) ? h('a', { class: 'btn btn-primary', href: '#/manifests/new', 'data-manifest': 'new' }, t('manifests.publish')) : null), v.node), dispose: v.dispose };
}

// manifestForm is the publish form, or the amend form of manifest m (its
// outlet fixed: an amendment stays with the manifest's outlet).
function manifestForm(ctx, m) {
  const { t } = ctx;
  const form = h('form', { class: 'form', 'data-manifest': m ? 'amend' : 'publish', onsubmit: async (e) => {
    e.preventDefault();
    const f = form.elements;
    const body = manifestBody({ outlet: f.outlet.value, courier: f.courier.value, line: f.line.value, expectedAt: f.expected_at.value, waybills: f.waybills.value });
    submit.disabled = true;
    try {
      const out = m ? await ctx.api.put('/api/v1/manifests/' + encodeURIComponent(m.id), body) : await ctx.api.post('/api/v1/manifests', body);
      clearError();
      showInfo(t(m ? 'manifests.amended' : 'manifests.published', { n: out.waybills?.length ?? 0 }));
      ctx.navigate('/manifests/' + encodeURIComponent(out.id), m ? { rev: out.revision } : {});
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
    }
  } },
  field(t('manifests.outlet'), h('input', { name: 'outlet', required: true, value: m?.outlet || '', readonly: m ? true : null, size: 16 })),
  field(t('manifests.courier'), h('input', { name: 'courier', value: m?.courier || '', size: 20 })),
  field(t('manifests.line'), h('input', { name: 'line', value: m?.line || '', size: 20 })),
  field(t('manifests.expectedAt'), h('input', { type: 'datetime-local', name: 'expected_at', required: true, value: m ? localInput(m.expected_at) : '' })),
  field(t('manifests.waybills'), h('textarea', { name: 'waybills', rows: 10, cols: 40, required: true }, (m?.waybills || []).join('\n'))),
  h('p', { class: 'hint' }, t('manifests.waybillsHint')));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t(m ? 'manifests.amend' : 'manifests.publish'));
  form.append(h('div', { class: 'actions' }, submit));
  return form;
}

function renderManifestNew(ctx) {
  return h('div', { class: 'manifests' }, h('p', {}, h('a', { href: '#/manifests' }, ctx.t('manifests.back'))),
    h('h1', {}, ctx.t('manifests.publishTitle')), manifestForm(ctx, null));
}

async function renderManifest(ctx) {
  const { t } = ctx;
  let m;
  try {
    m = await ctx.api.get('/api/v1/manifests/' + encodeURIComponent(ctx.params.id));
  } catch (e) {
    showError(e);
    return h('p', {}, h('a', { href: '#/manifests' }, t('manifests.back')));
  }
  const facts = dl([
    [t('manifests.outlet'), written('span', {}, m.outlet)],
    [t('manifests.courier'), written('span', {}, m.courier || '')],
    [t('manifests.line'), written('span', {}, m.line || '')],
    [t('manifests.expectedAt'), fmtTime(m.expected_at)],
    [t('manifests.at'), fmtTime(m.at)],
    [t('manifests.col.revision'), String(m.revision)],
    m.pending ? [t('manifests.pending'), t('manifests.pendingParts', { received: m.pending.received, parts: m.pending.parts })] : null,
  ]);
  const waybills = h('ol', { class: 'waybills', 'data-manifest': 'waybills' }, (m.waybills || []).map((w) => written('li', {}, w)));
  const conflicts = m.conflicts?.length ? panel(t('manifests.conflicts'), h('ul', {}, m.conflicts.map((c) => written('li', {}, JSON.stringify(c))))) : null;
  return h('div', { class: 'manifests', 'data-manifest-id': m.id },
    h('p', {}, h('a', { href: '#/manifests' }, t('manifests.back'))),
    h('h1', {}, t('manifests.one', { n: m.waybills?.length ?? 0 })), facts, conflicts,
    panel(t('manifests.waybills'), waybills),
    canWrite(ctx) ? h('details', { class: 'panel' }, h('summary', {}, t('manifests.amend')), manifestForm(ctx, m)) : null);
}

// ---------------------------------------------------------------------------
// Tariff

// versionList is the list of a versioned list's published versions,
// newest first, the one in force marked.
function versionList(ctx, path, key) {
  const { t } = ctx;
  return listView(ctx, {
    path, key, empty: 'versions.empty',
    columns: [
      { label: 'versions.version', cell: (v) => written('span', { 'data-version': v.version }, v.version) },
      { label: 'versions.publishedAt', cell: (v) => fmtTime(v.published_at) },
      { label: 'versions.current', cell: (v) => (v.current ? h('span', { class: 'tag tag-ok' }, t('versions.inForce')) : '') },
    ],
  });
}

async function renderTariff(ctx) {
  const { t } = ctx;
  let cur = null;
  try {
    cur = await ctx.api.get('/api/v1/tariffs');
  } catch (e) {
    if (!notFound(e)) showError(e);
  }
  const zones = Object.entries(cur?.zones || {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const rates = Object.entries(cur?.rates || {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const current = cur?.version ? h('div', { 'data-tariff': 'current' },
    dl([
      [t('tariff.version'), written('span', { 'data-tariff': 'version' }, cur.version)],
      [t('tariff.divisor'), String(cur.volumetric_divisor ?? '')],
      [t('tariff.maxWeight'), t('tariff.grams', { n: count(cur.max_weight_grams) })],
      [t('tariff.insurance'), t('tariff.insuranceRule', { bp: cur.insurance?.rate_bp ?? 0, min: yuan(cur.insurance?.min_fen), max: cur.insurance?.max_declared_fen ? yuan(cur.insurance.max_declared_fen) : t('tariff.noLimit') })],
    ]),
    h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ['tariff.zone', 'tariff.first', 'tariff.firstPrice', 'tariff.step', 'tariff.stepPrice'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, rates.map(([z, r]) => h('tr', {}, written('td', {}, z), h('td', { class: 'num' }, t('tariff.grams', { n: count(r.first_grams) })), h('td', { class: 'num' }, yuan(r.first_fen)),
        h('td', { class: 'num' }, t('tariff.grams', { n: count(r.step_grams) })), h('td', { class: 'num' }, yuan(r.step_fen)))))),
    h('details', {}, h('summary', {}, t('tariff.zones', { n: zones.length })),
      h('table', { class: 'list' }, h('thead', {}, h('tr', {}, h('th', {}, t('tariff.division')), h('th', {}, t('tariff.zone')))),
        h('tbody', {}, zones.map(([d, z]) => h('tr', {}, written('td', {}, d), written('td', {}, z)))))))
    : h('p', { class: 'empty', 'data-tariff': 'none' }, t('tariff.none'));

  const version = h('input', { name: 'version', required: true, size: 20 });
  const table = h('textarea', { name: 'table', rows: 16, cols: 80, spellcheck: 'false', class: 'mono' }, tariffTable(cur));
  const publish = panel(t('tariff.publish'), h('p', { class: 'hint' }, t('tariff.publishHint')),
    field(t('tariff.newVersion'), version), field(t('tariff.table'), table),
    button(t('tariff.publishSubmit'), async () => {
      let body;
      try {
        body = tariffBody(version.value, table.value);
      } catch (e) {
        showError(t('tariff.badJSON', { reason: e.message }));
        return;
      }
      const out = await ctx.api.post('/api/v1/tariffs', body);
      clearError();
      showInfo(t('tariff.published', { version: out.version }));
      ctx.navigate('/tariffs', { v: out.version });
    }, 'btn btn-primary'));
  const versions = versionList(ctx, '/api/v1/tariffs/versions', 'tariffs');
  return { node: h('div', { class: 'tariff' }, h('h1', {}, t('tariff.title')), panel(t('tariff.current'), current), canWrite(ctx) ? publish : null,
    panel(t('versions.title'), versions.node)), dispose: versions.dispose };
}

// ---------------------------------------------------------------------------
// Prohibited items

async function renderProhibited(ctx) {
  const { t } = ctx;
  let cur = null;
  try {
    cur = await ctx.api.get('/api/v1/prohibited-lists');
  } catch (e) {
    if (!notFound(e)) showError(e);
  }
  const items = cur?.items || [];
  const current = cur?.version ? h('div', { 'data-prohibited': 'current' },
    dl([[t('prohibited.version'), written('span', { 'data-prohibited': 'version' }, cur.version)], [t('prohibited.count'), String(items.length)]]),
    h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ['prohibited.code', 'prohibited.name', 'prohibited.rule', 'prohibited.note'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, items.map((it) => h('tr', {}, written('td', {}, it.code), written('td', {}, it.name), h('td', {}, t('prohibited.rule.' + it.rule)), written('td', {}, it.note || ''))))))
    : h('p', { class: 'empty', 'data-prohibited': 'none' }, t('prohibited.none'));

  const rows = h('tbody', { 'data-prohibited': 'rows' });
  const addRow = (it = {}) => {
    const tr = h('tr', { class: 'item-row' },
      h('td', {}, h('input', { name: 'code', value: it.code || '', size: 10, 'aria-label': t('prohibited.code') })),
      h('td', {}, h('input', { name: 'name', value: it.name || '', size: 24, 'aria-label': t('prohibited.name') })),
      h('td', {}, select('rule', RULES, (r) => t('prohibited.rule.' + r), it.rule || 'forbidden')),
      h('td', {}, h('input', { name: 'note', value: it.note || '', size: 30, 'aria-label': t('prohibited.note') })),
      h('td', {}, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => tr.remove() }, t('prohibited.remove'))));
    rows.append(tr);
  };
  for (const it of items) addRow(it);
  if (!items.length) addRow();
  const version = h('input', { name: 'version', required: true, size: 20 });
  const publish = panel(t('prohibited.publish'), h('p', { class: 'hint' }, t('prohibited.publishHint')),
    field(t('prohibited.newVersion'), version),
    h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ['prohibited.code', 'prohibited.name', 'prohibited.rule', 'prohibited.note', ''].map((k) => h('th', {}, k ? t(k) : '')))), rows),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => addRow() }, t('prohibited.add')),
      button(t('prohibited.publishSubmit'), async () => {
        const body = prohibitedBody(version.value, [...rows.querySelectorAll('.item-row')].map((tr) => ({
          code: tr.querySelector('[name=code]').value, name: tr.querySelector('[name=name]').value,
          rule: tr.querySelector('[name=rule]').value, note: tr.querySelector('[name=note]').value,
        })));
        const out = await ctx.api.post('/api/v1/prohibited-lists', body);
        clearError();
        showInfo(t('prohibited.published', { version: out.version }));
        ctx.navigate('/prohibited', { v: out.version });
      }, 'btn btn-primary')));
  const versions = versionList(ctx, '/api/v1/prohibited-lists/versions', 'prohibited_lists');
  return { node: h('div', { class: 'prohibited' }, h('h1', {}, t('prohibited.title')), panel(t('prohibited.current'), current), canWrite(ctx) ? publish : null,
    panel(t('versions.title'), versions.node)), dispose: versions.dispose };
}

// ---------------------------------------------------------------------------
// Waybill blocks

async function renderWaybills(ctx) {
  const { t } = ctx;
  const outlet = ctx.query?.outlet || '';
  let pick;
  try {
    pick = await outletSelect(ctx, 'outlet', outlet);
  } catch (e) {
    showError(e);
    pick = h('input', { name: 'outlet', value: outlet, size: 16 });
  }
  const chooser = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); ctx.navigate('/waybills', { outlet: pick.value }); } },
    field(t('waybills.outlet'), pick), h('button', { type: 'submit', class: 'btn btn-primary' }, t('waybills.show')));
  const node = h('div', { class: 'waybills-page' }, h('h1', {}, t('waybills.title')), chooser);
  if (!outlet) {
    node.append(h('p', { class: 'hint' }, t('waybills.pick')));
    return node;
  }
  let stock;
  try {
    stock = await ctx.api.get('/api/v1/outlets/' + encodeURIComponent(outlet) + '/waybills');
    clearError();
  } catch (e) {
    showError(e);
    return node;
  }
  // The blocks are a list of their own (paged, with CSV); the stock view
  // above says what is left of them all.
  const blocks = listView(ctx, {
    path: '/api/v1/outlets/' + encodeURIComponent(outlet) + '/waybill-blocks', key: 'blocks', empty: 'waybills.none',
    columns: [
      { label: 'waybills.range', cell: (b) => written('span', {}, `${b.prefix} ${serial(b.first)}–${serial(b.last)}`) },
      { label: 'waybills.size', cell: (b) => count(blockRow(b).size), class: 'num' },
      { label: 'waybills.left', cell: (b) => count(blockRow(b).remaining), class: 'num' },
      { label: 'waybills.country', cell: (b) => written('span', {}, b.country) },
      { label: 'waybills.at', cell: (b) => fmtTime(b.at) },
    ],
  });
  blocks.node.dataset.waybills = 'blocks';
  node.append(
    panel(t('waybills.stock'), dl([
      [t('waybills.issued'), count(stock.issued)],
      [t('waybills.remaining'), h('span', { 'data-waybills': 'remaining' }, count(stock.remaining))],
      [t('waybills.next'), stock.next ? written('span', {}, stock.next) : t('waybills.usedUp')],
      stock.refill_due ? [t('waybills.refill'), h('strong', { class: 'warn' }, t('waybills.refillDue'))] : null,
    ])),
    panel(t('waybills.blocks'), blocks.node),
    canWrite(ctx) ? panel(t('waybills.allocate'), allocateForm(ctx, outlet)) : null);
  return { node, dispose: blocks.dispose };
}

function allocateForm(ctx, outlet) {
  const { t } = ctx;
  const n = h('input', { type: 'number', name: 'count', min: 1, max: 100000, value: 1000, required: true });
  return h('div', { class: 'form-row', 'data-waybills': 'allocate' }, field(t('waybills.count'), n),
    button(t('waybills.allocateSubmit'), async () => {
      const b = await ctx.api.post('/api/v1/outlets/' + encodeURIComponent(outlet) + '/waybill-blocks', { count: Number(n.value) });
      clearError();
      showInfo(t('waybills.allocated', { first: `${b.prefix} ${serial(b.first)}`, n: b.last - b.first + 1 }));
      ctx.navigate('/waybills', { outlet, at: b.first });
    }, 'btn btn-primary'));
}

// pages: publishing a manifest before one manifest, whose :id would match
// "new".
export const pages = [
  { id: 'manifests', path: '/manifests', roles: READERS, nav: 'nav.manifests', reads: ['GET /api/v1/manifests'], render: renderManifests },
  { id: 'manifest-new', path: '/manifests/new', roles: WRITERS, reads: ['POST /api/v1/manifests'], render: renderManifestNew },
  { id: 'manifest', path: '/manifests/:id', roles: READERS, reads: ['GET /api/v1/manifests/{id}'], acts: { roles: WRITERS, routes: ['PUT /api/v1/manifests/{id}'] }, render: renderManifest },
  { id: 'tariffs', path: '/tariffs', roles: READERS, nav: 'nav.tariffs', reads: ['GET /api/v1/tariffs', 'GET /api/v1/tariffs/versions'],
    acts: { roles: WRITERS, routes: ['POST /api/v1/tariffs'] }, render: renderTariff },
  { id: 'prohibited', path: '/prohibited', roles: READERS, nav: 'nav.prohibited', reads: ['GET /api/v1/prohibited-lists', 'GET /api/v1/prohibited-lists/versions'],
    acts: { roles: WRITERS, routes: ['POST /api/v1/prohibited-lists'] }, render: renderProhibited },
  { id: 'waybills', path: '/waybills', roles: READERS, nav: 'nav.waybills', reads: ['GET /api/v1/outlets/{id}/waybills', 'GET /api/v1/outlets/{id}/waybill-blocks'],
    acts: { roles: WRITERS, routes: ['POST /api/v1/outlets/{id}/waybill-blocks'] }, render: renderWaybills },
];
export const page = pages[0];
