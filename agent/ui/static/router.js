// The router: the page is the hash (#/pickup, #/handover?id=H1), so a reload
// or the back button lands where the clerk was. Each page gets a scope, a
// list of stoppers for its timers and listeners, which the router runs when
// the page changes, so pollers never pile up.
//
// The decisions (which page, or where to send the clerk instead) are pure
// functions of the hash and the login state; the tests run them under node.

import { h, showError } from './dom.js';

export const LOGIN = 'login';
export const HOME = 'scan';

// pageOf is the page a hash names: '#/handover?id=H1' → 'handover'.
export function pageOf(hash) {
  return String(hash || '').replace(/^#\/?/, '').split('?')[0];
}

// paramOf reads a parameter of a hash: #/handover?id=… keeps the session
// open across a reload.
export function paramOf(hash, name) {
  const q = String(hash || '').split('?')[1] || '';
  return new URLSearchParams(q).get(name);
}

// currentPage is the page a hash names, or the start page for the login
// state when it names none. It may name a page that does not exist.
export function currentPage(hash, signedIn) {
  return pageOf(hash) || (signedIn ? HOME : LOGIN);
}

// decide says what to show for a hash: {page} to render, or {redirect} to a
// hash (a clerk who is not logged in sees only the login page). known tells
// the pages that exist.
export function decide(hash, signedIn, known) {
  let r = currentPage(hash, signedIn);
  if (!signedIn && r !== LOGIN) return { redirect: '#/' + LOGIN };
  if (signedIn && r === LOGIN) r = HOME;
  if (!known(r)) r = signedIn ? HOME : LOGIN;
  return { page: r };
}

// routeParam reads a parameter of the current page's hash.
export function routeParam(name) {
  return paramOf(location.hash, name);
}

// poll runs fn now and then ms after each run finishes, so a slow agent never
// gets overlapping requests. It stops with scope, when one is given.
export function poll(fn, ms, scope) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    try { await fn(); } catch { /* fn reports its own errors */ }
    if (!stopped) timer = setTimeout(run, ms);
  };
  run();
  const stop = () => { stopped = true; clearTimeout(timer); };
  scope?.push(stop);
  return stop;
}

// createRouter returns route(), which renders the page the hash names into
// root. pages maps a page name to its render(root, scope); signedIn tells
// the login state; before(page) runs after the old page stopped and before
// the new one renders, after(page) once it has.
export function createRouter({ root, pages, signedIn, before, after }) {
  let scope = [];
  // Own names only: #/constructor is not a page.
  const known = (p) => Object.prototype.hasOwnProperty.call(pages, p);
  return function route() {
    const d = decide(location.hash, signedIn(), known);
    if (d.redirect) {
      location.hash = d.redirect;
      return; // hashchange calls route again
    }
    for (const stop of scope) stop();
    scope = [];
    before?.(d.page);
    root.dataset.page = d.page;
    root.replaceChildren();
    try {
      pages[d.page](root, scope);
    } catch (e) {
      // Never a blank screen: a bug in a page still leaves a message.
      console.error(e);
      root.replaceChildren(h('p', { class: 'panel' }, String(e)));
      showError(e);
    }
    after?.(d.page);
  };
}
