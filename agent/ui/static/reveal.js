// Revealing a masked phone or name: for supervisors only, next to where the
// masked value shows. The agent records the view before it answers, and the
// screen says so with the audit event's number.

import { h, showError } from './dom.js';
import { t } from './i18n.js';
import { api, currentStaff } from './api.js';

// canReveal is whether the logged-in staff member may see full values.
export function canReveal(staff = currentStaff()) {
  return staff?.role === 'supervisor';
}

// revealButton is the button that shows kind/id's field in full, or null
// for a clerk (the agent refuses them anyway).
export function revealButton(kind, id, field = 'phone') {
  if (!canReveal()) return null;
  const box = h('span', { class: 'reveal', 'data-reveal': `${kind}/${id}/${field}` });
  const btn = h('button', { type: 'button', class: 'btn btn-small btn-ghost reveal-btn' }, t('reveal.' + field));
  btn.addEventListener('click', async (e) => {
    e.stopPropagation(); // the row around it selects the parcel on click
    btn.disabled = true;
    try {
      const res = await api('GET', `/api/v1/personal/${encodeURIComponent(kind)}/${encodeURIComponent(id)}?field=${encodeURIComponent(field)}`);
      box.replaceChildren(h('b', { class: 'revealed' }, res.value),
        h('small', { class: 'reveal-audit' }, t('reveal.recorded', { seq: res.audit?.seq ?? '?', by: res.audit?.actor ?? '' })));
    } catch (err) {
      showError(err);
      btn.disabled = false;
    }
  });
  box.append(btn);
  return box;
}
