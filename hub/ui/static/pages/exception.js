// One exception: its facts, the handling deadline counting down, its
// history, and the steps head office may take now: assign, start
// handling, inform the customer, open and decide a claim (approved or
// not, with the amount), flag a suspected loss, close.

import { h, written, dl, panel, field, showError } from '../dom.js';
import { label } from '../i18n.js';
import { fmtTime } from '../format.js';
import { hrefOf } from '../router.js';
import { countdownCell, startTicker, historyList, stepForm, ownerField, noteField } from '../cases.js';
import { ACTORS } from './complaints.js';
import { claimText, ROLES } from './exceptions.js';

// cents reads a yuan amount typed by a person ("88", "88.5", "88.50") as
// whole fen, null when it is not an amount.
export function cents(s) {
  const m = /^\s*(\d+)(?:[.,](\d{1,2}))?\s*$/.exec(String(s ?? ''));
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

export const page = {
  id: 'exception',
  path: '/exceptions/:id',
  roles: ROLES,
  reads: ['GET /api/v1/exceptions/{id}'],
  acts: { roles: ACTORS, routes: ['POST /api/v1/exceptions/{id}/steps'] },
  async render(ctx) {
    const { t } = ctx;
    const id = ctx.params.id;
    const route = '/api/v1/exceptions/' + encodeURIComponent(id);
    const now = () => ctx.api.now();
    const root = h('div', { class: 'case', 'data-case-id': id });
    const draw = (x) => {
      const allowed = new Set(ACTORS.includes(ctx.account.role) ? x.allowed || [] : []);
      const reload = async () => draw(await ctx.api.get(route));
      const steps = h('div', { class: 'steps' });
      const plain = ['start_handling', 'inform_customer', 'open_claim', 'flag_suspected_loss', 'close'];
      for (const s of plain.filter((s) => allowed.has(s))) {
        const n = noteField();
        steps.append(stepForm(ctx, route + '/steps', s, 'xstep.', n.node, () => ({ note: n.el.value.trim() }), reload));
      }
      if (allowed.has('decide_claim')) {
        const yes = h('input', { type: 'radio', name: 'approved', value: '1', checked: true });
        const no = h('input', { type: 'radio', name: 'approved', value: '0' });
        const amount = h('input', { name: 'amount', size: 10, inputmode: 'decimal' });
        const n = noteField();
        steps.append(stepForm(ctx, route + '/steps', 'decide_claim', 'xstep.', [
          h('div', { class: 'form-row' }, h('label', { class: 'check' }, yes, t('exc.approve')), h('label', { class: 'check' }, no, t('exc.refuse'))),
          field(t('exc.amount'), amount), n.node,
        ], () => {
          const approved = yes.checked;
          const c = approved ? cents(amount.value) : 0;
          if (c === null) { showError(t('exc.badAmount')); return null; }
          return { approved, amount_cents: c, note: n.el.value.trim() };
        }, reload));
      }
      if (allowed.has('assign')) {
        const o = ownerField();
        steps.append(stepForm(ctx, route + '/steps', 'assign', 'xstep.', o.node, () => {
          const owner = o.el.value.trim();
          if (!owner) { showError(t('case.ownerMissing')); return null; }
          return { owner };
        }, reload));
      }
      if (!steps.children.length) steps.append(h('p', { class: 'muted' }, t('case.noSteps')));
      root.replaceChildren(
        h('p', {}, h('a', { href: hrefOf('/exceptions', { open: '1' }) }, t('exc.back'))),
        h('h1', {}, t('exc.one'), written('span', {}, x.waybill || x.id)),
        h('div', { class: 'cols' },
          h('div', {},
            panel(t('case.facts'), dl([
              [t('case.col.state'), h('span', { class: 'tag', 'data-state': x.state }, label('xstate.', x.state))],
              [t('case.col.outlet'), h('a', { href: hrefOf('/outlets/' + encodeURIComponent(x.outlet)) }, written('span', {}, x.outlet))],
              [t('exc.col.kind'), label('kind.', x.kind)],
              [t('case.col.owner'), written('span', {}, x.owner || '')],
              [t('exc.col.reported'), fmtTime(x.reported_at)],
              [t('exc.handleBy'), x.handled_at ? h('span', { class: 'ok' }, t('cmp.metAt', { at: fmtTime(x.handled_at) })) : countdownCell({ due_at: x.handle_by || null }, now())],
              [t('exc.col.claim'), claimText(x.claim, t) || '—'],
              x.suspected_loss ? [t('exc.suspected'), t('fmt.yes')] : null,
              x.note ? [t('case.note'), written('span', {}, x.note)] : null,
            ])),
            panel(t('case.history'), historyList(x.history, 'xstep.', 'xstate.'))),
          panel(t('case.steps'), steps)));
    };
    draw(await ctx.api.get(route));
    const stop = startTicker(root, now);
    return { node: root, dispose: () => stop() };
  },
};
