package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/yizhan/yizhan/hub/store"
)

// The accounts, sessions, tokens and audit statements (store.AccountQueries).

func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// AddAccount implements store.AccountQueries.
func (s *backend) AddAccount(ctx context.Context, a store.Account) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO accounts (`+store.AccountColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`, store.AccountArgs(a)...)
	if isUnique(err) {
		return fmt.Errorf("account %s: %w", a.ID, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("add account %s to %s: %w", a.ID, s.name, err)
	}
	return nil
}

// Account implements store.AccountQueries.
func (s *backend) Account(ctx context.Context, id string) (store.Account, error) {
	a, err := store.ScanAccount(s.pool.QueryRow(ctx, `SELECT `+store.AccountColumns+` FROM accounts WHERE id = $1`, id))
	return a, notFound(err, "account "+id)
}

// ListAccounts implements store.AccountQueries.
func (s *backend) ListAccounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.AccountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanAccount)
}

// LockAccount implements store.Tx: FOR UPDATE, so another hub's change of
// the same account waits for this transaction.
func (t *txn) LockAccount(ctx context.Context, id string) (store.Account, error) {
	a, err := store.ScanAccount(t.tx.QueryRow(ctx, `SELECT `+store.AccountColumns+` FROM accounts WHERE id = $1 FOR UPDATE`, id))
	return a, notFound(err, "account "+id)
}

// PutAccount implements store.Tx.
func (t *txn) PutAccount(ctx context.Context, a store.Account) error {
	_, err := t.tx.Exec(ctx, `UPDATE accounts SET name = $2, role = $3, disabled = $4, password_hash = $5, created_at = $6,
		last_login_at = $7, failures = $8, locks = $9, locked_until = $10 WHERE id = $1`, store.AccountArgs(a)...)
	return err
}

// InsertAudit implements store.Tx.
func (t *txn) InsertAudit(ctx context.Context, rows []store.AuditRow) error {
	for _, r := range rows {
		if _, err := t.tx.Exec(ctx, `INSERT INTO audit (`+store.AuditInsertColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, store.AuditArgs(r)...); err != nil {
			return err
		}
	}
	return nil
}

// AddSession implements store.AccountQueries.
func (s *backend) AddSession(ctx context.Context, x store.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (`+store.SessionColumns+`) VALUES ($1,$2,$3,$4,$5)`,
		x.Hash, x.Account, x.CreatedAt.UnixMilli(), x.LastSeen.UnixMilli(), x.Client)
	if err != nil {
		return fmt.Errorf("add session to %s: %w", s.name, err)
	}
	return nil
}

// Session implements store.AccountQueries.
func (s *backend) Session(ctx context.Context, hash string) (store.Session, error) {
	x, err := store.ScanSession(s.pool.QueryRow(ctx, `SELECT `+store.SessionColumns+` FROM sessions WHERE hash = $1`, hash))
	return x, notFound(err, "session")
}

// TouchSession implements store.AccountQueries.
func (s *backend) TouchSession(ctx context.Context, hash string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen = $1 WHERE hash = $2`, at.UnixMilli(), hash)
	return err
}

// DeleteSession implements store.AccountQueries.
func (s *backend) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
	return err
}

// DeleteSessions implements store.AccountQueries.
func (s *backend) DeleteSessions(ctx context.Context, account string, idleBefore time.Time) error {
	var err error
	if account != "" {
		_, err = s.pool.Exec(ctx, `DELETE FROM sessions WHERE account = $1`, account)
	} else {
		_, err = s.pool.Exec(ctx, `DELETE FROM sessions WHERE last_seen < $1`, idleBefore.UnixMilli())
	}
	return err
}

// AddToken implements store.AccountQueries.
func (s *backend) AddToken(ctx context.Context, t store.Token) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_tokens (`+store.TokenColumns+`) VALUES ($1,$2,$3,$4,$5)`,
		t.Name, t.Scope, t.Hash, t.CreatedAt.UnixMilli(), t.CreatedBy)
	if isUnique(err) {
		return fmt.Errorf("token %s: %w", t.Name, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("add token %s to %s: %w", t.Name, s.name, err)
	}
	return nil
}

// Tokens implements store.AccountQueries.
func (s *backend) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.TokenColumns+` FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanToken)
}

// TokenByHash implements store.AccountQueries.
func (s *backend) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	t, err := store.ScanToken(s.pool.QueryRow(ctx, `SELECT `+store.TokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	return t, notFound(err, "token")
}

// DeleteToken implements store.AccountQueries.
func (s *backend) DeleteToken(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM api_tokens WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("token %s: %w", name, store.ErrNotFound)
	}
	return nil
}

// AppendAudit implements store.AccountQueries.
func (s *backend) AppendAudit(ctx context.Context, rows ...store.AuditRow) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin audit on %s: %w", s.name, err)
	}
	t := &txn{s: s, tx: tx}
	if err := t.InsertAudit(ctx, rows); err != nil {
		t.Rollback()
		return fmt.Errorf("append audit to %s: %w", s.name, err)
	}
	return t.Commit()
}

// Audit implements store.AccountQueries.
func (s *backend) Audit(ctx context.Context, q store.AuditQuery) ([]store.AuditRow, error) {
	where, args := store.AuditWhere(q, func(i int) string { return "$" + strconv.Itoa(i) })
	query := `SELECT ` + store.AuditColumns + ` FROM audit` + where + ` ORDER BY id DESC`
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanAudit)
}
