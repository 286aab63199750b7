package api

import (
	"net/http"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// kindsBody is the lifecycle table as the screens read it: each kind's
// name, event-type prefixes and codes with their label keys.
type kindsBody struct {
	Kinds []lifecycle.Kind `json:"kinds"`
}

// getKinds serves the table. It is the same for every outlet and every
// clerk, and holds nothing personal, so it needs no session.
func (s *Server) getKinds(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, kindsBody{Kinds: lifecycle.Kinds()})
}
