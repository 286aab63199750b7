// t(), label() and the dictionaries. Run with: node --test agent/ui/jstest/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zh from '../static/i18n/zh.js';
import en from '../static/i18n/en.js';
import { t, label, translate, setLang, getLang, dateLocale, gaps, sentenceParts } from '../static/i18n.js';

const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('zh.js and en.js have exactly the same keys', () => {
  const onlyZh = Object.keys(zh).filter((k) => !(k in en));
  const onlyEn = Object.keys(en).filter((k) => !(k in zh));
  assert.deepEqual({ onlyZh, onlyEn }, { onlyZh: [], onlyEn: [] });
  assert.ok(Object.keys(zh).length >= 100, 'the dictionary looks empty');
});

test('the dictionaries are flat maps of strings with the same placeholders', () => {
  for (const [name, dict] of [['zh', zh], ['en', en]]) {
    for (const [k, v] of Object.entries(dict)) {
      assert.equal(typeof v, 'string', `${name} ${k} is not a string`);
      assert.ok(v.length > 0, `${name} ${k} is empty`);
    }
  }
  for (const k of Object.keys(zh)) {
    if (k in en) assert.deepEqual(placeholders(en[k]), placeholders(zh[k]), `placeholders of ${k}`);
  }
});

test('gaps reports keys in one language only', () => {
  assert.deepEqual(gaps(), []);
  assert.deepEqual(gaps({ zh: { a: '甲', b: '乙' }, en: { a: 'A', c: 'C' } }), ['b', 'c']);
});

test('translate fills placeholders', () => {
  const d = { zh: { k: '{a} 和 {b}，再 {a}', n: '{n} 件' }, en: {} };
  assert.equal(translate(d, 'zh', 'k', { a: 1, b: 'x' }), '1 和 x，再 1');
  // A value that is zero or empty still fills its placeholder.
  assert.equal(translate(d, 'zh', 'n', { n: 0 }), '0 件');
  assert.equal(translate(d, 'zh', 'n', { n: '' }), ' 件');
  // A placeholder with no value stays visible, and so does every one
  // when no values are given.
  assert.equal(translate(d, 'zh', 'k', { a: 1 }), '1 和 {b}，再 1');
  assert.equal(translate(d, 'zh', 'k'), '{a} 和 {b}，再 {a}');
  // Replacement text is taken literally, never as a pattern.
  assert.equal(translate(d, 'zh', 'n', { n: '$&$1' }), '$&$1 件');
});

test('translate falls back to Chinese, then to the key', () => {
  const d = { zh: { a: '甲', b: '乙' }, en: { a: 'A' } };
  assert.equal(translate(d, 'en', 'a'), 'A');
  assert.equal(translate(d, 'en', 'b'), '乙');
  assert.equal(translate(d, 'en', 'c'), 'c');
  assert.equal(translate(d, 'zh', 'c', { x: 1 }), 'c');
});

test('t speaks the current language, Chinese by default', () => {
  try {
    assert.equal(getLang(), 'zh');
    assert.equal(t('nav.scan'), '入库');
    assert.equal(dateLocale(), 'zh-CN');
    setLang('en');
    assert.equal(getLang(), 'en');
    assert.equal(t('nav.scan'), 'Scan in');
    assert.equal(t('sync.backlog', { n: 3 }), '3 to sync');
    assert.equal(dateLocale(), 'en-US', 'month first: en-GB wrote 02/12 for 2 December');
    // A saved choice that is missing or garbled means Chinese.
    for (const v of [null, undefined, '', 'fr', 'EN']) {
      setLang(v);
      assert.equal(getLang(), 'zh', `setLang(${v})`);
    }
    assert.equal(t('no.such.key'), 'no.such.key');
  } finally {
    setLang('zh');
  }
});

test('label names known values and shows unknown ones as themselves', () => {
  try {
    assert.equal(label('kind.', 'mis_sorted'), '错分');
    setLang('en');
    assert.equal(label('kind.', 'mis_sorted'), 'Mis-sorted');
    assert.equal(label('kind.', 'teleported'), 'teleported');
    assert.equal(label('kind.', undefined), '');
  } finally {
    setLang('zh');
  }
});

test('sentenceParts marks the values that are somebody\'s words', () => {
  try {
    setLang('en');
    assert.deepEqual(sentenceParts('ho.courierIs', { who: '王师傅' }, ['who']).filter((p) => p.own), [{ text: '王师傅', own: true }]);
    const parts = sentenceParts('ho.courierIs', { who: '王师傅' }, ['who']);
    assert.equal(parts.map((p) => p.text).join(''), t('ho.courierIs', { who: '王师傅' }));
    assert.ok(parts.some((p) => !p.own && /[A-Za-z]/.test(p.text)), 'the screen\'s own words are not marked');
    // A value not named in own is the screen's (a count); a missing one stays visible.
    assert.deepEqual(sentenceParts('sync.backlog', { n: 3 }, []), [{ text: '3', own: false }, { text: ' to sync', own: false }]);
    assert.deepEqual(sentenceParts('sync.backlog', {}, ['n']), [{ text: '{n}', own: false }, { text: ' to sync', own: false }]);
  } finally {
    setLang('zh');
  }
});
