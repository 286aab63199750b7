// Satisfaction surveys: per trigger how many customers were invited, how
// many invitations reached the phone, how many answered and opted out;
// per survey version the invitations sent, delivered, failed and
// answered; the sampling rule of each trigger; the definitions. Analysts edit rules and definitions (a definition already
// sent is saved as a new version by the hub).

import { h, panel, button, field, select, showInfo } from '../dom.js';
import { count } from '../format.js';

export const ROLES = ['admin', 'service', 'emergency', 'analyst'];
// EDITORS change rules and definitions.
export const EDITORS = ['admin', 'analyst'];

// parseQuestions reads one question a line, "key | 中文 | English", into
// the definition's questions, or null when a line is not whole or a key
// repeats.
export function parseQuestions(text) {
  const out = [];
  const keys = new Set();
  for (const line of String(text || '').split('\n')) {
    if (!line.trim()) continue;
    const parts = line.split('|').map((s) => s.trim());
    if (parts.length !== 3 || parts.some((p) => !p) || keys.has(parts[0])) return null;
    keys.add(parts[0]);
    out.push({ key: parts[0], zh: parts[1], en: parts[2] });
  }
  return out.length ? out : null;
}

// questionLines is parseQuestions' input for questions.
export function questionLines(qs) {
  return (qs || []).map((q) => `${q.key} | ${q.zh} | ${q.en}`).join('\n');
}

// expiryDays shows a link's validity, kept in minutes, in days;
// expiryMinutes reads days (fractions allowed) back, or null.
export function expiryDays(minutes) {
  return Math.round((Number(minutes) / 1440) * 1000) / 1000;
}
export function expiryMinutes(days) {
  const m = Math.round(Number(days) * 1440);
  return Number.isFinite(m) && m >= 1 ? m : null;
}

// rate is a response rate (answered / delivered) as a percentage, '—'
// while no invitation was delivered.
export function rate(r) {
  return r === null || r === undefined ? '—' : `${Math.round(r * 1000) / 10}%`;
}

