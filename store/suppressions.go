package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Suppression is an address no email may go to.
type Suppression struct {
	Email     string    `json:"email" db:"email"`
	Reason    string    `json:"reason" db:"reason"`
	Source    string    `json:"source,omitempty" db:"source"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
}

func normalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Suppress adds an address to the suppression list, with why (e.g.
// "unsubscribe", "bounce", "spamreport") and where from (e.g. "webhook",
// "link"). Suppressing an address again keeps the first reason.
func (s *Store) Suppress(ctx context.Context, email, reason, source string) error {
	email = normalizeEmail(email)
	_, err := s.pool.Exec(ctx, `
INSERT INTO suppressions (email, reason, source)
VALUES ($1, $2, $3)
ON CONFLICT (email) DO NOTHING`, email, reason, source)
	return pgErr("suppress", "address", email, err)
}

// Unsuppress removes an address from the suppression list (a contact who
// subscribed again). Removing an address that is not listed is a no-op.
func (s *Store) Unsuppress(ctx context.Context, email string) error {
	email = normalizeEmail(email)
	_, err := s.pool.Exec(ctx, `DELETE FROM suppressions WHERE email = $1`, email)
	return pgErr("unsuppress", "address", email, err)
}

// IsSuppressed reports whether email is on the suppression list, ignoring case.
func (s *Store) IsSuppressed(ctx context.Context, email string) (bool, error) {
	email = normalizeEmail(email)
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM suppressions WHERE email = $1)`, email).Scan(&ok)
	// The address stays out of the error: activities return it, and it
	// would end up in workflow history. Callers name the contact.
	return ok, pgErr("check", "address", "", err)
}

// ListSuppressions returns one page of suppressions ordered by address.
func (s *Store) ListSuppressions(ctx context.Context, page Page) ([]Suppression, error) {
	rows, _ := s.pool.Query(ctx, `
SELECT email, reason, source, created_at
FROM suppressions
WHERE email > $1
ORDER BY email
LIMIT $2`, normalizeEmail(page.After), page.limit())
	ss, err := pgx.CollectRows(rows, pgx.RowToStructByName[Suppression])
	return ss, pgErr("list", "suppressions", "", err)
}
