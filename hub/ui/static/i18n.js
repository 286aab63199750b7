// The screen's words: every visible string comes from a dictionary through
// t(). Chinese is the default; English is a switch the browser remembers
// (prefs.js). The language is module state set by the entry, so the
// functions here also run under node for the tests. The rules are the
// counter screen's (agent/ui/static/i18n.js).

import zh from './i18n/zh.js';
import en from './i18n/en.js';

export const DICTIONARIES = { zh, en };

let lang = 'zh';

// getLang is the current language, 'zh' or 'en'.
export function getLang() {
  return lang;
}

// setLang switches the language; anything but 'en' means Chinese, as a
// missing or garbled saved choice should.
export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  if (typeof document !== 'undefined') document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

// dateLocale is the locale dates and clocks are written in; both write the
// 24-hour clock (format.js).
export function dateLocale() {
  return lang === 'zh' ? 'zh-CN' : 'en-US';
}

// translate looks a key up in dicts[l], falling back to Chinese and then to
// the key itself, and fills {name} placeholders from vars. A placeholder
// vars does not name stays as written, so a missing value is visible.
export function translate(dicts, l, key, vars) {
  let s = dicts[l]?.[key] ?? dicts.zh[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k] ?? '') : m));
  return s;
}

// t is translate in the current language.
export function t(key, vars) {
  return translate(DICTIONARIES, lang, key, vars);
}

// known reports whether a dictionary has words for key.
export function known(key) {
  return key in DICTIONARIES[lang] || key in zh;
}

// label names a value of an API vocabulary (a state, a step, a kind). A
// value the screen does not know yet shows as itself, not as a key.
export function label(prefix, value) {
  const key = prefix + value;
  return known(key) ? t(key) : String(value ?? '');
}

// gaps lists the keys present in one language and not the other; the
// browser test reads it as window.yzI18nGaps().
export function gaps(dicts = DICTIONARIES) {
  const a = Object.keys(dicts.zh), b = Object.keys(dicts.en);
  return a.filter((k) => !(k in dicts.en)).concat(b.filter((k) => !(k in dicts.zh)));
}
