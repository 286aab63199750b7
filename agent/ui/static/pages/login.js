// Login: staff ID and PIN, typed on the keyboard or on the on-screen keypad
// of a touch counter.

import { h, field, showError, clearError } from '../dom.js';
import { t } from '../i18n.js';
import { api, saveSession } from '../api.js';
import { refreshNotices } from '../header.js';
import { takeLoginReason } from '../session.js';

export function renderLogin(root) {
  const staff = h('input', { id: 'login-staff', name: 'staff_id', autocomplete: 'username', inputmode: 'numeric', required: true });
  const pin = h('input', { id: 'login-pin', name: 'pin', type: 'password', autocomplete: 'current-password', inputmode: 'numeric', required: true });
  let target = staff; // the field the on-screen keypad types into
  staff.addEventListener('focus', () => { target = staff; });
  pin.addEventListener('focus', () => { target = pin; });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'login-submit' }, t('login.submit'));

  const key = (label, fn, cls) => h('button', { type: 'button', class: 'key ' + (cls || ''), onclick: fn }, label);
  const type = (d) => () => { target.value += d; target.focus(); };
  const keypad = h('div', { class: 'keypad' },
    ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => key(d, type(d))),
    key(t('login.clear'), () => { target.value = ''; target.focus(); }, 'key-fn'),
    key('0', type('0')),
    key(t('login.back'), () => { target.value = target.value.slice(0, -1); target.focus(); }, 'key-fn'));

  const form = h('form', { class: 'login-form', id: 'login-form' },
    h('h1', {}, t('login.title')),
    field(t('login.staff'), staff),
    field(t('login.pin'), pin),
    submit,
    h('p', { class: 'hint' }, t('login.hint')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!staff.value.trim()) { staff.focus(); return showError(t('err.required', { field: t('login.staff') })); }
    if (!pin.value) { pin.focus(); return showError(t('err.required', { field: t('login.pin') })); }
    submit.disabled = true;
    try {
      const res = await api('POST', '/api/v1/session', { staff_id: staff.value.trim(), pin: pin.value });
      saveSession(res, staff.value.trim());
      clearError();
      location.hash = '#/scan';
      refreshNotices();
    } catch (err) {
      pin.value = '';
      pin.focus();
      showError(err);
    } finally {
      submit.disabled = false;
    }
  });
  root.append(h('div', { class: 'login' }, form, keypad));
  staff.focus();
  const reason = takeLoginReason();
  if (reason) showError(reason);
}
