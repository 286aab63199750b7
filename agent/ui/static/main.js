// The counter screen's wiring: the pages, the router, the header's pollers,
// the language button. app.js, the script index.html loads, calls start().
//
// The screen is a thin client of the agent's HTTP API (docs/AGENT-API.md):
// every fact lives in the agent's event log, so the screen can be reloaded at
// any moment without losing anything. Native ES modules, no build step, no
// dependencies:
//
//   i18n/zh.js, i18n/en.js  the dictionaries (data only); i18n.js  t(), label()
//   api.js      the API client, its errors, the session token
//   dom.js      h() and the DOM helpers, banners, scanner input
//   format.js   times, countdowns, money, masked personal data (pure)
//   kinds.js    the kind table's codes, loaded from GET /api/v1/kinds
//   router.js   hash routes, page scopes, poll()
//   signature.js, widgets.js   the signature pad and shared pieces of pages
//   header.js, session.js, prefs.js   the top bar, logging out, local choices
//   printjobs.js  the print problems strip; reveal.js  a supervisor's full phone
//   effects.js  what the notices in force change, as banners on the pages
//   pages/*.js  one module per page, each render(root, scope)

import { $, clearError, hideInfo, showError } from './dom.js';
import { getLang, setLang, gaps, t } from './i18n.js';
import { api, loggedIn, onSessionEnded } from './api.js';
import { kindsLoader, loadKinds } from './kinds.js';
import { createRouter, poll } from './router.js';
import { renderHeader, renderSync, refreshSync, refreshNotices, renderNoticeBanner } from './header.js';
import { endSession, logout } from './session.js';
import { refreshPrintProblems, renderPrintProblems } from './printjobs.js';
import { savedLang, saveLang } from './prefs.js';
import { renderLogin } from './pages/login.js';
import { renderScan } from './pages/scan.js';
import { renderPickup } from './pages/pickup.js';
import { renderHandover } from './pages/handover.js';
import { renderDispatch } from './pages/dispatch.js';
import { renderReturns } from './pages/returns.js';
import { renderSending } from './pages/sending.js';
import { renderExceptions } from './pages/exceptions.js';
import { renderComplaints } from './pages/complaints.js';
import { renderNotices } from './pages/notices.js';
import { renderForecast } from './pages/forecast.js';
import { renderIncidents } from './pages/incidents.js';
import { renderStaff } from './pages/staff.js';

// PAGES are the routes: #/<name> renders PAGES[name](root, scope).
export const PAGES = {
  login: renderLogin,
  scan: renderScan,
  pickup: renderPickup,
  handover: renderHandover,
  dispatch: renderDispatch,
  returns: renderReturns,
  sending: renderSending,
  exceptions: renderExceptions,
  complaints: renderComplaints,
  incidents: renderIncidents,
  notices: renderNotices,
  forecast: renderForecast,
  staff: renderStaff,
};

export function start() {
  setLang(savedLang());
  // A self-check the browser test reads: keys in one language only.
  window.yzI18nGaps = () => gaps();
  const route = createRouter({
    root: $('#page'),
    pages: PAGES,
    signedIn: loggedIn,
    before: () => { hideInfo(); renderHeader(); },
    after: renderNoticeBanner,
  });
  // Pages build their drop-downs from the kind table, which the agent
  // serves to a logged-in member: the login page renders at once, any other
  // page once the table is loaded, and a failure is retried until the agent
  // answers.
  const kinds = kindsLoader(() => loadKinds((path) => api('GET', path)));
  const show = () => {
    if (!loggedIn()) return route();
    kinds().then(route, (e) => {
      // The clerk reads the screen's words; the cause is for support.
      console.error(e);
      showError(t('err.kinds'));
      setTimeout(show, 2000);
    });
  };
  onSessionEnded(endSession);
  $('#lang').addEventListener('click', () => {
    setLang(getLang() === 'zh' ? 'en' : 'zh');
    saveLang(getLang());
    show();
    renderSync();
    renderPrintProblems();
  });
  $('#logout').addEventListener('click', logout);
  $('#error-close').addEventListener('click', clearError);
  window.addEventListener('hashchange', () => { clearError(); show(); });
  // Sync status and notices are on every page, before and after login.
  poll(refreshSync, 2000);
  poll(refreshNotices, 30000);
  // A label that did not print is the clerk's on every page.
  poll(refreshPrintProblems, 3000);
  show();
}
