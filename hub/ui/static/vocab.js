// The codes the screen offers in its filters and forms, with the dictionary
// prefix of their labels. The codes are syncproto/lifecycle's (kinds.go and
// the state constants) and hub/accounts' (token scopes); vocab_test.go
// fails when they drift.

export const VOCAB = {
  exceptionKind: ['kind.', ['damaged', 'lost', 'delayed', 'refused', 'address_problem', 'wrong_phone', 'mis_sorted', 'overdue', 'prohibited', 'other']],
  exceptionState: ['xstate.', ['reported', 'handling', 'customer_informed', 'claim_open', 'claim_decided', 'closed']],
  complaintType: ['ctype.', ['complaint', 'suggestion', 'praise']],
  complaintCategory: ['cat.', ['delay', 'loss', 'damage', 'attitude', 'fees', 'privacy', 'other']],
  complaintSeverity: ['sev.', ['routine', 'major']],
  complaintChannel: ['ch.', ['counter', 'phone', 'online', 'app', 'social', 'wechat', 'chat', 'callcenter', 'email']],
  complaintState: ['cstate.', ['received', 'acknowledged', 'investigating', 'responsibility_decided', 'solution_proposed', 'customer_agreed', 'carried_out', 'followed_up', 'closed']],
  tokenScope: ['scope.', ['read', 'steps', 'notices', 'audit', 'admin', 'gateway', 'channels']],
  incidentCause: ['icause.', ['weather', 'traffic', 'power', 'network', 'equipment', 'staffing', 'public_health', 'security', 'other']],
  incidentState: ['istate.', ['reported', 'acknowledged', 'resolved', 'closed']],
  parcelState: ['pstate.', ['scanned', 'inbound', 'in_stock', 'picked_up', 'refused', 'overdue', 'returning', 'out_for_delivery', 'delivered']],
};

// codes and prefix of one vocabulary.
export const codes = (name) => VOCAB[name][1];
export const prefix = (name) => VOCAB[name][0];
