// The screen's view of the lifecycle kind table, which the agent serves at
// GET /api/v1/kinds (syncproto/lifecycle/kinds.go is the one place the codes
// live). main.js loads it once logged in, before the first page after the
// login renders (the table needs a session like the rest); pages ask the
// functions below for the codes of one kind's field and never keep a list of
// their own.
//
// USES names, for each function, the kind and the payload field whose codes
// it answers. The labels are dictionary keys the table gives with each code
// (label prefix + code, e.g. kind.damaged); a test checks both dictionaries
// hold every one.

export const USES = {
  exceptionKinds: ['exception', 'kind'],
  complaintChannels: ['complaint', 'channel'],
  complaintTypes: ['complaint', 'type'],
  complaintCategories: ['complaint', 'category'],
  complaintSeverities: ['complaint', 'severity'],
  noticeSeverities: ['notice', 'severity'],
  idChecks: ['parcel', 'id_check'],
  signers: ['parcel', 'signer'],
  undeliveredReasons: ['dispatch', 'reason'],
  dispositions: ['dispatch', 'disposition'],
  itemTypes: ['shipment', 'item_type'],
  incidentCauses: ['incident', 'cause'],
};

let rows = null;

// setKinds takes the body of GET /api/v1/kinds. It refuses a table that
// lacks a field the screen uses, so a mismatch between screen and agent
// shows at load, not as an empty drop-down.
export function setKinds(body) {
  const next = [];
  for (const k of body?.kinds || []) {
    for (const s of k.subkinds || []) {
      let row = next.find((r) => r.kind === k.name && r.field === s.field);
      if (!row) next.push(row = { kind: k.name, field: s.field, codes: [], labels: {}, headOffice: [] });
      row.codes.push(s.code);
      row.labels[s.code] = s.label;
      if (s.head_office) row.headOffice.push(s.code);
    }
  }
  for (const [fn, [kind, field]] of Object.entries(USES)) {
    if (!next.some((r) => r.kind === kind && r.field === field)) {
      throw new Error(`kinds: the agent's table has no ${kind}.${field} (needed by ${fn})`);
    }
  }
  rows = next;
}

// kindsLoader wraps load (a function returning a promise) so it runs once
// while it succeeds: every call waits for the one load in flight or
// answers at once when it is done; after a failure the next call tries
// again.
export function kindsLoader(load) {
  let done = null;
  return () => {
    if (!done) done = Promise.resolve().then(load).catch((e) => { done = null; throw e; });
    return done;
  };
}

// loadKinds asks the agent for the table; get is the API client's GET.
export async function loadKinds(get) {
  setKinds(await get('/api/v1/kinds'));
}

function row(kind, field) {
  if (!rows) throw new Error('kinds: the table is not loaded yet');
  const r = rows.find((x) => x.kind === kind && x.field === field);
  if (!r) throw new Error(`kinds: no codes for ${kind}.${field}`);
  return r;
}

// codes returns a copy, so a page that sorts or filters its list cannot
// change another page's.
const codes = (kind, field) => row(kind, field).codes.slice();

// labelKey is the dictionary key of one code, as the table names it.
export const labelKey = (kind, field, code) => row(kind, field).labels[code];

export const exceptionKinds = () => codes(...USES.exceptionKinds);
export const complaintChannels = () => codes(...USES.complaintChannels);
// counterChannels are the channels a clerk may record a complaint under:
// not those head office takes complaints from itself, which the counter
// only shows.
export const counterChannels = () => {
  const r = row(...USES.complaintChannels);
  return r.codes.filter((c) => !r.headOffice.includes(c));
};
export const complaintTypes = () => codes(...USES.complaintTypes);
export const complaintCategories = () => codes(...USES.complaintCategories);
export const complaintSeverities = () => codes(...USES.complaintSeverities);
export const noticeSeverities = () => codes(...USES.noticeSeverities);
export const idChecks = () => codes(...USES.idChecks);
export const signers = () => codes(...USES.signers);
export const undeliveredReasons = () => codes(...USES.undeliveredReasons);
export const dispositions = () => codes(...USES.dispositions);
export const itemTypes = () => codes(...USES.itemTypes);
export const incidentCauses = () => codes(...USES.incidentCauses);

// vocabularies is the loaded table, for the tests.
export function vocabularies() {
  return (rows || []).map((r) => ({ ...r, codes: r.codes.slice(), labels: { ...r.labels } }));
}
