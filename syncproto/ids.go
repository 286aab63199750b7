package syncproto

import "github.com/google/uuid"

// NewID is a new event or entity id, the same kind on every side: a UUIDv7,
// unique without coordination and ordered by creation time. Should the
// random source ever fail, a random UUIDv4 keeps it unique.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
