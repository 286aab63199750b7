// t(), label() and the dictionaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zh from '../static/i18n/zh.js';
import en from '../static/i18n/en.js';
import { t, label, translate, setLang, getLang, dateLocale, gaps } from '../static/i18n.js';

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
  for (const k of Object.keys(zh)) assert.deepEqual(placeholders(en[k]), placeholders(zh[k]), `placeholders of ${k}`);
});

test('gaps reports keys in one language only', () => {
  assert.deepEqual(gaps(), []);
  assert.deepEqual(gaps({ zh: { a: '甲', b: '乙' }, en: { a: 'A', c: 'C' } }), ['b', 'c']);
});

test('translate fills placeholders and falls back to Chinese, then the key', () => {
  const d = { zh: { a: '甲 {x}', b: '乙' }, en: { a: 'A {x}' } };
  assert.equal(translate(d, 'en', 'a', { x: 1 }), 'A 1');
  assert.equal(translate(d, 'en', 'b'), '乙');
  assert.equal(translate(d, 'en', 'c'), 'c');
  assert.equal(translate(d, 'zh', 'a', {}), '甲 {x}');
});

test('setLang: Chinese unless English is asked for', () => {
  setLang('en');
  assert.equal(getLang(), 'en');
  assert.equal(dateLocale(), 'en-US');
  assert.equal(t('nav.overview'), 'Overview');
  assert.equal(label('role.', 'service'), 'Customer service');
  assert.equal(label('role.', 'newrole'), 'newrole');
  for (const garbled of [null, '', 'fr', undefined]) {
    setLang(garbled);
    assert.equal(getLang(), 'zh');
  }
  assert.equal(t('nav.overview'), '总览');
});
