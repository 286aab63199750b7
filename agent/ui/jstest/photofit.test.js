import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitPlan, scaled, base64Bytes, MAX_BYTES, MAX_PHOTOS } from '../static/photofit.js';

test('the plan shrinks: quality first, then the size', () => {
  const plan = fitPlan();
  for (let i = 1; i < plan.length; i++) {
    const a = plan[i - 1], b = plan[i];
    assert.ok(b.side < a.side || (b.side === a.side && b.q < a.q), `step ${i} does not shrink`);
  }
  assert.ok(plan.at(-1).side <= 640 && plan.at(-1).q < 0.6);
});

test('scaled keeps the aspect and never enlarges', () => {
  assert.deepEqual(scaled(4000, 3000, 1600), { w: 1600, h: 1200 });
  assert.deepEqual(scaled(3000, 4000, 1600), { w: 1200, h: 1600 });
  assert.deepEqual(scaled(800, 600, 1600), { w: 800, h: 600 });
  assert.deepEqual(scaled(10000, 1, 640), { w: 640, h: 1 });
});

test('base64Bytes counts padding', () => {
  assert.equal(base64Bytes(Buffer.from('abc').toString('base64')), 3);
  assert.equal(base64Bytes(Buffer.from('abcd').toString('base64')), 4);
  assert.equal(base64Bytes(Buffer.from('abcde').toString('base64')), 5);
});

test('the limits are the lifecycle table\'s', () => {
  assert.equal(MAX_BYTES, 300 << 10);
  assert.equal(MAX_PHOTOS, 4);
});
