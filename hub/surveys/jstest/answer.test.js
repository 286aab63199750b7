import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerBody } from '../static/answer.js';

test('scores per question, 0 for none ticked', () => {
  assert.deepEqual(answerBody(['5', undefined, '3'], 3, ' fine ', false, 'zh'),
    { scores: [5, 0, 3], comment: 'fine', opt_out: false, lang: 'zh' });
});

test('nothing ticked and no opt-out sends nothing', () => {
  assert.equal(answerBody([undefined, undefined], 2, 'text', false, 'en'), null);
});

test('only the opt-out sends no scores', () => {
  assert.deepEqual(answerBody([], 2, 'ignored', true, 'en'), { scores: [], comment: '', opt_out: true, lang: 'en' });
});

test('values outside 1–5 count as not ticked', () => {
  assert.deepEqual(answerBody(['9', '0', '2.5', '4'], 4, '', false, 'zh').scores, [0, 0, 0, 4]);
});
