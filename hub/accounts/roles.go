package accounts

import "slices"

// Role is what a head-office account may do: one of the five below.
type Role string

// The roles. An account has exactly one.
const (
	RoleAdmin     Role = "admin"     // administrator: everything
	RoleService   Role = "service"   // customer service: the complaint and exception queues
	RoleEmergency Role = "emergency" // emergency team: notices, special periods
	RoleAnalyst   Role = "analyst"   // measures, overview, lists for export
	RoleAuditor   Role = "auditor"   // the audit trail
)

// Roles lists every role, in the order the screen shows them.
var Roles = []Role{RoleAdmin, RoleService, RoleEmergency, RoleAnalyst, RoleAuditor}

// ValidRole reports whether r is a role.
func ValidRole(r string) bool { return slices.Contains(Roles, Role(r)) }

// The route table: for every route of the hub's API, by its mux pattern,
// the roles that may use it. It is the one place that says who may do
// what; hub/api's gate refuses a route that has no entry (deny by
// default), and a test there walks every registered route. An
// administrator may use every route, so Admin is not written in each
// entry. Routes that other parts of head office's screen add later
// (measures, overview, regions, parcel search, bulk steps, PATCH outlets)
// have their entries already, so they are guarded the moment they land.
//
// Public routes (GET /healthz, GET /readyz, GET /metrics, POST /api/v1/session, GET /
// and the screen's files) need nobody and are not here: see Public.
var Routes = map[string][]Role{
	// Any logged-in person: their own session, and the answer for a route
	// that does not exist.
	"GET /api/v1/session":    everyone,
	"DELETE /api/v1/session": everyone,
	"/api/":                  everyone,

	// Outlets: everyone reads them; registration and changes are an
	// administrator's.
	"GET /api/v1/outlets":                      everyone,
	"GET /api/v1/outlets/{id}":                 everyone,
	"GET /api/v1/outlets/{id}/dead-letters":    everyone,
	"POST /api/v1/outlets":                     adminOnly,
	"PATCH /api/v1/outlets/{id}":               adminOnly,
	"POST /api/v1/outlets/{id}/incarnations":   adminOnly,
	"GET /api/v1/regions":                      {RoleService, RoleEmergency, RoleAnalyst},
	"GET /api/v1/overview":                     {RoleService, RoleEmergency, RoleAnalyst},
	"GET /api/v1/rejects":                      everyone,
	"GET /api/v1/outlets/{id}/waybills":        {RoleService, RoleEmergency},
	"GET /api/v1/outlets/{id}/waybill-blocks":  {RoleService, RoleEmergency},
	"POST /api/v1/downlink":                    adminOnly,
	"POST /api/v1/outlets/{id}/waybill-blocks": adminOnly,

	// Customer messages: the company gateway's delivery receipts come
	// with a gateway-scoped token (ScopeGateway).
	"POST /api/v1/messages/{key}/delivered": adminOnly,

	// Parcels.
	"GET /api/v1/parcels":           {RoleService},
	"GET /api/v1/parcels/{waybill}": {RoleService},

	// Complaints and exceptions: customer service works them; the
	// emergency team and analysts read them.
	"GET /api/v1/complaints":                     {RoleService, RoleEmergency, RoleAnalyst},
	"GET /api/v1/complaints/{id}":                {RoleService, RoleEmergency, RoleAnalyst},
	"POST /api/v1/complaints/{id}/steps":         {RoleService},
	"POST /api/v1/complaints/steps":              {RoleService},
	"GET /api/v1/exceptions":                     {RoleService, RoleAnalyst},
	"GET /api/v1/exceptions/{id}":                {RoleService, RoleAnalyst},
	"POST /api/v1/exceptions/{id}/steps":         {RoleService},
	"POST /api/v1/exceptions/steps":              {RoleService},
	"GET /api/v1/reply-templates":                {RoleService, RoleEmergency},
	"POST /api/v1/reply-templates":               {RoleEmergency},
	"PUT /api/v1/reply-templates/{id}":           {RoleEmergency},
	"POST /api/v1/reply-templates/{id}/withdraw": {RoleEmergency},
	"GET /api/v1/notices":                        {RoleService, RoleEmergency},
	"GET /api/v1/notices/{id}":                   {RoleService, RoleEmergency},
	"POST /api/v1/notices":                       {RoleEmergency},
	"POST /api/v1/notices/{id}/end":              {RoleEmergency},
	"GET /api/v1/measures":                       {RoleAnalyst},
	"GET /api/v1/tariffs":                        {RoleService, RoleEmergency},
	"GET /api/v1/tariffs/versions":               {RoleService, RoleEmergency},
	"POST /api/v1/tariffs":                       adminOnly,
	"GET /api/v1/prohibited-lists":               {RoleService, RoleEmergency},
	"GET /api/v1/prohibited-lists/versions":      {RoleService, RoleEmergency},
	"POST /api/v1/prohibited-lists":              adminOnly,
	"GET /api/v1/manifests":                      {RoleService, RoleEmergency},
	"GET /api/v1/manifests/{id}":                 {RoleService, RoleEmergency},
	"POST /api/v1/manifests":                     adminOnly,
	"PUT /api/v1/manifests/{id}":                 adminOnly,
	"GET /api/v1/handovers":                      {RoleService, RoleEmergency},
	"GET /api/v1/handovers/{id}":                 {RoleService, RoleEmergency},
	"GET /api/v1/audit":                          {RoleAuditor},

	// Incident reports from the outlets: the emergency team works them
	// (and makes notice drafts of them); customer service reads them, to
	// answer the complaints the same disruption brings.
	"GET /api/v1/incidents":                   {RoleEmergency, RoleService},
	"GET /api/v1/incidents/{id}":              {RoleEmergency, RoleService},
	"GET /api/v1/incidents/{id}/photos/{sha}": {RoleEmergency, RoleService},
	"POST /api/v1/incidents/{id}/steps":       {RoleEmergency},

	// Customers: customer service and analysts read the profiles (contact
	// masked); revealing a contact is customer service's, audited; the
	// enterprise accounts, statements and classes are analysts'; the
	// language a customer is written to in is customer service's, who
	// speak with them.
	"GET /api/v1/customers":                  {RoleService, RoleAnalyst},
	"GET /api/v1/customers/{id}":             {RoleService, RoleAnalyst},
	"POST /api/v1/customers/{id}/reveal":     {RoleService},
	"PUT /api/v1/customers/{id}/enterprise":  {RoleAnalyst},
	"PUT /api/v1/customers/{id}/lang":        {RoleService},
	"GET /api/v1/customers/{id}/statement":   {RoleService, RoleAnalyst},
	"GET /api/v1/customers/classes":          {RoleService, RoleAnalyst},
	"GET /api/v1/customers/classes/moves":    {RoleAnalyst},
	"GET /api/v1/customers/classes/settings": {RoleAnalyst},
	"PUT /api/v1/customers/classes/settings": {RoleAnalyst},

	// Surveys: analysts own the definitions and sampling rules (they read
	// the measures the answers feed); customer service and the emergency
	// team read them, as they see the measures' effects.
	"GET /api/v1/surveys":                 {RoleService, RoleEmergency, RoleAnalyst},
	"PUT /api/v1/surveys/{id}":            {RoleAnalyst},
	"PUT /api/v1/surveys/rules/{trigger}": {RoleAnalyst},
	"GET /api/v1/accounts":                adminOnly,

	// Peak planning: customer service, the emergency team and analysts
	// read the forecasts and the calendar; analysts, who plan, edit it.
	"GET /api/v1/forecast":               {RoleService, RoleEmergency, RoleAnalyst},
	"GET /api/v1/calendar":               {RoleService, RoleEmergency, RoleAnalyst},
	"POST /api/v1/calendar":              {RoleAnalyst},
	"PUT /api/v1/calendar/{id}":          {RoleAnalyst},
	"DELETE /api/v1/calendar/{id}":       {RoleAnalyst},
	"POST /api/v1/accounts":              adminOnly,
	"POST /api/v1/accounts/{id}/disable": adminOnly,
	"POST /api/v1/accounts/{id}/enable":  adminOnly,
	"POST /api/v1/accounts/{id}/reset":   adminOnly,
	"POST /api/v1/accounts/{id}/unlock":  adminOnly,
	"GET /api/v1/tokens":                 adminOnly,
	"POST /api/v1/tokens":                adminOnly,
	"DELETE /api/v1/tokens/{name}":       adminOnly,

	// Head office's own complaint channels: the webhook takes a channel
	// token's messages (ScopeChannels; no person posts there but an
	// administrator trying it); customer service reviews the proposed
	// replies; which categories are answered without review is an
	// administrator's decision.
	ChannelMessages:                 adminOnly,
	"GET /api/v1/channels/review":   {RoleService},
	"GET /api/v1/channels/autosend": {RoleService},
	"PUT /api/v1/channels/autosend": adminOnly,
}

