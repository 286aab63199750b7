// Special-period notices (通告) from head office: the text, its FAQ, and the
// clerk's acknowledgement that they have read it; and, for a week after head
// office ends one, its recovery text, foremost, with the notice it ends.

import { $, h, written, showError, clearError } from '../dom.js';
import { t, label } from '../i18n.js';
import { api, currentStaff } from '../api.js';
import { fmtTime } from '../format.js';
import { effectLines } from '../effects.js';
import { allNotices, noticeOrder, setNotices, refreshNotices, watchNotices, syncStatus, NOTICES_PATH } from '../header.js';

export function renderNotices(root, scope) {
  root.append(h('section', { class: 'panel notices' }, h('h1', {}, t('ntc.title')), h('div', { id: 'notice-list' }, t('loading'))));
  watchNotices(renderNoticeList, scope);
  renderNoticeList();
  // Fetch now, so the page shows an error if the route fails.
  api('GET', NOTICES_PATH).then((res) => {
    setNotices(res.notices || [], res.effects);
  }).catch((err) => {
    const box = $('#notice-list');
    if (box) box.replaceChildren(h('p', { class: 'error-text' }, err.message));
  });
}

function renderNoticeList() {
  const box = $('#notice-list');
  if (!box) return;
  const me = currentStaff()?.id;
  const notices = noticeOrder(allNotices());
  if (!notices.length) {
    box.replaceChildren(h('p', { class: 'muted' }, t('ntc.none')));
    return;
  }
  box.replaceChildren(...notices.map((n) => {
    if (n.ended) return endedNotice(n);
    // Staff ids are per outlet; an acknowledgement elsewhere is not ours.
    const outlet = syncStatus()?.outlet;
    const acked = (n.acknowledged_by || []).some((a) => a.staff === me && (!a.outlet || !outlet || a.outlet === outlet));
    const ack = h('button', { type: 'button', class: 'btn btn-primary', 'data-ack': n.id, disabled: acked }, acked ? t('ntc.acked') : t('ntc.ack'));
    ack.addEventListener('click', async () => {
      ack.disabled = true;
      try {
        await api('POST', `/api/v1/notices/${encodeURIComponent(n.id)}/ack`);
        clearError();
        ack.textContent = t('ntc.acked');
        refreshNotices();
      } catch (err) {
        showError(err);
        ack.disabled = false;
      }
    });
    return h('article', { class: 'notice sev-' + (n.severity || 'info'), 'data-id': n.id },
      h('div', { class: 'card-head' },
        h('span', { class: 'tag' }, label('nsev.', (n.severity || 'info'))),
        written('b', {}, n.title),
        h('span', { class: 'muted small' }, t('ntc.valid', { from: fmtTime(n.valid_from), to: fmtTime(n.valid_to) }))),
      written('p', { class: 'notice-body' }, n.text),
      effectList(n),
      n.faq?.length ? h('div', { class: 'faq' }, h('h3', {}, t('ntc.faq')),
        n.faq.map((f) => h('details', { open: true }, written('summary', {}, f.q), written('p', {}, f.a)))) : null,
      ack);
  }));
}

// effectList says what a notice in force changes at the counter.
function effectList(n) {
  const lines = effectLines(n.effects);
  if (!lines.length) return null;
  return h('div', { class: 'notice-effects' }, h('h3', {}, t('eff.title')),
    h('ul', {}, lines.map((l) => h('li', {}, l))));
}

// endedNotice shows head office's recovery text first and the notice it
// ends folded away below it. What the notice changed no longer applies, so
// it is not listed, and there is nothing left to acknowledge.
function endedNotice(n) {
  return h('article', { class: 'notice notice-recovered', 'data-id': n.id, 'data-state': 'ended' },
    h('div', { class: 'card-head' },
      h('span', { class: 'tag tag-recovered' }, t('ntc.recovered')),
      written('b', {}, n.title),
      n.ended_at ? h('span', { class: 'muted small notice-ended-at' }, t('ntc.endedAt', { at: fmtTime(n.ended_at) })) : null),
    h('div', { class: 'notice-recovery', role: 'status' },
      h('h3', {}, t('ntc.recoveryText')),
      written('p', { class: 'recovery-text' }, n.recovery_text || '')),
    h('details', { class: 'notice-original' },
      h('summary', {}, t('ntc.original')),
      written('p', { class: 'notice-body' }, n.text),
      h('p', { class: 'muted small' }, t('ntc.valid', { from: fmtTime(n.valid_from), to: fmtTime(n.valid_to) }))));
}
