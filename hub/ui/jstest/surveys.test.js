import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuestions, questionLines, rate, expiryDays, expiryMinutes } from '../static/pages/surveys.js';

test('questions one a line, key | zh | en', () => {
  const qs = parseQuestions('overall | 总体满意度 | Overall\n\n staff|服务态度|Staff ');
  assert.deepEqual(qs, [{ key: 'overall', zh: '总体满意度', en: 'Overall' }, { key: 'staff', zh: '服务态度', en: 'Staff' }]);
  assert.deepEqual(parseQuestions(questionLines(qs)), qs);
});

test('a line short of a part, a repeated key or nothing is refused', () => {
  assert.equal(parseQuestions('overall | 总体'), null);
  assert.equal(parseQuestions('a | 一 | One\na | 二 | Two'), null);
  assert.equal(parseQuestions('a |  | One'), null);
  assert.equal(parseQuestions('  \n'), null);
});

test('response rate as a percentage, a dash while none was delivered', () => {
  assert.equal(rate(null), '—');
  assert.equal(rate(undefined), '—');
  assert.equal(rate(0), '0%');
  assert.equal(rate(0.5), '50%');
  assert.equal(rate(1 / 3), '33.3%');
});

test('a link\'s validity in minutes shows in days and reads back', () => {
  assert.equal(expiryDays(10080), 7);
  assert.equal(expiryMinutes(7), 10080);
  assert.equal(expiryMinutes(0.5), 720);
  assert.equal(expiryMinutes(0), null);
  assert.equal(expiryMinutes('x'), null);
});
