// The one place the screen lists the codes of the API's vocabularies
// (docs/AGENT-API.md): exception kinds, complaint channels, types, categories
// and severities, notice severities, and the codes the pickup, delivery and
// sending requests take. Pages ask the functions below and never keep a list
// of their own, so that the table can later be filled from GET /api/v1/kinds
// without touching them.
//
// Each row names the entity kind, the request or record field its codes go
// in, and the prefix of their labels in the dictionaries (label + code is a
// key of i18n/zh.js and i18n/en.js; a test checks).

const TABLE = [
  { kind: 'exception', field: 'kind', label: 'kind.', codes: ['damaged', 'lost', 'delayed', 'refused', 'address_problem', 'wrong_phone', 'mis_sorted', 'overdue', 'prohibited', 'other'] },
  { kind: 'complaint', field: 'channel', label: 'ch.', codes: ['counter', 'phone', 'online', 'app', 'social'] },
  { kind: 'complaint', field: 'type', label: 'ctype.', codes: ['complaint', 'suggestion', 'praise'] },
  { kind: 'complaint', field: 'category', label: 'cat.', codes: ['delay', 'loss', 'damage', 'attitude', 'fees', 'privacy', 'other'] },
  { kind: 'complaint', field: 'severity', label: 'sev.', codes: ['routine', 'major'] },
  { kind: 'notice', field: 'severity', label: 'nsev.', codes: ['info', 'warning', 'critical'] },
  { kind: 'parcel', field: 'id_check', label: 'idc.', codes: ['code_only', 'id_card', 'app'] },
  { kind: 'parcel', field: 'signer', label: 'signer.', codes: ['recipient', 'agent'] },
  { kind: 'dispatch', field: 'reason', label: 'reason.', codes: ['recipient_absent', 'refused', 'address_wrong', 'address_incomplete', 'phone_unreachable', 'outside_area'] },
  { kind: 'dispatch', field: 'disposition', label: 'disp.', codes: ['restock', 'return'] },
  { kind: 'shipment', field: 'item_type', label: 'item.', codes: ['documents', 'clothing', 'electronics', 'fragile', 'food', 'cosmetics', 'other'] },
];

// codes returns a copy, so a page that sorts or filters its list cannot
// change another page's.
function codes(kind, field) {
  const row = TABLE.find((r) => r.kind === kind && r.field === field);
  if (!row) throw new Error(`kinds: no codes for ${kind}.${field}`);
  return row.codes.slice();
}

export const exceptionKinds = () => codes('exception', 'kind');
export const complaintChannels = () => codes('complaint', 'channel');
export const complaintTypes = () => codes('complaint', 'type');
export const complaintCategories = () => codes('complaint', 'category');
export const complaintSeverities = () => codes('complaint', 'severity');
export const noticeSeverities = () => codes('notice', 'severity');
export const idChecks = () => codes('parcel', 'id_check');
export const signers = () => codes('parcel', 'signer');
export const undeliveredReasons = () => codes('dispatch', 'reason');
export const dispositions = () => codes('dispatch', 'disposition');
export const itemTypes = () => codes('shipment', 'item_type');

// vocabularies is the whole table, for the tests that check every code has a
// label in both languages.
export function vocabularies() {
  return TABLE.map((r) => ({ ...r, codes: r.codes.slice() }));
}
