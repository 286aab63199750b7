// The words for what notices change at the counter, and the suspended
// destination check the sending page warns with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectLines, suspendedArea } from '../static/effects.js';

const e = { hold_days: 10, delivery_suspended: ['540000', '650000'], counter_hours: { open: '08:00', close: '22:00' } };

test('effectLines says each effect, only for the parts asked', () => {
  assert.deepEqual(effectLines(null), []);
  assert.deepEqual(effectLines({}), []);
  assert.deepEqual(effectLines(e), ['现在入库的包裹保管 10 天', '暂停派送地区：540000, 650000', '营业时间 08:00–22:00']);
  assert.deepEqual(effectLines(e, ['areas']), ['暂停派送地区：540000, 650000']);
  assert.deepEqual(effectLines({ hold_days: 10 }, ['areas', 'hours']), []);
});

test('suspendedArea matches a whole destination code', () => {
  assert.equal(suspendedArea(' 540000 ', e), true);
  assert.equal(suspendedArea('54000', e), false);
  assert.equal(suspendedArea('', e), false);
  assert.equal(suspendedArea('540000', null), false);
});