// ChannelMessages is the webhook route of the WeChat service account, the
// online chat and the call centre: the one route ScopeChannels allows.
const ChannelMessages = "POST /api/v1/channels/{channel}/messages"

var (
	everyone  = []Role{RoleService, RoleEmergency, RoleAnalyst, RoleAuditor}
	adminOnly = []Role{}
)

// Public are the routes that need nobody: monitoring, the login, the
// screen (GET / serves its files; a path under /api/ it catches is not
// public), the customers' complaint progress page and their survey
// answer page.
var Public = []string{"GET /healthz", "GET /readyz", "GET /metrics", "POST /api/v1/session", "/", "GET /p", "POST /p",
	"GET /s/assets/{file}", "GET /s/{token}", "POST /s/{token}"}

// Forms are the public routes that take an HTML form's body
// (application/x-www-form-urlencoded) instead of JSON: the customers'
// complaint progress page (hub/progress), which runs no script.
var Forms = []string{"POST /p"}

// Listed reports whether the route table has an entry for pattern.
func Listed(pattern string) bool {
	_, ok := Routes[pattern]
	return ok
}

// Allowed reports whether role may use the route with pattern. A route
// with no entry is refused to every role, Admin too: deny by default, so
// that a route nobody thought about is nobody's until the table says.
func Allowed(role Role, pattern string) bool {
	roles, ok := Routes[pattern]
	if !ok {
		return false
	}
	return role == RoleAdmin || slices.Contains(roles, role)
}

