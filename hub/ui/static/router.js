// The router: the page is the hash (#/complaints?open=1, #/outlets/O1), so
// a reload or the back button lands where the user was, filters included.
// Each page module declares its path ('/outlets/:id' takes a parameter) and
// the roles that may open it (roles.js). A page's render may return a node,
// a promise of one, or {node, dispose}; the router disposes of the page
// before it renders the next, so timers never pile up.
//
// The decisions (which page, with which params, or where to send the user
// instead) are pure functions of the hash, the session and the page list;
// the tests run them under node.

import { allows, navFor } from './roles.js';

export const LOGIN = '/login';
export const HOME = '/';

// parseHash splits '#/outlets/O1?tab=x' into its path and query.
export function parseHash(hash) {
  const s = String(hash || '').replace(/^#/, '');
  const [p, q] = s.split('?');
  let path = '/' + (p || '').replace(/^\/+/, '');
  if (path.length > 1) path = path.replace(/\/+$/, '');
  return { path, query: Object.fromEntries(new URLSearchParams(q || '')) };
}

// hrefOf is the hash of a path with a query, leaving out blank values.
export function hrefOf(path, query) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== '' && v != null && v !== false) p.append(k, v === true ? '1' : String(v));
  const s = p.toString();
  return '#' + path + (s ? '?' + s : '');
}

// matchPath matches a path against a pattern: the params it names
// ({id: 'O1'} for '/outlets/:id' and '/outlets/O1'), or null.
export function matchPath(pattern, path) {
  const a = pattern.split('/').filter(Boolean), b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return null;
  const params = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(':')) {
      try { params[a[i].slice(1)] = decodeURIComponent(b[i]); } catch { return null; }
    } else if (a[i] !== b[i]) return null;
  }
  return params;
}

// findPage is the first page whose path matches, with its params.
export function findPage(pages, path) {
  for (const page of pages) {
    const params = matchPath(page.path, path);
    if (params) return { page, params };
  }
  return null;
}

// decide says what to show for a hash: {page, params, query} to render, or
// {redirect} to a hash. Nobody logged in sees only the login page; a
// logged-in user is sent home from the login page, from a page that does
// not exist and from one their role may not open, and from home to the
// first page of their navigation when home is not theirs.
export function decide(hash, account, pages) {
  const { path, query } = parseHash(hash);
  if (!account) {
    if (path === LOGIN) return { page: findPage(pages, LOGIN).page, params: {}, query };
    return { redirect: '#' + LOGIN };
  }
  const found = path === LOGIN ? null : findPage(pages, path);
  if (!found || !allows(found.page, account.role)) {
    if (path !== HOME) return { redirect: '#' + HOME };
    // A role without the overview starts at its first page.
    const first = navFor(pages, account.role)[0];
    return first && first.path !== HOME ? { redirect: '#' + first.path } : { page: null, params: {}, query };
  }
  return { page: found.page, params: found.params, query };
}

// poll runs fn now and then ms after each run finishes, so a slow hub never
// gets overlapping requests. The returned function stops it.
export function poll(fn, ms) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    try { await fn(); } catch { /* fn reports its own errors */ }
    if (!stopped) timer = setTimeout(run, ms);
  };
  run();
  return () => { stopped = true; clearTimeout(timer); };
}

// createRouter returns route(), which renders the page the hash names into
// root. account() is the session's account or null; ctxFor(decision) builds
// the page's ctx; before and after run around each render; onError shows a
// page's failure. A render that finishes after the user moved on is thrown
// away.
export function createRouter({ root, pages, account, ctxFor, before, after, onError, empty }) {
  let dispose = null;
  let generation = 0;
  return async function route() {
    const d = decide(location.hash, account(), pages);
    if (d.redirect) {
      location.hash = d.redirect;
      return; // hashchange calls route again
    }
    const mine = ++generation;
    try { dispose?.(); } catch (e) { console.error(e); }
    dispose = null;
    before?.(d);
    root.dataset.page = d.page ? d.page.id : '';
    root.replaceChildren();
    let out;
    try {
      out = d.page ? await d.page.render(ctxFor(d)) : empty?.();
    } catch (e) {
      if (mine !== generation) return;
      onError?.(e);
      after?.(d);
      return;
    }
    const node = out && typeof out === 'object' && 'node' in out ? out.node : out;
    const stop = out && typeof out === 'object' && 'node' in out ? out.dispose : null;
    if (mine !== generation) {
      try { stop?.(); } catch (e) { console.error(e); }
      return;
    }
    dispose = stop || null;
    if (node) root.replaceChildren(node);
    after?.(d);
  };
}
