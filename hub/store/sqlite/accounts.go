package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yizhan/yizhan/hub/store"
)

// The accounts, sessions, tokens and audit statements (store.AccountQueries).
// Writes go to the write connection, reads to the read pool.

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// AddAccount implements store.AccountQueries.
func (s *backend) AddAccount(ctx context.Context, a store.Account) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO accounts (`+store.AccountColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?)`, store.AccountArgs(a)...)
	if isUnique(err) {
		return fmt.Errorf("account %s: %w", a.ID, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("add account %s to %s: %w", a.ID, s.path, err)
	}
	return nil
}

// Account implements store.AccountQueries.
func (s *backend) Account(ctx context.Context, id string) (store.Account, error) {
	a, err := store.ScanAccount(s.r.QueryRowContext(ctx, `SELECT `+store.AccountColumns+` FROM accounts WHERE id = ?`, id))
	return a, notFound(err, "account "+id)
}

// ListAccounts implements store.AccountQueries.
func (s *backend) ListAccounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+store.AccountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanAccount)
}

// LockAccount implements store.Tx: the IMMEDIATE transaction holds the
// database already.
func (t *txn) LockAccount(ctx context.Context, id string) (store.Account, error) {
	a, err := store.ScanAccount(t.tx.QueryRowContext(ctx, `SELECT `+store.AccountColumns+` FROM accounts WHERE id = ?`, id))
	return a, notFound(err, "account "+id)
}

// PutAccount implements store.Tx.
func (t *txn) PutAccount(ctx context.Context, a store.Account) error {
	args := store.AccountArgs(a)
	_, err := t.tx.ExecContext(ctx, `UPDATE accounts SET name = ?, role = ?, disabled = ?, password_hash = ?, created_at = ?,
		last_login_at = ?, failures = ?, locks = ?, locked_until = ? WHERE id = ?`, append(args[1:], args[0])...)
	return err
}

// InsertAudit implements store.Tx.
func (t *txn) InsertAudit(ctx context.Context, rows []store.AuditRow) error {
	for _, r := range rows {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO audit (`+store.AuditInsertColumns+`) VALUES (?,?,?,?,?,?,?,?,?)`, store.AuditArgs(r)...); err != nil {
			return err
		}
	}
	return nil
}

// AddSession implements store.AccountQueries.
func (s *backend) AddSession(ctx context.Context, x store.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (`+store.SessionColumns+`) VALUES (?,?,?,?,?)`,
		x.Hash, x.Account, x.CreatedAt.UnixMilli(), x.LastSeen.UnixMilli(), x.Client)
	if err != nil {
		return fmt.Errorf("add session to %s: %w", s.path, err)
	}
	return nil
}

// Session implements store.AccountQueries.
func (s *backend) Session(ctx context.Context, hash string) (store.Session, error) {
	x, err := store.ScanSession(s.r.QueryRowContext(ctx, `SELECT `+store.SessionColumns+` FROM sessions WHERE hash = ?`, hash))
	return x, notFound(err, "session")
}

// TouchSession implements store.AccountQueries.
func (s *backend) TouchSession(ctx context.Context, hash string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE hash = ?`, at.UnixMilli(), hash)
	return err
}

// DeleteSession implements store.AccountQueries.
func (s *backend) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash)
	return err
}

// DeleteSessions implements store.AccountQueries.
func (s *backend) DeleteSessions(ctx context.Context, account string, idleBefore time.Time) error {
	var err error
	if account != "" {
		_, err = s.w.ExecContext(ctx, `DELETE FROM sessions WHERE account = ?`, account)
	} else {
		_, err = s.w.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen < ?`, idleBefore.UnixMilli())
	}
	return err
}

// AddToken implements store.AccountQueries.
func (s *backend) AddToken(ctx context.Context, t store.Token) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO api_tokens (`+store.TokenColumns+`) VALUES (?,?,?,?,?)`,
		t.Name, t.Scope, t.Hash, t.CreatedAt.UnixMilli(), t.CreatedBy)
	if isUnique(err) {
		return fmt.Errorf("token %s: %w", t.Name, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("add token %s to %s: %w", t.Name, s.path, err)
	}
	return nil
}

// Tokens implements store.AccountQueries.
func (s *backend) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+store.TokenColumns+` FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanToken)
}

// TokenByHash implements store.AccountQueries.
func (s *backend) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	t, err := store.ScanToken(s.r.QueryRowContext(ctx, `SELECT `+store.TokenColumns+` FROM api_tokens WHERE hash = ?`, hash))
	return t, notFound(err, "token")
}

// DeleteToken implements store.AccountQueries.
func (s *backend) DeleteToken(ctx context.Context, name string) error {
	r, err := s.w.ExecContext(ctx, `DELETE FROM api_tokens WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", name, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("token %s: %w", name, store.ErrNotFound)
	}
	return nil
}

// AppendAudit implements store.AccountQueries.
func (s *backend) AppendAudit(ctx context.Context, rows ...store.AuditRow) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin audit on %s: %w", s.path, err)
	}
	if err := (&txn{s: s, tx: tx}).InsertAudit(ctx, rows); err != nil {
		tx.Rollback()
		return fmt.Errorf("append audit to %s: %w", s.path, err)
	}
	return tx.Commit()
}

// Audit implements store.AccountQueries.
func (s *backend) Audit(ctx context.Context, q store.AuditQuery) ([]store.AuditRow, error) {
	where, args := store.AuditWhere(q, func(int) string { return "?" })
	query := `SELECT ` + store.AuditColumns + ` FROM audit` + where + ` ORDER BY id DESC`
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanAudit)
}
