// charts.js: a measures answer into the ranking table's rows and ECharts
// option objects. The translator is a small dictionary of the test's own,
// so the words checked here are exactly those given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  measureKind, lowerIsBetter, measureLabel, measureDef, definitions, formatMeasure, keyLabel,
  periods, rankingRows, sortRows, bestFirst, rankingOption, trendKeys, trendOption,
  satisfactionOption, hasSatisfaction, lastWeek, isoDay, scaleFor,
} from '../static/charts.js';

const words = {
  'measure.complaints.count': '投诉量',
  'measure.complaints.count.def': '期内登记的投诉数。',
  'measure.complaints.first_reply_p50_ms': '首次回复时长中位数',
  'measure.satisfaction.avg': '满意度均分',
  'measure.exceptions.damaged.count': '破损件数',
  'measure.exceptions.damaged.count.def': '本期报告的破损异常件数。',
  'measures.by.all': '全网',
  'measures.unit.s': '{n} 秒',
  'measures.unit.min': '{n} 分钟',
  'measures.unit.h': '{n} 小时',
  'measures.unit.d': '{n} 天',
  'measures.chart.satisfaction': '满意度分布',
  'measures.score': '{n} 分',
};
const t = (key, vars) => {
  let s = words[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
};

// Two outlets over two weeks; O2 has no answered complaint in the second.
const answer = {
  from: '2026-11-16', to: '2026-11-29', by: 'outlet', period: 'week',
  measures: ['complaints.count', 'complaints.first_reply_p50_ms', 'complaints.replied_24h_ratio', 'satisfaction.avg',
    'satisfaction.n1', 'satisfaction.n2', 'satisfaction.n3', 'satisfaction.n4', 'satisfaction.n5'],
  rows: [
    { key: 'O2', period: '2026-11-23', values: { 'complaints.count': 3, 'complaints.first_reply_p50_ms': null, 'complaints.replied_24h_ratio': 0 } },
    { key: 'O1', period: '2026-11-16', values: { 'complaints.count': 5, 'complaints.first_reply_p50_ms': 3_600_000, 'complaints.replied_24h_ratio': 0.8 } },
    { key: 'O1', period: '2026-11-23', values: { 'complaints.count': 2, 'complaints.first_reply_p50_ms': 1_800_000, 'complaints.replied_24h_ratio': 1 } },
    { key: 'O2', period: '2026-11-16', values: { 'complaints.count': 7, 'complaints.first_reply_p50_ms': 7_200_000, 'complaints.replied_24h_ratio': 0.5 } },
  ],
  total: { values: { 'complaints.count': 17, 'satisfaction.avg': 4.25, 'satisfaction.n1': 1, 'satisfaction.n2': 0, 'satisfaction.n3': 0, 'satisfaction.n4': 0, 'satisfaction.n5': 3 } },
};

test('a measure\'s kind and direction follow its name', () => {
  for (const [name, kind, low] of [
    ['complaints.first_reply_p90_ms', 'duration', true],
    ['exceptions.damaged.handling_p50_ms', 'duration', true],
    ['complaints.resolved_7d_ratio', 'ratio', false],
    ['handovers.missing_ratio', 'ratio', true],
    ['exceptions.claim_amount_cents', 'money', true],
    ['satisfaction.avg', 'score', false],
    ['surveys.avg', 'score', false],
    ['surveys.response_ratio', 'ratio', false],
    ['surveys.delivered', 'count', false],
    ['parcels.inbound', 'count', false],
    ['complaints.sla_breaches', 'count', true],
  ]) {
    assert.equal(measureKind(name), kind, name);
    assert.equal(lowerIsBetter(name), low, name);
    assert.equal(bestFirst(name), low ? 'asc' : 'desc', name);
  }
});

test('labels and definitions come from the dictionary', () => {
  assert.equal(measureLabel('complaints.count', t), '投诉量');
  assert.equal(measureDef('complaints.count', t), '期内登记的投诉数。');
  assert.equal(measureLabel('exceptions.damaged.count', t), '破损件数');
  assert.equal(measureDef('exceptions.damaged.count', t), '本期报告的破损异常件数。');
  // A measure it does not know shows as its name, with no definition.
  assert.equal(measureLabel('parcels.teleported', t), 'parcels.teleported');
  assert.equal(measureDef('parcels.teleported', t), '');
  assert.deepEqual(definitions(['complaints.count', 'satisfaction.avg'], t), [
    { name: 'complaints.count', label: '投诉量', def: '期内登记的投诉数。' },
    { name: 'satisfaction.avg', label: '满意度均分', def: '' },
  ]);
});

test('formatMeasure writes each kind in its unit; null is a dash, not zero', () => {
  for (const [name, v, want] of [
    ['complaints.first_reply_p50_ms', 2_340, '2.3 秒'],
    ['complaints.first_reply_p50_ms', 42_000, '42 秒'],
    ['complaints.first_reply_p50_ms', 90_000, '1.5 分钟'],
    ['complaints.first_reply_p50_ms', 30 * 60000, '30 分钟'],
    ['complaints.first_reply_p50_ms', 5.25 * 3600000, '5.3 小时'],
    ['complaints.first_reply_p50_ms', 72 * 3600000, '3 天'],
    ['complaints.replied_24h_ratio', 0.8333, '83.3%'],
    ['complaints.replied_24h_ratio', 1, '100%'],
    ['exceptions.claim_amount_cents', 12345, '¥123.45'],
    ['satisfaction.avg', 4.5, '4.50'],
    ['surveys.avg', 4.5, '4.50'],
    ['surveys.response_ratio', 0.5, '50%'],
    ['surveys.response_ratio', null, '—'],
    ['parcels.inbound', 12345, '12,345'],
    ['parcels.inbound', 0, '0'],
    ['complaints.first_reply_p50_ms', null, '—'],
    ['parcels.inbound', undefined, '—'],
  ]) assert.equal(formatMeasure(name, v, t), want, `${name} ${v}`);
});

test('keyLabel: the network for by=all, else the key as written', () => {
  assert.equal(keyLabel('all', 'all', t), '全网');
  assert.equal(keyLabel('outlet', '', t), '全网');
  assert.equal(keyLabel('region', '华东', t), '华东');
});

test('periods and the rows of one period', () => {
  assert.deepEqual(periods(answer), ['2026-11-16', '2026-11-23']);
  assert.deepEqual(rankingRows(answer).map((r) => r.key), ['O2', 'O1'], 'the latest period by default');
  assert.deepEqual(rankingRows(answer, '2026-11-16').map((r) => [r.key, r.values['complaints.count']]), [['O1', 5], ['O2', 7]]);
  assert.deepEqual(rankingRows({ rows: [] }), []);
  assert.deepEqual(periods(null), []);
});

test('sortRows: either direction, missing values last, ties by key', () => {
  const rows = [
    { key: 'C', values: { m: 2 } },
    { key: 'A', values: { m: null } },
    { key: 'B', values: { m: 2 } },
    { key: 'D', values: { m: 9 } },
    { key: 'E', values: {} },
  ];
  assert.deepEqual(sortRows(rows, 'm', 'asc').map((r) => r.key), ['B', 'C', 'D', 'A', 'E']);
  assert.deepEqual(sortRows(rows, 'm', 'desc').map((r) => r.key), ['D', 'B', 'C', 'A', 'E']);
  assert.deepEqual(rows.map((r) => r.key), ['C', 'A', 'B', 'D', 'E'], 'the input is not reordered');
});

test('rankingOption: one period, best on top, keys without a value left out, canvas tooltips', () => {
  const o = rankingOption({ answer, measure: 'complaints.first_reply_p50_ms', period: '2026-11-16', t });
  // Shorter is better: O1 (1 h) ranks above O2 (2 h); the category axis
  // draws bottom-up, so the best is last.
  assert.deepEqual(o.yAxis.data, ['O2', 'O1']);
  // Plotted in hours, the largest being 2 h, so the axis ticks are round.
  assert.deepEqual(o.series[0].data, [2, 1]);
  assert.equal(o.series[0].type, 'bar');
  assert.equal(o.title.text, '首次回复时长中位数');
  assert.equal(o.tooltip.renderMode, 'richText');
  assert.equal(o.tooltip.valueFormatter(1), '1 小时');
  assert.equal(o.tooltip.valueFormatter(0.5), '30 分钟', 'the tooltip writes the value as the table does');
  assert.equal(o.xAxis.axisLabel.formatter(1.5), '1.5 小时');
  const latest = rankingOption({ answer, measure: 'complaints.first_reply_p50_ms', t });
  assert.deepEqual(latest.yAxis.data, ['O1'], 'O2 has no first reply in the latest week');
  const counts = rankingOption({ answer, measure: 'complaints.count', period: '2026-11-16', t });
  assert.deepEqual(counts.yAxis.data, ['O1', 'O2'], 'more complaints on top');
  const ratio = rankingOption({ answer, measure: 'complaints.replied_24h_ratio', t });
  assert.deepEqual([ratio.xAxis.min, ratio.xAxis.max], [0, 1]);
  const few = rankingOption({ answer, measure: 'complaints.count', period: '2026-11-16', t, limit: 1 });
  assert.deepEqual(few.yAxis.data, ['O2']);
});

test('trendOption: a line per key over every period, gaps as null', () => {
  const o = trendOption({ answer, measure: 'complaints.first_reply_p50_ms', t });
  assert.deepEqual(o.xAxis.data, ['2026-11-16', '2026-11-23']);
  assert.deepEqual(o.series.map((s) => [s.type, s.name, s.data]), [
    ['line', 'O1', [1, 0.5]],
    ['line', 'O2', [2, null]],
  ]);
  assert.equal(o.yAxis.axisLabel.formatter(2), '2 小时');
  assert.equal(o.series[1].connectNulls, false);
  assert.equal(o.tooltip.renderMode, 'richText');
  const one = trendOption({ answer, measure: 'complaints.count', t, keys: ['O2'] });
  assert.deepEqual(one.series.map((s) => s.data), [[7, 3]]);
  const all = trendOption({ answer: { by: 'all', rows: [{ key: 'all', period: '2026-11-16', values: { 'complaints.count': 12 } }] }, measure: 'complaints.count', t });
  assert.deepEqual(all.series.map((s) => [s.name, s.data]), [['全网', [12]]]);
});

test('scaleFor: times in minutes, hours or days by the largest; other kinds as they are', () => {
  for (const [values, div, tick] of [
    [[90_000, 30 * 60000], 60000, '30 分钟'],
    [[59_999], 1000, '30 秒'],
    [[null, 3_600_000], 3_600_000, '30 小时'],
    [[80 * 3_600_000], 86_400_000, '30 天'],
    [[2_500, null], 1000, '30 秒'],
    [[], 1000, '30 秒'],
  ]) {
    const sc = scaleFor('parcels.dwell_p50_ms', values, t);
    assert.equal(sc.div, div, String(values));
    assert.equal(sc.axis(30), tick, String(values));
    assert.equal(sc.tip(null), '—');
  }
  // Ticks of a few seconds keep their decimals instead of all reading 0.
  assert.equal(scaleFor('parcels.dwell_p50_ms', [2_500], t).axis(0.25), '0.25 秒');
  const ratio = scaleFor('complaints.replied_24h_ratio', [0.5], t);
  assert.equal(ratio.div, 1);
  assert.equal(ratio.axis(0.5), '50%');
  assert.equal(ratio.tip(0.25), '25%');
});

test('trendKeys: every key when few, else the best of the latest period', () => {
  assert.deepEqual(trendKeys(answer, 'complaints.count'), ['O1', 'O2']);
  assert.deepEqual(trendKeys(answer, 'complaints.count', 1), ['O2'], 'O2 had more complaints in the latest week');
  assert.deepEqual(trendKeys(answer, 'complaints.first_reply_p50_ms', 1), ['O1'], 'O2 has no value in the latest week');
});

test('satisfactionOption: counts of scores 1 to 5, the average in the subtitle', () => {
  assert.ok(hasSatisfaction(answer));
  assert.ok(!hasSatisfaction({ measures: ['satisfaction.avg'] }));
  const o = satisfactionOption({ values: answer.total.values, t });
  assert.deepEqual(o.xAxis.data, ['1 分', '2 分', '3 分', '4 分', '5 分']);
  assert.deepEqual(o.series[0].data, [1, 0, 0, 0, 3]);
  assert.equal(o.title.text, '满意度分布');
  assert.equal(o.title.subtext, '满意度均分 4.25');
  assert.equal(o.tooltip.renderMode, 'richText');
  const none = satisfactionOption({ values: {}, t });
  assert.deepEqual(none.series[0].data, [0, 0, 0, 0, 0]);
  assert.equal(none.title.subtext, '');
});

test('every option is plain data apart from formatter functions: no HTML anywhere', () => {
  const opts = [
    rankingOption({ answer, measure: 'complaints.count', t }),
    trendOption({ answer, measure: 'complaints.count', t }),
    satisfactionOption({ values: answer.total.values, t }),
  ];
  const walk = (v, path) => {
    if (typeof v === 'string') assert.ok(!/[<>]/.test(v), `${path} = ${v}`);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path + '.' + k);
  };
  opts.forEach((o, i) => walk(o, 'option' + i));
  for (const o of opts) assert.equal(o.tooltip.renderMode, 'richText');
});

test('lastWeek: Monday to Sunday of the week before, whatever the weekday', () => {
  for (const [now, from, to] of [
    [new Date(2026, 11, 1, 16, 0), '2026-11-23', '2026-11-29'], // a Tuesday
    [new Date(2026, 10, 30, 0, 5), '2026-11-23', '2026-11-29'], // a Monday just after midnight
    [new Date(2026, 11, 6, 23, 59), '2026-11-23', '2026-11-29'], // a Sunday
    [new Date(2026, 0, 2), '2025-12-22', '2025-12-28'], // across a year
  ]) assert.deepEqual(lastWeek(now), { from, to }, String(now));
  assert.equal(isoDay(new Date(2026, 1, 3)), '2026-02-03');
});
