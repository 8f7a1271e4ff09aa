package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// A rep's inbox sign-in: a link emailed to the owner's address carries a
// one-time sign-in token, which opens a session kept in a cookie. Both are
// random bearer secrets; the store keeps only their SHA-256, so reading
// the database gives no one a way in.

// newSecret is a fresh random token and its hash.
func newSecret() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("make a random token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashSecret(token), nil
}

func hashSecret(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// OwnersByEmail lists the account owners with this email address (case
// does not matter), by ID.
func (s *Store) OwnersByEmail(ctx context.Context, email string) ([]Owner, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, name, email FROM owners WHERE lower(email) = lower($1) ORDER BY id`, email)
	owners, err := pgx.CollectRows(rows, pgx.RowToStructByName[Owner])
	return owners, pgErr("list", "owners by email", "", err)
}

// CreateSignIn makes a one-time sign-in token for owner ownerID, valid
// until expires, and returns it: the only time it is seen in the clear.
func (s *Store) CreateSignIn(ctx context.Context, ownerID string, expires time.Time) (string, error) {
	token, hash, err := newSecret()
	if err != nil {
		return "", err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO inbox_signins (token_hash, owner_id, expires_at) VALUES ($1, $2, $3)`, hash, ownerID, expires)
	return token, pgErr("create", "sign-in", ownerID, err)
}

// SignInOwner is the owner a sign-in token was made for, without using it,
// or ErrNotFound when the token is unknown, used or expired: the page that
// asks to press "Sign in" shows only what will work.
func (s *Store) SignInOwner(ctx context.Context, token string, now time.Time) (string, error) {
	var owner string
	err := s.pool.QueryRow(ctx, `SELECT owner_id FROM inbox_signins WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`,
		hashSecret(token), now).Scan(&owner)
	return owner, pgErr("get", "sign-in", "", err)
}

// The sign-in is used up by the same statement that reads it, so two
// requests with one token cannot both open a session.
const sqlUseSignIn = `
UPDATE inbox_signins SET used_at = $2
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
RETURNING owner_id`

// Session is a rep's signed-in session of the inbox. Token is set only by
// UseSignIn, which creates it.
type Session struct {
	Token     string     `db:"-"`
	OwnerID   string     `db:"owner_id"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt time.Time  `db:"expires_at"`
	RevokedAt *time.Time `db:"revoked_at"`
}

// UseSignIn trades a sign-in token for a new session that lasts ttl: once,
// and only before the token expires. An unknown, used or expired token is
// ErrNotFound.
func (s *Store) UseSignIn(ctx context.Context, token string, now time.Time, ttl time.Duration) (Session, error) {
	sessionToken, hash, err := newSecret()
	if err != nil {
		return Session{}, err
	}
	var out Session
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var owner string
		if err := tx.QueryRow(ctx, sqlUseSignIn, hashSecret(token), now).Scan(&owner); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `
INSERT INTO inbox_sessions (token_hash, owner_id, created_at, expires_at) VALUES ($1, $2, $3, $4)
RETURNING owner_id, created_at, expires_at, revoked_at`, hash, owner, now, now.Add(ttl))
		out, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session])
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, notFound("sign-in", "")
	}
	if err != nil {
		return Session{}, pgErr("use", "sign-in", "", err)
	}
	out.Token = sessionToken
	return out, nil
}

// GetSession returns the session of a token while it lasts: an unknown,
// expired or revoked one is ErrNotFound.
func (s *Store) GetSession(ctx context.Context, token string, now time.Time) (Session, error) {
	rows, _ := s.pool.Query(ctx, `
SELECT owner_id, created_at, expires_at, revoked_at FROM inbox_sessions
WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2`, hashSecret(token), now)
	sess, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session])
	if err != nil {
		return Session{}, pgErr("get", "session", "", err)
	}
	sess.Token = token
	return sess, nil
}

// RevokeSession ends a session (sign out) at once; revoking an unknown or
// revoked one changes nothing.
func (s *Store) RevokeSession(ctx context.Context, token string, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE inbox_sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL`, hashSecret(token), now)
	return pgErr("revoke", "session", "", err)
}

// PruneSignIns forgets sign-ins and sessions that ended before the given
// time, and returns how many it removed.
func (s *Store) PruneSignIns(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	for _, q := range []string{
		`DELETE FROM inbox_signins WHERE expires_at < $1`,
		`DELETE FROM inbox_sessions WHERE expires_at < $1 OR revoked_at < $1`,
	} {
		tag, err := s.pool.Exec(ctx, q, before)
		if err != nil {
			return n, pgErr("prune", "sign-ins", "", err)
		}
		n += tag.RowsAffected()
	}
	return n, nil
}
