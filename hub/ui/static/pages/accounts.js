// Head office's accounts and API tokens (administrators only): add an
// account with a role and a first password, disable and enable it, reset
// its password, unlock it after too many wrong passwords; create an API
// token for an integration (its secret is shown once, here) and revoke one.
// Both lists page and export CSV as every list does.

import { h, written, field, select, button, panel, showError, showInfo, clearError } from '../dom.js';
import { label } from '../i18n.js';
import { fmtTime } from '../format.js';
import { listView } from '../list.js';
import { ROLES } from '../roles.js';
import { codes, prefix } from '../vocab.js';

// MIN_PASSWORD is the shortest password the screen sends; the hub has the
// last word (its error says its rule).
export const MIN_PASSWORD = 8;

// accountBody is what POST /api/v1/accounts takes, or the dictionary key
// of what is missing.
export function accountBody(id, name, role, password) {
  const b = { id: String(id || '').trim(), name: String(name || '').trim(), role, password: String(password || '') };
  if (!b.id) return { missing: 'acc.missingID' };
  if (!ROLES.includes(role)) return { missing: 'acc.missingRole' };
  if (b.password.length < MIN_PASSWORD) return { missing: 'acc.shortPassword' };
  return { body: b };
}

// locked says whether an account is locked out at now.
export function locked(a, now) {
  return !!a.locked_until && Date.parse(a.locked_until) > now;
}

export const page = {
  id: 'accounts',
  path: '/accounts',
  roles: ['admin'],
  nav: 'nav.accounts',
  reads: ['GET /api/v1/accounts', 'GET /api/v1/tokens'],
  acts: { roles: ['admin'], routes: ['POST /api/v1/accounts', 'POST /api/v1/accounts/{id}/disable', 'POST /api/v1/accounts/{id}/enable',
    'POST /api/v1/accounts/{id}/reset', 'POST /api/v1/accounts/{id}/unlock', 'POST /api/v1/tokens', 'DELETE /api/v1/tokens/{name}'] },
  render(ctx) {
    const { t } = ctx;
    let accounts, tokens;
    const act = (a, what, body) => button(t('acc.' + what), async () => {
      await ctx.api.post('/api/v1/accounts/' + encodeURIComponent(a.id) + '/' + what, body ? body() : {});
      clearError();
      showInfo(t('acc.done.' + what, { id: a.id }));
      await accounts.reload();
    }, what === 'disable' ? 'btn btn-danger' : 'btn');
    accounts = listView(ctx, {
      path: '/api/v1/accounts', key: 'accounts',
      columns: [
        { label: 'acc.col.id', cell: (a) => written('strong', { 'data-account': a.id }, a.id) },
        { label: 'acc.col.name', cell: (a) => written('span', {}, a.name) },
        { label: 'acc.col.role', cell: (a) => label('role.', a.role) },
        { label: 'acc.col.state', cell: (a) => [a.disabled ? h('span', { class: 'tag tag-bad' }, t('acc.disabled')) : h('span', { class: 'tag tag-ok' }, t('acc.active')),
          locked(a, ctx.api.now()) ? [' ', h('span', { class: 'tag tag-bad' }, t('acc.lockedUntil', { at: fmtTime(a.locked_until) }))] : null] },
        { label: 'acc.col.lastLogin', cell: (a) => (a.last_login_at ? fmtTime(a.last_login_at) : '—') },
        { label: 'acc.col.actions', cell: (a) => {
          const pw = h('input', { type: 'password', name: 'reset-' + a.id, size: 10, autocomplete: 'new-password', 'aria-label': t('acc.newPassword'), placeholder: t('acc.newPassword') });
          return h('div', { class: 'form-row' },
            a.disabled ? act(a, 'enable') : act(a, 'disable'),
            locked(a, ctx.api.now()) ? act(a, 'unlock') : null,
            pw, button(t('acc.reset'), async () => {
              if (pw.value.length < MIN_PASSWORD) { showError(t('acc.shortPassword')); return; }
              await ctx.api.post('/api/v1/accounts/' + encodeURIComponent(a.id) + '/reset', { password: pw.value });
              pw.value = '';
              clearError();
              showInfo(t('acc.done.reset', { id: a.id }));
            }));
        } },
      ],
    });
    const id = h('input', { name: 'id', size: 12, autocomplete: 'off' });
    const name = h('input', { name: 'name', size: 12 });
    const role = select('role', ROLES, (r) => label('role.', r), 'service');
    const pw = h('input', { type: 'password', name: 'password', size: 12, autocomplete: 'new-password' });
    const add = h('details', { class: 'panel' }, h('summary', {}, t('acc.add')), h('div', { class: 'form-row' },
      field(t('acc.col.id'), id), field(t('acc.col.name'), name), field(t('acc.col.role'), role), field(t('acc.password'), pw),
      button(t('acc.addGo'), async () => {
        const r = accountBody(id.value, name.value, role.value, pw.value);
        if (r.missing) { showError(t(r.missing)); return; }
        await ctx.api.post('/api/v1/accounts', r.body);
        id.value = name.value = pw.value = '';
        clearError();
        showInfo(t('acc.added', { id: r.body.id }));
        await accounts.reload();
      }, 'btn btn-primary')));

    const shown = h('div', {});
    tokens = listView(ctx, {
      path: '/api/v1/tokens', key: 'tokens',
      columns: [
        { label: 'tok.col.name', cell: (x) => written('strong', { 'data-token': x.name }, x.name) },
        { label: 'tok.col.scope', cell: (x) => label('scope.', x.scope) },
        { label: 'tok.col.created', cell: (x) => [fmtTime(x.created_at), x.created_by ? [' · ', written('span', {}, x.created_by)] : null] },
        { label: 'acc.col.actions', cell: (x) => button(t('tok.revoke'), async () => {
          await ctx.api.del('/api/v1/tokens/' + encodeURIComponent(x.name));
          clearError();
          showInfo(t('tok.revoked', { name: x.name }));
          await tokens.reload();
        }, 'btn btn-danger') },
      ],
    });
    const tname = h('input', { name: 'token-name', size: 14 });
    const tscope = select('token-scope', codes('tokenScope'), (c) => label(prefix('tokenScope'), c), 'read');
    const tadd = h('div', { class: 'form-row' }, field(t('tok.col.name'), tname), field(t('tok.col.scope'), tscope),
      button(t('tok.create'), async () => {
        const n = tname.value.trim(), s = tscope.value.trim();
        if (!n || !s) { showError(t('tok.missing')); return; }
        const res = await ctx.api.post('/api/v1/tokens', { name: n, scope: s });
        tname.value = '';
        clearError();
        // The secret is shown this once; the hub keeps only its hash.
        shown.replaceChildren(h('p', {}, t('tok.once', { name: res.name })), written('div', { class: 'token-once', id: 'token-once' }, res.token));
        await tokens.reload();
      }, 'btn btn-primary'));
    return {
      node: h('div', {}, h('h1', {}, t('acc.title')), add, accounts.node,
        panel(t('tok.title'), tadd, shown, tokens.node)),
      dispose: () => { accounts.dispose(); tokens.dispose(); },
    };
  },
};
