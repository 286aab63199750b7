// The outlets' incident reports (事故报告): the queue of the whole network
// (open ones by default, newest first, filters, CSV), and one report with
// its photos, impact and history, the steps head office may take now
// (acknowledge, resolve, close, a note), and "make a notice draft", which
// opens the notice compose page filled from the report (place, cause,
// impact) with its outlet as the scope. The draft is not published until a
// person checks and publishes it there.

import { h, written, dl, panel } from '../dom.js';
import { label } from '../i18n.js';
import { fmtTime } from '../format.js';
import { hrefOf } from '../router.js';
import { listView } from '../list.js';
import { historyList, stepForm, noteField } from '../cases.js';
import { codes, prefix } from '../vocab.js';

// READERS see the queue; ACTORS take its steps and make notice drafts.
export const READERS = ['admin', 'emergency', 'service'];
export const ACTORS = ['admin', 'emergency'];

const API = '/api/v1/incidents';

// causeText is a report's cause in words: the clerk's own for "other".
export function causeText(x) {
  return x.cause === 'other' && x.cause_text ? x.cause_text : label('icause.', x.cause);
}

// noticeDraft is the notice a report suggests, for the compose page: a
// title and a text from its place, cause and impact, severity warning, its
// outlet as the scope. t is the translator, fmt formats a time.
export function noticeDraft(x, t, fmt = fmtTime) {
  const place = x.place || t('inc.placeOutlet', { outlet: x.outlet });
  const cause = x.cause === 'other' && x.cause_text ? x.cause_text : t('icause.' + x.cause);
  return {
    title: t('inc.draftTitle', { place, cause }),
    text: t('inc.draftText', { occurred: fmt(x.occurred_at), place, cause, text: x.text || '', parcels: x.parcels ?? 0, hours: x.delay_hours ?? 0 }),
    severity: 'warning',
    outlets: x.outlet ? [x.outlet] : [],
    incident: x.id,
  };
}

// photoURL is where head office's screen loads one photo of a report.
export const photoURL = (id, sha) => `${API}/${encodeURIComponent(id)}/photos/${encodeURIComponent(sha)}`;

function renderList(ctx) {
  const { t } = ctx;
  const query = Object.keys(ctx.query || {}).length ? ctx.query : { open: '1' };
  const list = listView({ ...ctx, query }, {
    path: API, key: 'incidents',
    filters: [
      { name: 'open', label: 'case.f.open', type: 'select', options: ['1', '0'], optionLabel: (v) => label('case.open.', v), noAny: true },
      { name: 'outlet', label: 'case.f.outlet', size: 10 },
      { name: 'region', label: 'case.f.region', size: 8 },
      { name: 'state', label: 'case.f.state', type: 'select', options: codes('incidentState'), optionLabel: (v) => label(prefix('incidentState'), v) },
      { name: 'label', label: 'inc.cause', type: 'select', options: codes('incidentCause'), optionLabel: (v) => label(prefix('incidentCause'), v) },
    ],
    rowKey: (x) => x.id,
    columns: [
      { label: 'inc.occurred', class: 'nowrap', cell: (x) => h('a', { href: hrefOf('/incidents/' + encodeURIComponent(x.id)), 'data-case': x.id }, fmtTime(x.occurred_at)) },
      { label: 'case.col.outlet', cell: (x) => written('span', {}, x.outlet) },
      { label: 'inc.cause', cell: (x) => (x.cause === 'other' ? written('span', {}, causeText(x)) : causeText(x)) },
      { label: 'inc.place', cell: (x) => (x.place ? written('span', {}, x.place) : t('inc.placeOutlet', { outlet: x.outlet })) },
      { label: 'inc.parcels', cell: (x) => String(x.parcels) },
      { label: 'inc.delay', cell: (x) => String(x.delay_hours) },
      { label: 'inc.photos', cell: (x) => String(x.photos?.length || 0) },
      { label: 'case.col.state', cell: (x) => h('span', { class: 'tag', 'data-state': x.state }, label('istate.', x.state)) },
      { label: 'inc.reported', class: 'nowrap', cell: (x) => fmtTime(x.reported_at) },
    ],
  });
  return { node: h('div', {}, h('h1', {}, t('inc.title')), list.node), dispose: () => list.dispose() };
}

async function renderOne(ctx) {
  const { t } = ctx;
  const id = ctx.params.id;
  const route = API + '/' + encodeURIComponent(id);
  const root = h('div', { class: 'case', 'data-case-id': id });
  const acts = ACTORS.includes(ctx.account.role);
  const draw = (x) => {
    const reload = async () => draw(await ctx.api.get(route));
    const steps = h('div', { class: 'steps' });
    for (const s of (acts ? x.allowed || [] : [])) {
      const n = noteField();
      steps.append(stepForm(ctx, route + '/steps', s, 'istep.', n.node, () => ({ note: n.el.value.trim() }), reload));
    }
    if (acts) {
      steps.append(h('a', { class: 'btn', 'data-incident': 'draft', href: hrefOf('/notices/new', { incident: x.id }) }, t('inc.draft')));
    } else {
      steps.append(h('p', { class: 'muted' }, t('case.noSteps')));
    }
    const photos = h('div', { class: 'thumbs', 'data-incident': 'photos' }, (x.photos || []).map((p, i) => (p.complete
      ? h('a', { href: photoURL(x.id, p.sha256), target: '_blank', rel: 'noopener' }, h('img', { src: photoURL(x.id, p.sha256), alt: t('inc.photos') + ' ' + (i + 1), 'data-sha': p.sha256, width: 240 }))
      : h('span', { class: 'muted' }, t('inc.photoPending', { n: i + 1, got: p.received, parts: p.parts })))));
    root.replaceChildren(
      h('p', {}, h('a', { href: hrefOf('/incidents', { open: '1' }) }, t('inc.title'))),
      h('h1', {}, t('inc.one'), ' ', causeText(x)),
      h('div', { class: 'cols' },
        h('div', {},
          panel(t('case.facts'), dl([
            [t('case.col.state'), h('span', { class: 'tag', 'data-state': x.state }, label('istate.', x.state))],
            [t('case.col.outlet'), h('a', { href: hrefOf('/outlets/' + encodeURIComponent(x.outlet)) }, written('span', {}, x.outlet))],
            [t('inc.occurred'), fmtTime(x.occurred_at)],
            [t('inc.place'), x.place ? written('span', {}, x.place) : t('inc.placeOutlet', { outlet: x.outlet })],
            [t('inc.cause'), x.cause === 'other' ? written('span', {}, causeText(x)) : causeText(x)],
            [t('inc.parcels'), String(x.parcels)],
            [t('inc.delay'), String(x.delay_hours)],
            [t('inc.reported'), [fmtTime(x.reported_at), ' · ', written('span', {}, x.reporter || '')]],
            [t('inc.text'), written('span', { class: 'pre' }, x.text)],
          ])),
          panel(t('inc.photos'), photos),
          panel(t('case.history'), historyList(x.history, 'istep.', 'istate.'))),
        panel(t('case.steps'), steps)));
  };
  draw(await ctx.api.get(route));
  return { node: root };
}

export const pages = [
  { id: 'incidents', path: '/incidents', roles: READERS, nav: 'nav.incidents', reads: [`GET ${API}`], render: renderList },
  {
    id: 'incident', path: '/incidents/:id', roles: READERS, reads: [`GET ${API}/{id}`, `GET ${API}/{id}/photos/{sha}`],
    acts: { roles: ACTORS, routes: [`POST ${API}/{id}/steps`] }, render: renderOne,
  },
];
