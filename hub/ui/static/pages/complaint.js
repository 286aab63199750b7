// One complaint: its facts, its deadlines counting down, its history (who
// took each step, at head office or at the outlet), and the steps head
// office may take now as buttons and forms — assign, reply from a template
// (the template's text fills the reply, which can be edited before it is
// sent), escalate, every progress step the lifecycle allows, close. The
// outlet sees each step on its next sync.

import { h, written, dl, panel, field, select, showError } from '../dom.js';
import { label } from '../i18n.js';
import { fmtTime } from '../format.js';
import { hrefOf } from '../router.js';
import { countdownCell, startTicker, historyList, stepForm, ownerField, noteField } from '../cases.js';
import { ROLES, ACTORS } from './complaints.js';

// NOTE_STEPS are the progress steps that carry a reply or a note, in the
// order they come; a reply template can fill their text.
export const NOTE_STEPS = ['acknowledge', 'investigate', 'decide_responsibility', 'propose_solution', 'customer_agrees', 'carry_out', 'follow_up', 'close'];

// templatesFor orders the reply templates for a complaint: those of its
// category first, then those for any category; other categories' last.
export function templatesFor(templates, category) {
  const rank = (x) => (x.category === category ? 0 : !x.category ? 1 : 2);
  return [...(templates || [])].filter((x) => !x.withdrawn).sort((a, b) => rank(a) - rank(b) || String(a.title).localeCompare(String(b.title)));
}

// progressLink is the customer's public progress page of a ticket on this
// hub (hub/progress), to read out or send to a customer who asks where to
// look; "" without a ticket.
export function progressLink(origin, ticket) {
  return ticket ? origin + '/p?t=' + encodeURIComponent(ticket) : '';
}

// deadlineRows are the complaint's two SLA deadlines with their countdowns,
// each stopped once met.
function deadlineRows(c, now, t) {
  const one = (by, at, key) => [t(key), at ? h('span', { class: 'ok' }, t('cmp.metAt', { at: fmtTime(at) })) : countdownCell({ due_at: by || null }, now())];
  return [one(c.first_reply_by, c.first_reply_at, 'cmp.firstReply'), one(c.result_by, c.result_at, 'cmp.result')];
}

