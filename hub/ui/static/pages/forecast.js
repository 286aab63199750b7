// Peak planning: the forecast page (one outlet, a region, or all outlets:
// an ECharts chart of the history, the 14 days ahead with their band and
// head office's events marked, and the staffing table with the backtest
// against seasonal-naive), and the calendar of promotions and holidays,
// which analysts edit. The chart's option comes from forecastchart.js;
// ECharts is loaded only when the page opens.

import { h, written, field, select, button, showError, showInfo, clearError } from '../dom.js';
import { listView } from '../list.js';
import { forecastQuery, forecastOption, dayRows, backtestLine, eventBody, eventName } from '../forecastchart.js';

export const ROLES = ['admin', 'service', 'emergency', 'analyst'];
// EDITORS may change the calendar (the hub's role table).
export const EDITORS = ['admin', 'analyst'];
export const KINDS = ['promotion', 'holiday'];
const CHART_HEIGHT = 360;

let echartsModule = null;
function loadECharts() {
  echartsModule ??= import('../vendor/echarts/echarts.esm.min.js');
  return echartsModule;
}

const forecastPage = {
  id: 'forecast', path: '/forecast', roles: ROLES, nav: 'nav.forecast',
  reads: ['GET /api/v1/forecast', 'GET /api/v1/regions'],
  async render(ctx) {
    const { t } = ctx;
    const q = forecastQuery(ctx.query);
    let regions = [];
    try {
      regions = ((await ctx.api.get('/api/v1/regions')).regions || []).map((r) => r.region);
    } catch (e) {
      showError(e);
    }
    const form = h('form', { class: 'filters', 'data-forecast': 'filters', onsubmit: (e) => {
      e.preventDefault();
      ctx.navigate('/forecast', forecastQuery({ outlet: form.elements.outlet.value, region: form.elements.region.value }));
    } },
    field(t('fcst.region'), select('region', regions, (r) => r, q.region || '', t('fcst.all'))),
    field(t('fcst.outlet'), h('input', { name: 'outlet', value: q.outlet || '', size: 14, placeholder: t('fcst.outletHint') })),
    h('button', { type: 'submit', class: 'btn btn-primary' }, t('fcst.show')));
    const status = h('p', { class: 'hint', 'data-forecast': 'status' }, t('fcst.loading'));
    const body = h('div', {});
    const node = h('div', { class: 'forecast', 'data-forecast': 'page' }, h('h1', {}, t('fcst.title')), form, status, body);
    let chart = null;
    let disposed = false;
    const dispose = () => { disposed = true; chart?.dispose(); };
    let plan;
    try {
      plan = await ctx.api.get('/api/v1/forecast', q);
      clearError();
    } catch (e) {
      status.textContent = t('fcst.failed');
      showError(e);
      return { node, dispose };
    }
    const scope = plan.scope === '*' ? t('fcst.all') : plan.scope.startsWith('region:') ? plan.scope.slice(7) : plan.scope;
    status.replaceChildren(written('b', {}, scope), ' · ', t('fcst.asOf', { date: plan.as_of, n: plan.outlets, rate: plan.per_clerk_hour }),
      ...(plan.short?.length ? [' · ', h('span', { 'data-forecast': 'short' }, t('fcst.short', { n: plan.short.length }))] : []));
    const box = h('div', { class: 'chart', 'data-chart': 'forecast', role: 'img', 'aria-label': t('fcst.chart') });
    const table = h('table', { class: 'list', 'data-forecast': 'table' },
      h('thead', {}, h('tr', {}, ['fcst.date', 'fcst.event', 'fcst.expected', 'fcst.band', 'fcst.hours', 'fcst.clerks'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, dayRows(plan, ctx.lang).map((r) => h('tr', { 'data-date': r.date },
        h('td', {}, r.date), written('td', {}, r.event + (r.event && r.uplift !== 1 ? ` ×${r.uplift}` : '')),
        h('td', { class: 'num' }, String(r.expected)), h('td', { class: 'num' }, `${r.low}–${r.high}`),
        h('td', { class: 'num' }, String(r.hours)), h('td', { class: 'num', 'data-clerks': r.clerks }, String(r.clerks))))));
    body.append(h('section', { class: 'panel' }, box),
      h('p', { class: 'hint', 'data-forecast': 'backtest' }, backtestLine(plan.backtest, t) || t('fcst.noBacktest')),
      h('div', { class: 'table-wrap' }, table));
    requestAnimationFrame(async function draw() {
      if (disposed) return;
      if (!box.isConnected) { requestAnimationFrame(draw); return; }
      try {
        const echarts = await loadECharts();
        if (disposed) return;
        chart = echarts.init(box, null, { renderer: 'canvas', height: CHART_HEIGHT, locale: ctx.lang === 'en' ? 'EN' : 'ZH' });
        chart.setOption(forecastOption({ plan, t, lang: ctx.lang }), { notMerge: true });
        box.dataset.state = 'drawn';
      } catch (e) {
        box.dataset.state = 'error';
        showError(e);
      }
    });
    return { node, dispose };
  },
};

// editor is the calendar's create or edit form, filled from x when editing.
function editor(ctx, x, save) {
  const { t } = ctx;
  const input = (name, type, value) => h('input', { name, type, value: value ?? '', required: type === 'date' });
  const f = {
    name_zh: input('name_zh', 'text', x?.name_zh), name_en: input('name_en', 'text', x?.name_en),
    kind: select('kind', KINDS, (k) => t('cal.kind.' + k), x?.kind || 'promotion'),
    first: input('first', 'date', x?.first), last: input('last', 'date', x?.last),
    uplift: h('input', { name: 'uplift', type: 'number', min: 0, max: 20, step: 0.1, value: x?.uplift || 0 }),
  };
  const go = button(x ? t('cal.save') : t('cal.create'), async () => {
    const body = eventBody(Object.fromEntries(Object.entries(f).map(([k, el]) => [k, el.value])));
    if (!body) { showError(t('cal.missing')); return; }
    await save(body);
  }, 'btn btn-primary');
  go.dataset.cal = x ? 'save' : 'create';
  return h('div', { class: 'step-form', 'data-cal-form': x ? x.id : 'new' },
    h('div', { class: 'form-grid' },
      field(t('cal.nameZH'), f.name_zh), field(t('cal.nameEN'), f.name_en), field(t('cal.kind'), f.kind),
      field(t('cal.first'), f.first), field(t('cal.last'), f.last), field(t('cal.uplift'), f.uplift)),
    h('p', { class: 'hint' }, t('cal.upliftHint')), h('div', { class: 'form-row' }, go));
}

const calendarPage = {
  id: 'calendar', path: '/calendar', roles: ROLES, nav: 'nav.calendar',
  reads: ['GET /api/v1/calendar'],
  acts: { roles: EDITORS, routes: ['POST /api/v1/calendar', 'PUT /api/v1/calendar/{id}', 'DELETE /api/v1/calendar/{id}'] },
  render(ctx) {
    const { t } = ctx;
    const canEdit = EDITORS.includes(ctx.account.role);
    const editing = h('div', {});
    let list;
    const done = async (msg) => { clearError(); showInfo(msg); editing.replaceChildren(); await list.reload(); };
    const columns = [
      { label: 'cal.name', cell: (x) => written('strong', {}, eventName(x, ctx.lang)) },
      { label: 'cal.kind', cell: (x) => t('cal.kind.' + x.kind) },
      { label: 'cal.first', cell: (x) => x.first },
      { label: 'cal.last', cell: (x) => x.last },
      { label: 'cal.uplift', cell: (x) => (x.uplift > 0 ? '×' + x.uplift : t('cal.learnt')), class: 'num' },
    ];
    if (canEdit) {
      columns.push({ label: 'cal.actions', cell: (x) => [
        h('button', { type: 'button', class: 'btn', 'data-cal-edit': x.id, onclick: () => {
          editing.replaceChildren(h('h2', {}, t('cal.editing')), editor(ctx, x, async (body) => {
            await ctx.api.put('/api/v1/calendar/' + encodeURIComponent(x.id), body);
            await done(t('cal.saved'));
          }));
        } }, t('cal.edit')), ' ',
        button(t('cal.delete'), async () => {
          await ctx.api.del('/api/v1/calendar/' + encodeURIComponent(x.id));
          await done(t('cal.deleted'));
        }, 'btn btn-danger'),
      ] });
    }
    list = listView(ctx, {
      path: '/api/v1/calendar', key: 'calendar', columns, rowKey: (x) => x.id,
      filters: [{ name: 'from', label: 'cal.from', type: 'date' }, { name: 'to', label: 'cal.to', type: 'date' }],
    });
    const create = canEdit ? h('details', { class: 'panel', 'data-cal': 'new' }, h('summary', {}, t('cal.new')), editor(ctx, null, async (body) => {
      await ctx.api.post('/api/v1/calendar', body);
      await done(t('cal.created'));
    })) : null;
    return { node: h('div', {}, h('h1', {}, t('cal.heading')), h('p', { class: 'hint' }, t('cal.intro')), create, editing, list.node), dispose: list.dispose };
  },
};

export const pages = [forecastPage, calendarPage];
