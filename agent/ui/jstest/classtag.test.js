import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLASSES, classWords } from '../static/classtag.js';
import zh from '../static/i18n/zh.js';
import en from '../static/i18n/en.js';

test('every class head office sends has its name in both languages, and an unknown one shows nothing', () => {
  assert.equal(CLASSES.length, 8);
  for (const dict of [zh, en]) {
    const tr = (k) => dict[k];
    for (const c of CLASSES) assert.ok(classWords(tr, c), c);
    assert.equal(classWords(tr, 'vip'), '');
    assert.equal(classWords(tr, ''), '');
  }
  assert.equal(classWords((k) => zh[k], 'important_value'), '重要价值客户');
});
