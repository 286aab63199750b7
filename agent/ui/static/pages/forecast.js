// The next days' expected parcels and the clerks they need, as head office
// forecast them for this outlet: the last forecast the agent received, with
// its date, so the counter plans its staff while the hub is out of reach.

import { h, written } from '../dom.js';
import { t, getLang, dateLocale } from '../i18n.js';
import { api } from '../api.js';
import { fmtTime } from '../format.js';
import { forecastRows, dayLabel } from '../forecastview.js';

export function renderForecast(root) {
  const box = h('div', { id: 'forecast-body' }, t('loading'));
  root.append(h('section', { class: 'panel forecast' }, h('h1', {}, t('fc.title')), box));
  api('GET', '/api/v1/forecast').then((res) => {
    const f = res.forecast;
    if (!f) {
      box.replaceChildren(h('p', { class: 'muted', id: 'forecast-none' }, t('fc.none')));
      return;
    }
    const rows = forecastRows(f, getLang());
    box.replaceChildren(
      h('p', { class: 'muted small', id: 'forecast-asof' }, t('fc.asOf', { date: f.as_of, at: fmtTime(f.at) }),
        ' · ', t('fc.rule', { n: f.per_clerk_hour })),
      h('table', { class: 'forecast-table' },
        h('thead', {}, h('tr', {}, ['fc.date', 'fc.event', 'fc.expected', 'fc.band', 'fc.hours', 'fc.clerks'].map((k) => h('th', {}, t(k))))),
        h('tbody', {}, rows.map((r) => h('tr', { 'data-date': r.date, class: r.peak ? 'peak' : '' },
          h('td', {}, dayLabel(r.date, dateLocale())),
          written('td', { class: 'event' }, r.event),
          h('td', { class: 'num' }, String(r.expected)),
          h('td', { class: 'num muted' }, `${r.low}–${r.high}`),
          h('td', { class: 'num' }, String(r.hours)),
          h('td', { class: 'num clerks' }, String(r.clerks), r.peak ? h('span', { class: 'tag tag-peak' }, t('fc.peak')) : null))))));
  }).catch((err) => {
    box.replaceChildren(h('p', { class: 'error-text' }, err.message));
  });
}
