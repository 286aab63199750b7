// The one convenience the screen keeps in localStorage, for this PC and not
// for the session: the language.

const KEY_LANG = 'yzhub.lang';

export function savedLang() {
  try { return localStorage.getItem(KEY_LANG); } catch { return null; }
}

export function saveLang(l) {
  try { localStorage.setItem(KEY_LANG, l); } catch { /* private mode: the switch still works for this page */ }
}
