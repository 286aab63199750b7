// Logging in with an account and its password. The hub answers a wrong
// password, an unknown account and a locked account with a code; the
// words are the dictionaries' (error.<code>, with "locked until …").

import { h, field, showError, clearError } from '../dom.js';
import { login } from '../api.js';

// credentials reads the form: the account trimmed, the password as typed,
// null when either is missing.
export function credentials(account, password) {
  const a = String(account || '').trim();
  return a && password ? { account: a, password: String(password) } : null;
}

export const page = {
  id: 'login',
  path: '/login',
  render(ctx) {
    const { t } = ctx;
    const acct = h('input', { name: 'account', id: 'login-account', autocomplete: 'username', required: true, autofocus: true });
    const pass = h('input', { name: 'password', id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'login-submit' }, t('login.submit'));
    const form = h('form', { class: 'login', onsubmit: async (e) => {
      e.preventDefault();
      const c = credentials(acct.value, pass.value);
      if (!c) { showError(t('login.missing')); return; }
      submit.disabled = true;
      try {
        const s = await login(ctx.api, c.account, c.password);
        clearError();
        ctx.signedIn(s);
      } catch (err) {
        pass.value = '';
        showError(err);
        pass.focus();
      } finally {
        submit.disabled = false;
      }
    } },
    h('h1', {}, t('login.title')),
    h('p', { class: 'muted' }, t('login.hint')),
    field(t('login.account'), acct),
    field(t('login.password'), pass),
    submit);
    setTimeout(() => acct.focus(), 0);
    return h('div', { class: 'login-wrap' }, form);
  },
};
