// Choosing outlets: every row of a paged list (allRows), and the scope
// picker a notice is composed with — regions (GET /api/v1/regions) and
// outlets, which a region filter narrows (GET /api/v1/outlets?region=).
// A notice goes to the union of the regions' outlets and the outlets
// ticked; nothing ticked means every outlet.

import { h, field, select, written } from './dom.js';

// MAX_PAGES bounds allRows: 500 rows a page, 20 pages, more outlets than
// a network has.
const MAX_PAGES = 20;

// allRows reads every page of a list route ({key: [...], next}) by its
// cursor. A route that takes no paging yet refuses limit; it is then asked
// once without.
export async function allRows(api, path, query, key) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    let res;
    try {
      res = await api.get(path, { ...query, limit: 500, cursor });
    } catch (e) {
      if (i === 0 && e.status === 400 && /filter/.test(String(e.code || ''))) {
        res = await api.get(path, query);
        return Array.isArray(res[key]) ? res[key] : [];
      }
      throw e;
    }
    if (Array.isArray(res[key])) out.push(...res[key]);
    cursor = res.next || null;
    if (!cursor) break;
  }
  return out;
}

// scopeBody is the part of a notice's publish body the picker chose:
// scope (outlet ids) always, regions only when some are ticked, so a hub
// that does not take regions yet still takes a notice by outlet.
export function scopeBody(outlets, regions) {
  const body = { scope: [...new Set(outlets)].sort() };
  const rs = [...new Set(regions)].sort();
  if (rs.length) body.regions = rs;
  return body;
}

// scopePicker builds the picker, with the outlets of initial ticked. It
// returns {node, value()} where value() is scopeBody of what is ticked. t
// is the translator.
export function scopePicker(ctx, initial = []) {
  const { t, api } = ctx;
  const chosenOutlets = new Set(initial);
  const chosenRegions = new Set();
  const regionsBox = h('div', { class: 'checks', 'data-scope': 'regions' }, t('scope.loading'));
  const outletsBox = h('div', { class: 'checks', 'data-scope': 'outlets' }, t('scope.loading'));
  const filter = h('select', { name: 'scope-region' }, h('option', { value: '' }, t('scope.anyRegion')));
  const summary = h('p', { class: 'hint', 'data-scope': 'summary' });
  const say = () => {
    summary.textContent = !chosenOutlets.size && !chosenRegions.size
      ? t('scope.everyOutlet')
      : t('scope.chosen', { regions: chosenRegions.size, outlets: chosenOutlets.size });
  };
  const check = (set, value, text, data) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', [data]: value, checked: set.has(value), onchange: (e) => {
      if (e.target.checked) set.add(value); else set.delete(value);
      say();
    } }), written('span', {}, text));

  async function loadOutlets() {
    outletsBox.replaceChildren(t('scope.loading'));
    try {
      const os = await allRows(api, '/api/v1/outlets', { region: filter.value }, 'outlets');
      outletsBox.replaceChildren(...(os.length ? os.map((o) => check(chosenOutlets, o.id, o.region ? `${o.id} · ${o.region}` : o.id, 'data-outlet')) : [t('scope.noOutlets')]));
    } catch (e) {
      outletsBox.replaceChildren(h('span', { class: 'error-text' }, e.message));
    }
  }
  async function loadRegions() {
    try {
      const res = await api.get('/api/v1/regions');
      const rs = Array.isArray(res.regions) ? res.regions : [];
      regionsBox.replaceChildren(...(rs.length ? rs.map((r) => check(chosenRegions, r.region, t('scope.region', { region: r.region, n: r.outlets ?? 0 }), 'data-region')) : [t('scope.noRegions')]));
      for (const r of rs) filter.append(h('option', { value: r.region }, r.region));
    } catch (e) {
      // A hub without regions yet: the scope is by outlet only.
      regionsBox.replaceChildren(h('span', { class: 'hint' }, e.status === 404 ? t('scope.noRegionsRoute') : e.message));
    }
  }
  filter.addEventListener('change', loadOutlets);
  say();
  const ready = Promise.all([loadRegions(), loadOutlets()]);
  const node = h('fieldset', { class: 'scope', 'data-scope': 'picker' }, h('legend', {}, t('scope.title')),
    h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('scope.regions')), regionsBox),
    h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('scope.outlets')), field(t('scope.filterRegion'), filter), outletsBox),
    summary);
  return { node, ready, value: () => scopeBody(chosenOutlets, chosenRegions) };
}

// outletSelect is a drop-down of every outlet, for pages about one.
export async function outletSelect(ctx, name, initial) {
  const os = await allRows(ctx.api, '/api/v1/outlets', {}, 'outlets');
  return select(name, os.map((o) => o.id), (id) => id, initial, ctx.t('scope.pickOutlet'));
}
