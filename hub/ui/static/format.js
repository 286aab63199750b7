// Pure helpers that turn the API's values into text: times, durations and
// countdowns, money, counts. No DOM.

import { t, getLang, dateLocale } from './i18n.js';

// toDate reads the API's times: RFC 3339 strings or Unix milliseconds.
export function toDate(v) {
  return new Date(typeof v === 'number' ? v : String(v));
}

// fmtTime is a date and time to the minute, with the year only when it is
// not this one; a value that is not a time shows as itself, none as ''.
export function fmtTime(v, now = Date.now()) {
  if (v == null || v === '') return '';
  const d = toDate(v);
  if (Number.isNaN(d.getTime())) return String(v);
  const opts = { month: getLang() === 'zh' ? '2-digit' : 'short', day: getLang() === 'zh' ? '2-digit' : 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  if (d.getFullYear() !== new Date(now).getFullYear()) opts.year = 'numeric';
  return d.toLocaleString(dateLocale(), opts);
}

// fmtDuration renders milliseconds as "2天 03:04:05" / "2d 03:04:05"; the
// sign is dropped (the caller says "left" or "overdue").
export function fmtDuration(ms) {
  const sec = Math.floor(Math.abs(Number(ms) || 0) / 1000);
  const d = Math.floor(sec / 86400);
  const hh = String(Math.floor((sec % 86400) / 3600)).padStart(2, '0');
  const mm = String(Math.floor((sec % 3600) / 60)).padStart(2, '0');
  const ss = String(sec % 60).padStart(2, '0');
  return (d > 0 ? t('fmt.days', { d }) + ' ' : '') + `${hh}:${mm}:${ss}`;
}

// countdown is a deadline's line at now (Unix ms, the hub's clock): the
// time left, or how long ago it passed, breached. No deadline is ''.
export function countdown(dueAt, now) {
  if (!dueAt) return { text: '', breached: false };
  const due = toDate(dueAt).getTime();
  if (Number.isNaN(due)) return { text: String(dueAt), breached: false };
  const left = due - now;
  return left >= 0
    ? { text: t('fmt.left', { t: fmtDuration(left) }), breached: false }
    : { text: t('fmt.overdue', { t: fmtDuration(left) }), breached: true };
}

// ago says how long before now a time was: seconds, minutes, hours or days.
export function ago(v, now) {
  if (!v) return t('fmt.never');
  const d = toDate(v).getTime();
  if (Number.isNaN(d)) return String(v);
  const s = Math.max(0, Math.floor((now - d) / 1000));
  if (s < 60) return t('fmt.agoS', { n: s });
  if (s < 3600) return t('fmt.agoMin', { n: Math.floor(s / 60) });
  if (s < 86400) return t('fmt.agoH', { n: Math.floor(s / 3600) });
  return t('fmt.agoD', { n: Math.floor(s / 86400) });
}

// offset is a clock offset in milliseconds as a signed duration:
// "+00:00:03", "−06:00:00"; under a second is no offset, unsigned.
export function offset(ms) {
  const n = Number(ms) || 0;
  if (Math.abs(n) < 1000) return fmtDuration(0);
  return (n < 0 ? '−' : '+') + fmtDuration(n);
}

// yuan renders whole fen (cents) as ¥12.34; money travels in fen.
export function yuan(cents) {
  return '¥' + (Number(cents || 0) / 100).toFixed(2);
}

// count is a number with the locale's grouping; missing is '0'.
export function count(n) {
  return Number(n || 0).toLocaleString(dateLocale());
}

// shortID is a long id (a UUID) cut to its last eight characters.
export function shortID(id) {
  const s = String(id || '');
  return s.length > 12 ? '…' + s.slice(-8) : s;
}