export const page = {
  id: 'surveys',
  path: '/surveys',
  roles: ROLES,
  nav: 'nav.surveys',
  reads: ['GET /api/v1/surveys'],
  acts: { roles: EDITORS, routes: ['PUT /api/v1/surveys/{id}', 'PUT /api/v1/surveys/rules/{trigger}'] },
  async render(ctx) {
    const { t } = ctx;
    const editor = EDITORS.includes(ctx.account?.role);
    const res = await ctx.api.get('/api/v1/surveys');
    const defs = res.surveys || [];
    const rules = Object.fromEntries((res.rules || []).map((r) => [r.trigger, r]));
    const cell = (name, n) => h('td', { ['data-' + name]: String(n) }, count(n));
    const rateCell = (c) => h('td', { 'data-rate': c.response_rate == null ? '' : String(c.response_rate) }, rate(c.response_rate));
    const counts = h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'survey-counts' },
      h('thead', {}, h('tr', {}, ['sv.trigger', 'sv.invited', 'sv.delivered', 'sv.answered', 'sv.optedOut', 'sv.rate'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, (res.counts || []).map((c) => h('tr', { 'data-trigger': c.trigger },
        h('td', {}, t('sv.on.' + c.trigger)), cell('invited', c.invited), cell('delivered', c.delivered),
        cell('answered', c.answered), h('td', {}, count(c.opted_out)), rateCell(c))))));
    const versions = res.versions || [];
    const byVersion = versions.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'survey-versions' },
      h('thead', {}, h('tr', {}, ['sv.survey', 'sv.invited', 'sv.sent', 'sv.delivered', 'sv.failed', 'sv.answered', 'sv.rate'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, versions.map((v) => h('tr', { 'data-survey': v.survey, 'data-version': String(v.version) },
        h('td', {}, `${v.survey} · v${v.version}`), cell('invited', v.invited), cell('sent', v.sent), cell('delivered', v.delivered),
        cell('failed', v.failed), cell('answered', v.answered), rateCell(v))))))
      : h('p', { class: 'muted' }, t('sv.noInvitations'));
    const ids = defs.map((d) => d.id);
    const ruleRows = (res.triggers || []).map((tr) => {
      const r = rules[tr] || { survey: ids[0] || '', share: 0, every_days: 30, expiry_minutes: 7 * 1440 };
      if (!editor) {
        return h('tr', { 'data-trigger': tr }, h('td', {}, t('sv.on.' + tr)), h('td', {}, r.survey || '—'),
          h('td', {}, `${r.share}%`), h('td', {}, String(r.every_days)), h('td', {}, String(expiryDays(r.expiry_minutes))), h('td'));
      }
      const survey = select('survey', ids, (id) => id, r.survey);
      const share = h('input', { name: 'share', type: 'number', min: 0, max: 100, value: r.share });
      const every = h('input', { name: 'every_days', type: 'number', min: 0, max: 3660, value: r.every_days });
      const expiry = h('input', { name: 'expiry_days', type: 'number', min: 0.001, max: 90, step: 'any', value: expiryDays(r.expiry_minutes) });
      return h('tr', { 'data-trigger': tr }, h('td', {}, t('sv.on.' + tr)), h('td', {}, survey), h('td', {}, share),
        h('td', {}, every), h('td', {}, expiry), h('td', {}, button(t('sv.save'), async () => {
          await ctx.api.put('/api/v1/surveys/rules/' + encodeURIComponent(tr), {
            survey: survey.value, share: Number(share.value), every_days: Number(every.value), expiry_minutes: expiryMinutes(expiry.value),
          });
          showInfo(t('sv.saved'));
          ctx.navigate('/surveys', {});
        }, 'btn primary')));
    });
    const rulesTable = h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'survey-rules' },
      h('thead', {}, h('tr', {}, ['sv.trigger', 'sv.survey', 'sv.share', 'sv.every', 'sv.expiry', ''].map((k) => h('th', {}, k ? t(k) : '')))),
      h('tbody', {}, ruleRows)));
    const defList = h('div', { id: 'survey-defs' }, defs.length ? defs.map((d) => h('section', { class: 'survey-def', 'data-id': d.id },
      h('h3', {}, `${d.id} · v${d.version} · ${ctx.lang === 'en' && d.title_en ? d.title_en : d.title_zh}`),
      h('ol', {}, d.questions.map((q) => h('li', {}, ctx.lang === 'en' ? q.en : q.zh))),
      h('p', { class: 'muted' }, (d.comment ? t('sv.withComment') : t('sv.noComment')) + (d.in_use ? ' · ' + t('sv.inUse') : ''))))
      : h('p', { class: 'muted' }, t('sv.none')));
    const out = [h('h1', {}, t('sv.title')), panel(t('sv.counts'), h('p', { class: 'muted' }, t('sv.rateHelp')), counts),
      panel(t('sv.versions'), byVersion), panel(t('sv.rules'), h('p', { class: 'muted' }, t('sv.rulesHelp')), rulesTable),
      panel(t('sv.defs'), defList)];
    if (editor) {
      const first = defs[0];
      const id = h('input', { name: 'id', size: 20, value: first?.id || 'after-pickup' });
      const titleZH = h('input', { name: 'title_zh', size: 30, value: first?.title_zh || '' });
      const titleEN = h('input', { name: 'title_en', size: 30, value: first?.title_en || '' });
      const qs = h('textarea', { name: 'questions', rows: 4, cols: 60 }, questionLines(first?.questions));
      const comment = h('input', { name: 'comment', type: 'checkbox' });
      comment.checked = first ? !!first.comment : true;
      out.push(panel(t('sv.edit'), h('p', { class: 'muted' }, t('sv.editHelp')), h('div', { class: 'filters', id: 'survey-edit' },
        field(t('sv.id'), id), field(t('sv.titleZH'), titleZH), field(t('sv.titleEN'), titleEN), field(t('sv.questions'), qs),
        field(t('sv.comment'), comment),
        button(t('sv.save'), async () => {
          const questions = parseQuestions(qs.value);
          if (!questions) {
            showInfo(t('sv.badQuestions'));
            return;
          }
          const ans = await ctx.api.put('/api/v1/surveys/' + encodeURIComponent(id.value.trim()),
            { title_zh: titleZH.value, title_en: titleEN.value, questions, comment: comment.checked });
          showInfo(t('sv.savedVersion', { v: ans.version }));
          ctx.navigate('/surveys', {});
        }, 'btn primary'))));
    }
    return h('div', {}, out);
  },
};
