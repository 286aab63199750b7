// Measures: the analysts' page. A range (from, to: last week by default),
// a period (day, week, month) and a grouping (outlet, region, person or the
// whole network) ask GET /api/v1/measures once; the answer feeds a ranking
// table with every measure (sortable, each header carrying its one-sentence
// definition), a definitions panel, and three ECharts charts — the ranking
// of one measure across the keys, its trend over the periods, and the
// satisfaction distribution. The CSV link is the same query with
// format=csv. The option objects come from charts.js; ECharts itself is
// loaded only when this page opens (it is a megabyte).

import { h, written, field, select, showError, clearError } from '../dom.js';
import {
  measureLabel, measureDef, definitions, formatMeasure, keyLabel, periods, rankingRows, sortRows,
  bestFirst, rankingOption, trendOption, satisfactionOption, hasSatisfaction, lastWeek,
} from '../charts.js';

export const PERIODS = ['day', 'week', 'month'];
export const GROUPINGS = ['outlet', 'region', 'person', 'all'];
const API = '/api/v1/measures';

// CHART_HEIGHT is each chart's height in CSS pixels; the width follows
// the page.
const CHART_HEIGHT = 320;

// The measure the charts show first, when the answer has it: the
// service plans' headline figure.
const FIRST_CHART = 'complaints.first_reply_p50_ms';

// measuresQuery is the API query of the page's hash query: the defaults
// filled in, anything else left out (the hub refuses filters it does not
// take).
export function measuresQuery(query, now = new Date()) {
  const week = lastWeek(now);
  return {
    from: query.from || week.from,
    to: query.to || week.to,
    by: GROUPINGS.includes(query.by) ? query.by : 'outlet',
    period: PERIODS.includes(query.period) ? query.period : 'week',
  };
}

// loadECharts imports the embedded ECharts module once.
let echartsModule = null;
function loadECharts() {
  echartsModule ??= import('../vendor/echarts/echarts.esm.min.js');
  return echartsModule;
}

export const page = { id: 'measures', path: '/measures', roles: ['admin', 'analyst'], nav: 'nav.measures', reads: ['GET /api/v1/measures'], render };

