// The few conveniences the screen keeps in localStorage, for this PC and not
// for the session: the language, and the shelf and layer last used to put a
// parcel away (scan-in and restocking a returned parcel share them).

const KEY_LANG = 'yz.lang';
const KEY_SHELF = 'yz.shelf';
const KEY_LAYER = 'yz.layer';

export function savedLang() {
  return localStorage.getItem(KEY_LANG);
}

export function saveLang(l) {
  localStorage.setItem(KEY_LANG, l);
}

// lastPlace is the shelf and layer last used, '' when none.
export function lastPlace() {
  return { shelf: localStorage.getItem(KEY_SHELF) || '', layer: localStorage.getItem(KEY_LAYER) || '' };
}

export function rememberPlace(shelf, layer) {
  localStorage.setItem(KEY_SHELF, shelf);
  localStorage.setItem(KEY_LAYER, layer);
}
