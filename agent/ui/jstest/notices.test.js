// The order the counter shows notices in: those in force first, then the
// ones head office ended, with their recovery text; the banner's two.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noticeOrder, bannerNotices, NOTICES_PATH } from '../static/header.js';

const live1 = { id: 'a', ended: false };
const ended1 = { id: 'b', ended: true, recovery_text: '已恢复' };
const live2 = { id: 'c', ended: false };
const ended2 = { id: 'd', ended: true, recovery_text: '恢复正常' };

test('noticeOrder puts the notices in force before the ended ones, keeping the agent\'s order', () => {
  assert.deepEqual(noticeOrder([ended1, live1, ended2, live2]).map((n) => n.id), ['a', 'c', 'b', 'd']);
  assert.deepEqual(noticeOrder([ended2, ended1]).map((n) => n.id), ['d', 'b']);
  assert.deepEqual(noticeOrder([]), []);
  const list = [ended1, live1];
  noticeOrder(list);
  assert.deepEqual(list, [ended1, live1], 'the list fetched is left as it was');
});

test('bannerNotices shows a recovery only when a notice in force leaves room', () => {
  assert.deepEqual(bannerNotices([ended1, live1, live2]).map((n) => n.id), ['a', 'c']);
  assert.deepEqual(bannerNotices([ended1, live1]).map((n) => n.id), ['a', 'b']);
  assert.deepEqual(bannerNotices([ended2, ended1]).map((n) => n.id), ['d', 'b']);
  assert.deepEqual(bannerNotices([ended1, live1, live2], 1).map((n) => n.id), ['a']);
  assert.deepEqual(bannerNotices([]), []);
});

test('the counter asks for the notices in force and the recently ended ones', () => {
  assert.equal(NOTICES_PATH, '/api/v1/notices?current=1');
});