export const page = {
  id: 'complaint',
  path: '/complaints/:id',
  roles: ROLES,
  reads: ['GET /api/v1/complaints/{id}'],
  // Those who take steps also read the reply templates.
  acts: { roles: ACTORS, routes: ['POST /api/v1/complaints/{id}/steps', 'GET /api/v1/reply-templates'] },
  async render(ctx) {
    const { t } = ctx;
    const id = ctx.params.id;
    const route = '/api/v1/complaints/' + encodeURIComponent(id);
    const now = () => ctx.api.now();
    const root = h('div', { class: 'case', 'data-case-id': id });
    let stop = () => {};
    const acts = ACTORS.includes(ctx.account.role);
    const [c, tl] = await Promise.all([ctx.api.get(route),
      acts ? ctx.api.get('/api/v1/reply-templates', { limit: 200 }).catch((e) => { showError(e); return { templates: [] }; }) : { templates: [] }]);
    const draw = (c) => {
      const allowed = new Set(acts ? c.allowed || [] : []);
      const reload = async () => draw(await ctx.api.get(route));
      const steps = h('div', { class: 'steps' });
      // Reply: a template fills the text; each progress step allowed now
      // sends it.
      const note = noteField('reply');
      const tpls = templatesFor(tl.templates, c.category);
      const picker = select('template', ['', ...tpls.map((x) => x.id)], (v) => (v ? tpls.find((x) => x.id === v).title : t('cmp.pickTemplate')), '');
      picker.addEventListener('change', () => {
        const x = tpls.find((y) => y.id === picker.value);
        if (x) note.el.value = x.text;
      });
      const sat = select('satisfaction', ['5', '4', '3', '2', '1'], (v) => t('cmp.stars', { n: v }), '5');
      const progress = NOTE_STEPS.filter((s) => allowed.has(s));
      if (progress.length) {
        steps.append(h('div', { class: 'step-form', 'data-step-form': 'reply' },
          field(t('cmp.template'), picker), note.node,
          allowed.has('follow_up') ? field(t('cmp.satisfaction'), sat) : null,
          h('div', { class: 'form-row' }, progress.map((s) => stepForm(ctx, route + '/steps', s, 'cstep.', null, () => {
            const body = { note: note.el.value.trim() };
            if (s === 'follow_up') body.satisfaction = Number(sat.value);
            return body;
          }, reload)))));
      }
      if (allowed.has('assign')) {
        const o = ownerField();
        steps.append(stepForm(ctx, route + '/steps', 'assign', 'cstep.', o.node, () => {
          const owner = o.el.value.trim();
          if (!owner) { showError(t('case.ownerMissing')); return null; }
          return { owner };
        }, reload));
      }
      if (allowed.has('escalate')) {
        const r = h('input', { name: 'reason', size: 24 });
        steps.append(stepForm(ctx, route + '/steps', 'escalate', 'cstep.', field(t('cmp.reason'), r), () => ({ reason: r.value.trim() }), reload));
      }
      if (allowed.has('attach_notice')) {
        const n = h('input', { name: 'notice_id', size: 24 });
        steps.append(stepForm(ctx, route + '/steps', 'attach_notice', 'cstep.', field(t('cmp.noticeID'), n), () => ({ notice_id: n.value.trim() }), reload));
      }
      if (!steps.children.length) steps.append(h('p', { class: 'muted' }, t('case.noSteps')));
      root.replaceChildren(
        h('p', {}, h('a', { href: hrefOf('/complaints', { open: '1' }) }, t('cmp.back'))),
        h('h1', {}, t('cmp.one'), written('span', {}, c.ticket || c.id)),
        h('div', { class: 'cols' },
          h('div', {},
            panel(t('case.facts'), dl([
              [t('case.col.state'), h('span', { class: 'tag', 'data-state': c.state }, label('cstate.', c.state))],
              [t('case.col.outlet'), h('a', { href: hrefOf('/outlets/' + encodeURIComponent(c.outlet)) }, written('span', {}, c.outlet))],
              [t('cmp.col.type'), [label('ctype.', c.type), ' · ', label('cat.', c.category), ' · ', label('sev.', c.severity)]],
              [t('cmp.channel'), label('ch.', c.channel)],
              [t('cmp.customer'), written('span', {}, [c.customer_masked, c.name_masked].filter(Boolean).join(' · '))],
              c.waybill ? [t('exc.col.waybill'), written('span', {}, c.waybill)] : null,
              c.ticket ? [t('cmp.progressPage'), h('a', { id: 'progress-link', href: progressLink(location.origin, c.ticket), target: '_blank', rel: 'noopener noreferrer' },
                written('span', {}, progressLink(location.origin, c.ticket)))] : null,
              [t('case.col.owner'), written('span', {}, c.owner || '')],
              [t('cmp.col.received'), fmtTime(c.received_at)],
              ...deadlineRows(c, now, t),
              c.satisfaction ? [t('cmp.satisfaction'), t('cmp.stars', { n: c.satisfaction })] : null,
              c.escalations?.length ? [t('cmp.escalations'), written('span', {}, c.escalations.map((e) => e.reason).join('; '))] : null,
            ])),
            panel(t('cmp.text'), c.text ? written('p', { class: 'case-text' }, c.text) : h('p', { class: 'muted' }, t('cmp.sealed'))),
            panel(t('case.history'), historyList(c.history, 'cstep.', 'cstate.'))),
          panel(t('case.steps'), steps)));
    };
    draw(c);
    stop = startTicker(root, now);
    return { node: root, dispose: () => stop() };
  },
};
