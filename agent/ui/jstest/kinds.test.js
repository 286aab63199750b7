// The vocabularies of kinds.js: every code has a label in both languages,
// and pages get copies they cannot break for one another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zh from '../static/i18n/zh.js';
import en from '../static/i18n/en.js';
import * as kinds from '../static/kinds.js';

test('every code has a label in both languages', () => {
  const rows = kinds.vocabularies();
  assert.ok(rows.length >= 10);
  for (const r of rows) {
    assert.ok(r.codes.length > 0, `${r.kind}.${r.field} has no codes`);
    assert.equal(new Set(r.codes).size, r.codes.length, `${r.kind}.${r.field} repeats a code`);
    for (const c of r.codes) {
      assert.ok(r.label + c in zh, `no Chinese label ${r.label}${c}`);
      assert.ok(r.label + c in en, `no English label ${r.label}${c}`);
    }
  }
});

test('the functions answer the table\'s codes, as copies', () => {
  const byName = {
    exceptionKinds: ['exception', 'kind'], complaintChannels: ['complaint', 'channel'], complaintTypes: ['complaint', 'type'],
    complaintCategories: ['complaint', 'category'], complaintSeverities: ['complaint', 'severity'],
    noticeSeverities: ['notice', 'severity'], idChecks: ['parcel', 'id_check'], signers: ['parcel', 'signer'],
    undeliveredReasons: ['dispatch', 'reason'], dispositions: ['dispatch', 'disposition'], itemTypes: ['shipment', 'item_type'],
  };
  const rows = kinds.vocabularies();
  for (const [fn, [kind, field]] of Object.entries(byName)) {
    const row = rows.find((r) => r.kind === kind && r.field === field);
    assert.deepEqual(kinds[fn](), row.codes, fn);
    kinds[fn]().push('changed');
    assert.deepEqual(kinds[fn](), row.codes, `${fn} handed out its own list`);
  }
  // Every row is reachable through a function: no code list is left to
  // be read some other way.
  assert.equal(Object.keys(byName).length, rows.length);
  assert.equal(kinds.exceptionKinds()[0], 'damaged', 'the exception form starts at damaged');
  assert.ok(kinds.exceptionKinds().includes('mis_sorted'), 'lifecycle spells it mis_sorted');
});
