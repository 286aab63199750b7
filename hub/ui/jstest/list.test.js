// The list's cursor stack and its queries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstPage, nextPage, prevPage, currentCursor, filterQuery, filterValues, PAGE_SIZE } from '../static/list.js';

test('previous goes back the way next came', () => {
  let s = firstPage();
  assert.equal(currentCursor(s), null);
  s = nextPage(s, 'c1');
  s = nextPage(s, 'c2');
  assert.equal(currentCursor(s), 'c2');
  assert.equal(s.length, 3);
  s = prevPage(s);
  assert.equal(currentCursor(s), 'c1');
  s = prevPage(prevPage(s));
  assert.deepEqual(s, [null]);
  // The end of the list: no cursor, no page.
  assert.deepEqual(nextPage(s, null), [null]);
});

test('filterQuery sends only the filters set, the page size and the cursor', () => {
  const filters = [{ name: 'outlet' }, { name: 'open', type: 'check' }, { name: 'region' }];
  assert.deepEqual(filterQuery(filters, { outlet: 'O1', region: '', stray: 'x' }, null), { outlet: 'O1', limit: PAGE_SIZE });
  assert.deepEqual(filterQuery(filters, { open: '1' }, 'abc', 10), { open: '1', limit: 10, cursor: 'abc' });
});

test('filterValues reads a form', () => {
  const filters = [{ name: 'q' }, { name: 'open', type: 'check' }, { name: 'overdue', type: 'check' }, { name: 'missing' }];
  const form = { elements: { q: { value: '  SF12 ' }, open: { checked: true }, overdue: { checked: false } } };
  assert.deepEqual(filterValues(filters, form), { q: 'SF12', open: '1' });
});
