// Pure helpers that turn the API's values into text: times, durations and
// countdowns, money, weights, and the lines that show personal data. No DOM.

import { t, known, getLang, dateLocale, sentenceParts } from './i18n.js';

// toDate reads the API's times: RFC 3339 strings, or Unix milliseconds in
// the folded lifecycle records.
export function toDate(v) {
  return new Date(typeof v === 'number' ? v : String(v));
}

// fmtTime is a date and time to the minute: "12/02 14:30" in Chinese (month
// first, as zh-CN writes it), "Dec 2, 14:30" in English; a value that is not
// a time shows as itself.
export function fmtTime(v) {
  if (!v) return '';
  const d = toDate(v);
  if (Number.isNaN(d.getTime())) return String(v);
  const month = getLang() === 'zh' ? '2-digit' : 'short';
  const day = getLang() === 'zh' ? '2-digit' : 'numeric';
  return d.toLocaleString(dateLocale(), { month, day, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

// fmtClock is the time of day to the second; a value that is not a time
// shows as nothing.
export function fmtClock(v) {
  if (!v) return '';
  const d = toDate(v);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString(dateLocale(), { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

// fmtDuration renders seconds as "2天 03:04:05" / "2d 03:04:05". The sign is
// dropped: the caller says "left" or "overdue".
export function fmtDuration(sec) {
  sec = Math.abs(Math.trunc(sec));
  const d = Math.floor(sec / 86400);
  const hh = String(Math.floor((sec % 86400) / 3600)).padStart(2, '0');
  const mm = String(Math.floor((sec % 3600) / 60)).padStart(2, '0');
  const ss = String(sec % 60).padStart(2, '0');
  return (d > 0 ? t('cmp.days', { d }) + ' ' : '') + `${hh}:${mm}:${ss}`;
}

// countdown is a deadline's line: remaining is the agent's count of seconds
// left when the list loaded (hub-corrected time), elapsed the seconds the
// screen has measured since, on the monotonic clock.
export function countdown(remaining, elapsed) {
  const left = Number(remaining) - elapsed;
  return {
    breached: left < 0,
    text: left >= 0 ? t('cmp.left', { t: fmtDuration(left) }) : t('cmp.breached', { t: fmtDuration(left) }),
  };
}

// metText is a met deadline's line; the agent froze its remaining time.
export function metText(remaining) {
  return remaining < 0 ? t('cmp.metLate', { t: fmtDuration(remaining) }) : t('cmp.met');
}

// yuan renders whole fen as ¥12.34; money travels in fen, never floats.
export function yuan(fen) {
  return '¥' + (Number(fen || 0) / 100).toFixed(2);
}

// kg renders grams as kilograms with three decimals, as the scale shows.
export function kg(grams) {
  return (Number(grams || 0) / 1000).toFixed(3) + ' kg';
}

// today is the PC's local date as YYYY-MM-DD, the business day's format.
export function today(d = new Date()) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// shortID is a long id (a UUID) cut to what a person can compare at a
// glance: its last eight characters. UUIDv7 ids share their leading time
// digits, so the tail is the part that differs.
export function shortID(id) {
  const s = String(id || '');
  return s.length > 12 ? '…' + s.slice(-8) : s;
}

// joined writes the parts that are present, separated by sep.
export function joined(parts, sep) {
  return parts.filter(Boolean).join(sep);
}

// maskedContact is a parcel's recipient as the screen may show them: only the
// agent's masked fields (138****5678), never a phone or name in clear.
export function maskedContact(p) {
  return joined([p.phone_masked, p.name_masked], ' · ');
}

// maskedParty is a sender or recipient of a shipment, masked, with extra
// parts (an ID number already masked by the agent, a destination code).
export function maskedParty(party, ...extra) {
  return joined([party?.name_masked, party?.phone_masked, ...extra], ' ');
}

// quoteLine words a priced line of a quote from its code and params
// (quote.first_weight…); a line this screen does not know shows its code.
export function quoteLine(l) {
  return known('quote.' + l.code) ? t('quote.' + l.code, l.params || {}) : String(l.code ?? '');
}

// handoverNote words an exception a handover raised: a parcel on its
// manifests that was not scanned (lost), or one scanned that none listed
// (mis_sorted).
export function handoverNote(kind, id) {
  return t(known('exc.handover.' + kind) ? 'exc.handover.' + kind : 'exc.handover.other', { id });
}

// deviceWords are a device status's advice in the screen's language, from
// its code and params (dev.detail.<code>, dev.fix.<code>): detail is what
// the device reports, the lesser conditions after the main one, fix what to
// do. A code this screen does not know yet says nothing rather than show the
// agent's own words, which are in both languages.
export function deviceWords(d) {
  const say = (key) => (known(key) ? t(key, d.params || {}) : '');
  const codes = [d.code, ...String(d.also || '').split(' ')].filter(Boolean);
  return {
    detail: joined(codes.map((c) => say('dev.detail.' + c)), t('dev.sep')),
    fix: d.code ? say('dev.fix.' + d.code) : '',
  };
}

// deviceTitle is a device's tooltip: what is wrong and how to fix it.
export function deviceTitle(d) {
  const w = deviceWords(d);
  return joined([w.detail, w.fix], ' — ');
}

// heardText says when head office was last heard from, from the sync
// status: seconds, minutes or hours ago by the agent's count, with the time
// of day once it is more than a minute; "not since start" when never.
export function heardText(s) {
  const n = s?.last_heard_ago_s;
  if (n == null) return t('sync.neverHeard');
  let ago;
  if (n < 60) ago = t('ago.s', { n });
  else if (n < 3600) ago = t('ago.min', { n: Math.floor(n / 60) });
  else ago = t('ago.h', { n: Math.floor(n / 3600) });
  if (n >= 60 && fmtClock(s.last_heard)) return t('sync.heardAt', { ago, at: fmtClock(s.last_heard) });
  return t('sync.heard', { ago });
}

// stepActorParts says who took a step of a complaint's or an exception's
// history, as sentence parts ([{text, own}], see sentenceParts): a step of
// head office (origin "hub") as its account, "总部 · li.na" / "Head office ·
// li.na" (just "总部" when it names none), an outlet's as the clerk's staff
// id. The account and the id are somebody's names, shown as written.
export function stepActorParts(item) {
  const actor = String(item?.actor || '').trim();
  if (item?.origin === 'hub') return actor ? sentenceParts('hist.hubActor', { actor }, ['actor']) : [{ text: t('hist.hub'), own: false }];
  return actor ? [{ text: actor, own: true }] : [];
}

// stepActor is stepActorParts as one line.
export function stepActor(item) {
  return stepActorParts(item).map((p) => p.text).join('');
}