async function render(ctx) {
  const { t } = ctx;
  const q = measuresQuery(ctx.query || {});
  const charts = [];
  let observer = null;
  let disposed = false;

  const form = h('form', { class: 'filters', 'data-measures': 'filters', onsubmit: (e) => {
    e.preventDefault();
    const v = (n) => String(form.elements[n].value || '').trim();
    ctx.navigate('/measures', { from: v('from'), to: v('to'), by: v('by'), period: v('period') });
  } },
  field(t('measures.from'), h('input', { type: 'date', name: 'from', value: q.from, required: true })),
  field(t('measures.to'), h('input', { type: 'date', name: 'to', value: q.to, required: true })),
  field(t('measures.period'), select('period', PERIODS, (p) => t('measures.period.' + p), q.period)),
  field(t('measures.by'), select('by', GROUPINGS, (b) => t('measures.by.' + b), q.by)),
  h('button', { type: 'submit', class: 'btn btn-primary' }, t('measures.show')),
  h('a', { class: 'btn', 'data-measures': 'csv', href: ctx.api.csvURL(API, q), download: '' }, t('measures.csv')));

  const status = h('p', { class: 'measures-status' }, t('measures.loading'));
  const body = h('div', { class: 'measures-body' });
  const node = h('div', { class: 'measures', 'data-measures': 'page' }, h('h1', {}, t('measures.title')), form, status, body);

  const dispose = () => {
    disposed = true;
    observer?.disconnect();
    for (const c of charts) c.dispose();
    charts.length = 0;
  };

  let answer;
  try {
    answer = await ctx.api.get(API, q);
    clearError();
  } catch (e) {
    status.textContent = t('measures.failed');
    showError(e);
    return { node, dispose };
  }
  const names = Array.isArray(answer.measures) ? answer.measures : [];
  const ps = periods(answer);
  status.textContent = t('measures.range', { from: answer.from || q.from, to: answer.to || q.to, n: ps.length });
  if (!answer.rows?.length) {
    body.append(h('p', { class: 'empty', 'data-measures': 'empty' }, t('measures.empty')));
    return { node, dispose };
  }

  // The state the controls change without asking the hub again.
  const state = {
    period: ps.includes(ctx.query?.at) ? ctx.query.at : ps[ps.length - 1],
    sort: names.includes(FIRST_CHART) ? FIRST_CHART : names[0],
    chart: names.includes(ctx.query?.m) ? ctx.query.m : names.includes(FIRST_CHART) ? FIRST_CHART : names[0],
  };
  state.dir = bestFirst(state.sort);

  const periodPick = select('at', ps, (p) => p, state.period);
  periodPick.addEventListener('change', () => { state.period = periodPick.value; drawTable(); drawCharts(); });
  const chartPick = select('m', names, (n) => measureLabel(n, t), state.chart);
  chartPick.addEventListener('change', () => { state.chart = chartPick.value; drawCharts(); });

  const table = h('table', { class: 'list measures-table', 'data-measures': 'table' });
  function drawTable() {
    const head = h('tr', {}, h('th', {}, t('measures.key.' + answer.by)), names.map((n) => {
      const on = n === state.sort;
      return h('th', {
        class: 'sortable' + (on ? ' sorted' : ''), title: measureDef(n, t), 'data-measure': n,
        'aria-sort': on ? (state.dir === 'asc' ? 'ascending' : 'descending') : 'none',
      }, h('button', { type: 'button', class: 'th-sort', onclick: () => {
        state.dir = state.sort === n ? (state.dir === 'asc' ? 'desc' : 'asc') : bestFirst(n);
        state.sort = n;
        drawTable();
      } }, measureLabel(n, t), on ? (state.dir === 'asc' ? ' ▲' : ' ▼') : ''));
    }));
    const rows = sortRows(rankingRows(answer, state.period), state.sort, state.dir);
    const tbody = h('tbody', {}, rows.map((r, i) => h('tr', { 'data-key': r.key },
      h('th', { scope: 'row' }, h('span', { class: 'rank' }, String(i + 1) + '. '), answer.by === 'all' ? keyLabel(answer.by, r.key, t) : written('span', {}, r.key)),
      names.map((n) => h('td', { class: 'num', 'data-measure': n }, formatMeasure(n, r.values[n], t))))));
    const total = answer.total?.values || {};
    const tfoot = h('tfoot', {}, h('tr', { 'data-key': '' }, h('th', { scope: 'row' }, t('measures.total')),
      names.map((n) => h('td', { class: 'num', 'data-measure': n }, formatMeasure(n, total[n], t)))));
    table.replaceChildren(h('thead', {}, head), tbody, tfoot);
  }
  drawTable();

  const defs = h('details', { class: 'panel measures-defs', 'data-measures': 'definitions' },
    h('summary', {}, t('measures.definitions')),
    h('dl', { class: 'facts' }, definitions(names, t).map((d) => [h('dt', {}, d.label), h('dd', {}, d.def || t('measures.noDef'))])));

  const chartBox = (name) => h('div', { class: 'chart', 'data-chart': name, role: 'img', 'aria-label': t('measures.chart.' + name) });
  const boxes = { ranking: chartBox('ranking'), trend: chartBox('trend'), satisfaction: chartBox('satisfaction') };
  const chartsPanel = h('section', { class: 'panel measures-charts' },
    h('div', { class: 'filters' },
      field(t('measures.chartMeasure'), chartPick),
      ps.length > 1 ? field(t('measures.rankPeriod'), periodPick) : null),
    h('div', { class: 'chart-row' }, boxes.ranking, boxes.trend),
    hasSatisfaction(answer) ? h('div', { class: 'chart-row' }, boxes.satisfaction) : null);

  body.append(
    chartsPanel,
    h('div', { class: 'table-wrap' }, ps.length > 1 ? h('p', { class: 'hint' }, t('measures.tablePeriod', { period: state.period })) : null, table),
    defs);

  // Charts need their boxes in the page to measure them; the router puts
  // the node there when render resolves, so they are drawn after that.
  const instances = {};
  async function drawCharts() {
    let echarts;
    try {
      echarts = await loadECharts();
    } catch (e) {
      for (const b of Object.values(boxes)) b.dataset.state = 'error';
      showError(e);
      return;
    }
    if (disposed) return;
    const opts = {
      ranking: rankingOption({ answer, measure: state.chart, period: state.period, t }),
      trend: trendOption({ answer, measure: state.chart, t }),
      satisfaction: hasSatisfaction(answer) ? satisfactionOption({ values: answer.total?.values, t }) : null,
    };
    for (const [name, opt] of Object.entries(opts)) {
      if (!opt) continue;
      const box = boxes[name];
      try {
        instances[name] ??= echarts.init(box, null, { renderer: 'canvas', height: CHART_HEIGHT, locale: ctx.lang === 'en' ? 'EN' : 'ZH' });
        if (!charts.includes(instances[name])) charts.push(instances[name]);
        instances[name].setOption(opt, { notMerge: true });
        box.dataset.state = 'drawn';
      } catch (e) {
        box.dataset.state = 'error';
        console.error('measures chart', name, e);
      }
    }
  }
  whenAttached(node, () => disposed, () => {
    drawCharts();
    if (typeof ResizeObserver === 'function') {
      observer = new ResizeObserver(() => { for (const c of charts) c.resize({ height: CHART_HEIGHT }); });
      observer.observe(chartsPanel);
    }
  });
  return { node, dispose };
}

// whenAttached runs fn once node is in the document, unless gone() says
// the page was left first.
function whenAttached(node, gone, fn) {
  const check = () => {
    if (gone()) return;
    if (node.isConnected) fn();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}
