package staff

import (
	"encoding/json"
	"time"

	"go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// Member is a staff member as a supervisor sees them: with whether they
// are disabled or locked.
type Member struct {
	Staff
	Disabled    bool      `json:"disabled"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

// Member returns one staff member with their status.
func (s *Store) Member(id string) (Member, error) {
	id = NormalizeID(id)
	var out Member
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketRoot).Bucket(bucketMembers).Get([]byte(id))
		if v == nil {
			return problem.New(problem.StaffNotFound, "id", id)
		}
		m, err := decodeMember([]byte(id), v)
		out = s.member(tx, m)
		return err
	})
	return out, err
}

// Members returns every staff member with their status, ordered by id.
func (s *Store) Members() ([]Member, error) {
	out := []Member{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketRoot).Bucket(bucketMembers).ForEach(func(k, v []byte) error {
			m, err := decodeMember(k, v)
			if err != nil {
				return err
			}
			out = append(out, s.member(tx, m))
			return nil
		})
	})
	return out, err
}

func (s *Store) member(tx *bbolt.Tx, m member) Member {
	out := Member{Staff: m.staff(), Disabled: m.Disabled}
	if a := getAttempts(tx, m.ID); a.lockedAt(s.now()) {
		out.LockedUntil = a.LockedUntil
	}
	return out
}

// SetDisabled disables or enables a staff member. A disabled member's
// sessions end at their next request.
func (s *Store) SetDisabled(id string, disabled bool) error {
	return s.change(id, func(m *member) error {
		m.Disabled = disabled
		return nil
	})
}

// SetPIN replaces a staff member's PIN and clears their failure count.
func (s *Store) SetPIN(id, pin string) error {
	if err := ValidPIN(pin); err != nil {
		return err
	}
	// Hash outside the write transaction, as Check does.
	ph, err := hashPIN(pin, s.iter)
	if err != nil {
		return err
	}
	return s.change(id, func(m *member) error {
		m.PIN = ph
		return nil
	})
}

// Unlock clears a staff member's failure count, ending a lock at once.
func (s *Store) Unlock(id string) error {
	return s.change(id, func(*member) error { return nil })
}

// change rewrites one member's record with f and clears their failure
// count: every supervisor action on a member gives them a fresh start.
func (s *Store) change(id string, f func(*member) error) error {
	id = NormalizeID(id)
	return s.db.Update(func(tx *bbolt.Tx) error {
		root := tx.Bucket(bucketRoot)
		members := root.Bucket(bucketMembers)
		v := members.Get([]byte(id))
		if v == nil {
			return problem.New(problem.StaffNotFound, "id", id)
		}
		m, err := decodeMember([]byte(id), v)
		if err != nil {
			return err
		}
		if err := f(&m); err != nil {
			return err
		}
		rec, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := root.Bucket(bucketAttempts).Delete([]byte(id)); err != nil {
			return err
		}
		return members.Put([]byte(id), rec)
	})
}
