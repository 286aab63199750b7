// What the special-period notices in force change at the counter, in the
// screen's words. The agent merges the active notices' effects (GET
// /api/v1/notices answers them as "effects"); the notices page lists each
// notice's own, and the pages they affect show a banner of those in force:
// the holding period on scan-in, suspended delivery areas on sending and
// dispatch, counter hours on scan-in.

import { h } from './dom.js';
import { t } from './i18n.js';
import { effectsInForce, watchNotices } from './header.js';

// ALL are the parts of a notice's effects, in the order they are shown.
export const ALL = ['hold', 'areas', 'hours'];

// effectLines are the lines saying what e changes, for the parts named.
export function effectLines(e, parts = ALL) {
  if (!e) return [];
  const out = [];
  if (parts.includes('hold') && e.hold_days > 0) out.push(t('eff.hold', { n: e.hold_days }));
  if (parts.includes('areas') && e.delivery_suspended?.length) out.push(t('eff.areas', { areas: e.delivery_suspended.join(', ') }));
  if (parts.includes('hours') && e.counter_hours) out.push(t('eff.hours', { open: e.counter_hours.open, close: e.counter_hours.close }));
  return out;
}

// suspendedArea reports whether deliveries to destination code dest are
// suspended by a notice in force.
export function suspendedArea(dest, e = effectsInForce()) {
  const d = (dest || '').trim();
  return d !== '' && (e?.delivery_suspended || []).includes(d);
}

// effectBanner is a banner of the effects in force for parts, redrawn when
// the notices change until scope ends; hidden while nothing applies.
export function effectBanner(id, parts, scope) {
  const el = h('div', { class: 'effect-banner', id, role: 'status' });
  const draw = () => {
    const lines = effectLines(effectsInForce(), parts);
    el.hidden = lines.length === 0;
    el.replaceChildren(...lines.map((l) => h('div', { class: 'effect-line' }, l)));
  };
  watchNotices(draw, scope);
  draw();
  return el;
}
