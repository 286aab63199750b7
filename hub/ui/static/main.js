// Head office's screen's wiring: the pages, the session, the router, the
// top bar. app.js, the script index.html loads, calls start().
//
// The screen is a thin client of the hub's HTTP API: every fact lives in
// the hub's store, so the screen can be reloaded at any moment. Native ES
// modules, no build step, no dependencies:
//
//   i18n/zh.js, i18n/en.js  the dictionaries (data only); i18n.js  t(), label()
//   api.js      the API client, its errors, the session, CSV links
//   dom.js      h() and the DOM helpers, banners
//   format.js   times, countdowns, money (pure)
//   router.js   hash routes with params, poll()
//   roles.js    which pages a role sees (pure)
//   list.js     the one list: filters, pages by cursor, CSV
//   layout.js   the top bar; prefs.js  the remembered language
//   pages/*.js  one module per page, each exporting `page` (see below);
//               notices.js and stock.js export `pages`, the few pages of one
//               subject (a list, one item, publishing one)
//   charts.js   a measures answer into table rows and ECharts options (pure);
//               vendor/echarts/ the embedded ECharts, loaded by the measures page
//   scope.js    every row of a paged list; the scope picker of a notice
//
// A page module exports
//   export const page = { id, path: '/x' or '/x/:id', roles: [...], nav: 'nav.x' (absent for a
//                         page reached from another), reads: ['GET /api/v1/x'] (the routes it
//                         calls for every role), acts: {roles, routes} (the roles that may
//                         change something here and the routes they call), render(ctx) }
// roles_test.go holds reads and acts to the hub's route table (hub/accounts).
// render returns a node, a promise of one, or {node, dispose}; ctx is
//   { api, t, lang, account, params, query, path, navigate(path, query), pages }.

import { $, clearError, hideInfo, showError, showInfo } from './dom.js';
import { getLang, setLang, gaps, t } from './i18n.js';
import { createApi, loadSession, logout } from './api.js';
import { createRouter, hrefOf, parseHash, LOGIN } from './router.js';
import { renderTop } from './layout.js';
import { savedLang, saveLang } from './prefs.js';
import { page as login } from './pages/login.js';
import { page as overview } from './pages/overview.js';
import { page as outlets } from './pages/outlets.js';
import { page as outlet } from './pages/outlet.js';
import { page as parcels } from './pages/parcels.js';
import { page as parcel } from './pages/parcel.js';
import { page as complaints } from './pages/complaints.js';
import { page as complaint } from './pages/complaint.js';
import { page as exceptions } from './pages/exceptions.js';
import { page as exception } from './pages/exception.js';
import { page as templates } from './pages/templates.js';
import { page as review } from './pages/review.js';
import { page as audit } from './pages/audit.js';
import { page as accounts } from './pages/accounts.js';
import { page as measures } from './pages/measures.js';
import { pages as forecastPages } from './pages/forecast.js';
import { pages as customerPages } from './pages/customers.js';
import { page as classes } from './pages/classes.js';
import { page as surveys } from './pages/surveys.js';
import { pages as noticePages } from './pages/notices.js';
import { pages as incidentPages } from './pages/incidents.js';
import { pages as stockPages } from './pages/stock.js';

// PAGES are the screen's pages, in the navigation's order. A module's path
// is matched in this order, so '/outlets' comes before '/outlets/:id'.
export const PAGES = [
  overview,
  outlets, outlet,
  parcels, parcel,
  complaints, complaint,
  exceptions, exception,
  templates,
  review,
  measures,
  ...forecastPages,
  ...customerPages,
  classes,
  surveys,
  ...noticePages,
  ...incidentPages,
  ...stockPages,
  audit,
  accounts,
  login,
];

let account = null;

export function start() {
  setLang(savedLang());
  // A self-check the browser test reads: keys in one language only.
  window.yzI18nGaps = () => gaps();
  const api = createApi({
    fetchFn: (...a) => fetch(...a),
    onSessionEnded: (why) => {
      if (!account) return;
      account = null;
      location.hash = '#' + LOGIN;
      showError(why || t('err.session'));
    },
  });
  const navigate = (path, query) => { location.hash = hrefOf(path, query); };
  const route = createRouter({
    root: $('#page'),
    pages: PAGES,
    account: () => account,
    ctxFor: (d) => ({
      api, t, lang: getLang(), account, params: d.params, query: d.query, path: parseHash(location.hash).path, navigate, pages: PAGES,
      // The login page sets the account it logged in with.
      signedIn: (s) => { account = s?.account || null; navigate('/', {}); },
    }),
    before: () => { hideInfo(); renderTop(PAGES, account, location.hash); },
    after: () => renderTop(PAGES, account, location.hash),
    onError: (e) => showError(e),
  });
  $('#lang').addEventListener('click', () => {
    setLang(getLang() === 'zh' ? 'en' : 'zh');
    saveLang(getLang());
    route();
  });
  $('#logout').addEventListener('click', async () => {
    try { await logout(api); } catch (e) { showError(e); return; }
    account = null;
    location.hash = '#' + LOGIN;
    showInfo(t('login.bye'));
  });
  $('#error-close').addEventListener('click', clearError);
  window.addEventListener('hashchange', () => { clearError(); route(); });
  loadSession(api).then((s) => { account = s?.account || null; }, (e) => { showError(e); }).finally(route);
}
