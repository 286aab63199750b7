// Ending a session: on logout, or when the agent refuses the token, the
// clerk goes back to the login page, which shows why.

import { showError } from './dom.js';
import { api, dropSession } from './api.js';
import { renderHeader } from './header.js';

// loginReason is shown on the login page once it has rendered: changing the
// route clears the banner, so the reason must outlive the hashchange.
let loginReason = null;

// takeLoginReason returns the reason the last session ended, once.
export function takeLoginReason() {
  const r = loginReason;
  loginReason = null;
  return r;
}

export function endSession(reason) {
  dropSession();
  if (location.hash !== '#/login') {
    loginReason = reason || null;
    location.hash = '#/login';
  } else if (reason) {
    showError(reason);
  }
  renderHeader();
}

export async function logout() {
  try { await api('DELETE', '/api/v1/session'); } catch { /* the token is dropped either way */ }
  endSession();
}
