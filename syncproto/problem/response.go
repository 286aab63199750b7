package problem

import "maps"

// Detail is the "error" member of an error body.
type Detail struct {
	Code    string         `json:"code"`
	Params  map[string]any `json:"params"`
	Message string         `json:"message"`
}

// Body is an error body as clients decode it. Fields beside "error" (a
// refused step's "state" and "allowed") are not part of it; decode them
// into a struct of your own that embeds Body.
type Body struct {
	Error Detail `json:"error"`
}

// Status is the HTTP status for err: its code's class's, or 500 when err
// is not a problem.
func Status(err error) int {
	status, _ := Response(err)
	return status
}

// Response returns the HTTP status and the JSON body both APIs answer err
// with. An error that is not a problem becomes internal.error with the
// catalog's generic message: log err before calling this, because its text
// is not sent.
func Response(err error) (status int, body any) {
	e := As(err)
	if e == nil || e.code.e == nil {
		e = New(InternalError)
	}
	params := e.params
	if params == nil {
		params = map[string]any{}
	}
	d := Detail{Code: e.code.String(), Params: params, Message: e.Error()}
	status = e.code.Class().Status()
	if len(e.fields) == 0 {
		return status, Body{Error: d}
	}
	m := maps.Clone(e.fields)
	m["error"] = d
	return status, m
}
