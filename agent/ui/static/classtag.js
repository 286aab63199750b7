// The class head office gives the customer at the desk (重要价值客户 …),
// so the service can differ as the plans ask. Only the class's name is
// shown, never the figures behind it (the outlet has none). The phone is
// sent in a POST body, never in an address.

import { h } from './dom.js';
import { t } from './i18n.js';
import { api } from './api.js';

// CLASSES are head office's eight class ids.
export const CLASSES = ['important_value', 'important_develop', 'important_keep', 'important_retain',
  'general_value', 'general_develop', 'general_keep', 'general_retain'];

// classWords is a class's name in the screen's language, '' for an id
// this screen does not know (a newer head office) or none.
export function classWords(tr, c) {
  return CLASSES.includes(c) ? tr('class.' + c) : '';
}

// fillClass asks the agent for the class of req ({phone} or {waybill})
// and shows it in el, hiding el when there is none (or req is null). A
// later call wins.
export async function fillClass(el, req) {
  const ask = String(Math.random());
  el.dataset.ask = ask;
  el.hidden = true;
  el.textContent = '';
  el.dataset.class = '';
  if (!req) return;
  let c = '';
  try {
    c = (await api('POST', '/api/v1/customer-class', req)).class || '';
  } catch {
    return; // a class is a courtesy: no error for it at the desk
  }
  if (el.dataset.ask !== ask) return;
  const words = classWords(t, c);
  el.dataset.class = c;
  el.textContent = words;
  el.hidden = !words;
}

// classTag is a tag filled with req's class.
export function classTag(id, req) {
  const el = h('span', { class: 'tag tag-class', id, hidden: true });
  if (req) fillClass(el, req);
  return el;
}
