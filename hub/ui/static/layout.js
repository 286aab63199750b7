// The top bar: the navigation of the account's role (roles.js), who is
// logged in, the language switch and logging out.

import { $, h, written } from './dom.js';
import { t, label, getLang } from './i18n.js';
import { navFor } from './roles.js';
import { parseHash, matchPath } from './router.js';

// renderTop draws the bar for account (null before login) with the page
// at hash marked as current.
export function renderTop(pages, account, hash) {
  const nav = $('#nav');
  const { path } = parseHash(hash);
  if (!account) {
    nav.hidden = true;
    nav.replaceChildren();
  } else {
    nav.hidden = false;
    nav.replaceChildren(...navFor(pages, account.role).map((p) => {
      const on = p.path === '/' ? path === '/' : (matchPath(p.path, path) !== null || path.startsWith(p.path + '/'));
      return h('a', { href: '#' + p.path, class: 'nav-link' + (on ? ' on' : ''), 'data-page': p.id, 'aria-current': on ? 'page' : null }, t(p.nav));
    }));
  }
  $('#who').replaceChildren(...(account ? [written('span', { class: 'who-name' }, account.name || account.id), ' · ', h('span', { class: 'who-role' }, label('role.', account.role))] : []));
  $('#logout').hidden = !account;
  $('#logout').textContent = t('app.logout');
  $('#lang').textContent = getLang() === 'zh' ? 'EN' : '中文';
  $('#lang').title = t('app.lang');
  $('#brand-name').textContent = t('app.brand');
  document.title = t('app.title');
}