// Token scopes: what an integration's API token may do. Each maps onto
// the route table: a scope acts as one role, except read, which may use
// every GET route customer service, the emergency team or an analyst may
// (the operational reads; not the audit trail, not the accounts).
const (
	ScopeRead    = "read"    // the GET routes of service, emergency and analyst
	ScopeSteps   = "steps"   // as customer service
	ScopeNotices = "notices" // as the emergency team
	ScopeAudit   = "audit"   // as an auditor
	ScopeAdmin   = "admin"   // as an administrator
	// ScopeGateway is the company's message gateway: its delivery
	// receipts, and nothing else.
	ScopeGateway = "gateway"
	// ScopeChannels posts complaints from head office's other channels
	// (ChannelMessages) and nothing else: the token lives in another
	// system, so it can read nothing back.
	ScopeChannels = "channels"
)

// Scopes lists every scope.
var Scopes = []string{ScopeRead, ScopeSteps, ScopeNotices, ScopeAudit, ScopeAdmin, ScopeGateway, ScopeChannels}

// gatewayRoutes are the routes a gateway token may use.
var gatewayRoutes = []string{"POST /api/v1/messages/{key}/delivered"}

var scopeRole = map[string]Role{ScopeSteps: RoleService, ScopeNotices: RoleEmergency, ScopeAudit: RoleAuditor, ScopeAdmin: RoleAdmin}

// ValidScope reports whether s is a scope.
func ValidScope(s string) bool { return slices.Contains(Scopes, s) }

// ScopeAllows reports whether a token with scope may use method and
// pattern.
func ScopeAllows(scope, method, pattern string) bool {
	if scope == ScopeRead {
		return method == "GET" && (Allowed(RoleService, pattern) || Allowed(RoleEmergency, pattern) || Allowed(RoleAnalyst, pattern))
	}
	if scope == ScopeGateway {
		return slices.Contains(gatewayRoutes, pattern)
	}
	if scope == ScopeChannels {
		return pattern == ChannelMessages
	}
	role, ok := scopeRole[scope]
	return ok && Allowed(role, pattern)
}
