package store

import (
	"context"
	"strings"
)

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
	// The address stays out of the error, as in IsSuppressed: errors are
	// logged, and the caller knows whom it suppressed.
	return pgErr("suppress", "address", "", err)
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
