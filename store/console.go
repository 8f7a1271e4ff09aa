package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
)

// The console's people and sessions (migration 00029). A console user is
// someone with a role who is not an account owner: marketing ops, sales
// leads, admins. Account owners sign in as sales of their own book, and an
// API key signs in as its role. Sign-in links and sessions keep only their
// SHA-256, as the inbox's do (sessions.go).

// ConsoleRoles are the roles a console user may have.
var ConsoleRoles = []string{RoleMarketing, RoleSales, RoleAdmin}

// ConsoleUser is a person with a role in the console.
type ConsoleUser struct {
	ID        string    `json:"id" db:"id"`
	Email     string    `json:"email" db:"email"`
	Name      string    `json:"name" db:"name"`
	Role      string    `json:"role" db:"role"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
	UpdatedAt time.Time `json:"updated_at" db:"updated_at"`
}

const consoleUserColumns = `id, email, name, role, created_at, updated_at`

const sqlPutConsoleUser = `
INSERT INTO console_users (id, email, name, role)
VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET
    email      = EXCLUDED.email,
    name       = EXCLUDED.name,
    role       = EXCLUDED.role,
    updated_at = now()`

// PutConsoleUser creates or replaces a console user. Every mistake is
// named at once; an address another user has is a Conflict on "email".
func (s *Store) PutConsoleUser(ctx context.Context, u ConsoleUser) error {
	check := &fieldCheck{record: "user", recordID: u.ID}
	check.id("id", u.ID)
	check.email("email", u.Email)
	if strings.ContainsFunc(u.Name, unicode.IsControl) {
		check.add("name", "must not contain control characters")
	}
	if !slices.Contains(ConsoleRoles, u.Role) {
		check.add("role", constraints["console_users_role_check"].msg)
	}
	if err := check.err(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, sqlPutConsoleUser, u.ID, u.Email, u.Name, u.Role)
	return pgErr("put", "user", u.ID, err)
}

// GetConsoleUser returns a console user, or ErrNotFound.
func (s *Store) GetConsoleUser(ctx context.Context, id string) (ConsoleUser, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+consoleUserColumns+` FROM console_users WHERE id = $1`, id)
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[ConsoleUser])
	return u, pgErr("get", "user", id, err)
}

// ListConsoleUsers returns one page of console users ordered by ID.
func (s *Store) ListConsoleUsers(ctx context.Context, page Page) ([]ConsoleUser, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+consoleUserColumns+` FROM console_users WHERE id > $1 ORDER BY id LIMIT $2`, page.After, page.limit())
	users, err := pgx.CollectRows(rows, pgx.RowToStructByName[ConsoleUser])
	return users, pgErr("list", "users", "", err)
}

// DeleteConsoleUser removes a console user, and with them their sign-in
// links and sessions (ON DELETE CASCADE): they are signed out at once. An
// unknown ID is ErrNotFound.
func (s *Store) DeleteConsoleUser(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM console_users WHERE id = $1`, id)
	if err != nil {
		return pgErr("delete", "user", id, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("user", id)
	}
	return nil
}

// ConsoleUserByEmail is the console user with this address (case does not
// matter), or ErrNotFound.
func (s *Store) ConsoleUserByEmail(ctx context.Context, email string) (ConsoleUser, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+consoleUserColumns+` FROM console_users WHERE lower(email) = lower($1)`, email)
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[ConsoleUser])
	return u, pgErr("get", "user by email", "", err)
}

// ConsoleSubject is who a console sign-in or session is for: exactly one
// of a console user, an account owner or an API key.
type ConsoleSubject struct {
	UserID   string
	OwnerID  string
	APIKeyID int64
}

func (c ConsoleSubject) args() (user, owner *string, key *int64) {
	if c.UserID != "" {
		user = &c.UserID
	}
	if c.OwnerID != "" {
		owner = &c.OwnerID
	}
	if c.APIKeyID != 0 {
		key = &c.APIKeyID
	}
	return user, owner, key
}

// CreateConsoleSignIn makes a one-time sign-in token for a user or an
// owner, valid until expires, and returns it: the only time it is seen in
// the clear.
func (s *Store) CreateConsoleSignIn(ctx context.Context, who ConsoleSubject, expires time.Time) (string, error) {
	token, hash, err := newSecret()
	if err != nil {
		return "", err
	}
	user, owner, _ := who.args()
	_, err = s.pool.Exec(ctx, `INSERT INTO console_signins (token_hash, user_id, owner_id, expires_at) VALUES ($1, $2, $3, $4)`,
		hash, user, owner, expires)
	return token, pgErr("create", "console sign-in", "", err)
}

// ConsoleSignInValid reports whether a sign-in token still works, without
// using it.
func (s *Store) ConsoleSignInValid(ctx context.Context, token string, now time.Time) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM console_signins WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2)`,
		hashSecret(token), now).Scan(&ok)
	return ok, pgErr("get", "console sign-in", "", err)
}

// ConsoleSession is a signed-in session of the console, with what its
// subject is now: its role, the owner whose book it is bound to (an
// account owner, or an owner-bound sales key) and a name to greet.
type ConsoleSession struct {
	Token     string    `db:"-"`
	UserID    string    `db:"user_id"`
	OwnerID   string    `db:"owner_id"`
	APIKeyID  int64     `db:"api_key_id"`
	Role      string    `db:"role"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
	ExpiresAt time.Time `db:"expires_at"`
}

// The sign-in is used up by the same statement that reads it, so two
// requests with one token cannot both open a session.
const sqlUseConsoleSignIn = `
UPDATE console_signins SET used_at = $2
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
RETURNING COALESCE(user_id, ''), COALESCE(owner_id, '')`

// UseConsoleSignIn trades a sign-in token for a session that lasts ttl:
// once, and only before the token expires. An unknown, used or expired
// token is ErrNotFound.
func (s *Store) UseConsoleSignIn(ctx context.Context, token string, now time.Time, ttl time.Duration) (ConsoleSession, error) {
	sessionToken, hash, err := newSecret()
	if err != nil {
		return ConsoleSession{}, err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var who ConsoleSubject
		if err := tx.QueryRow(ctx, sqlUseConsoleSignIn, hashSecret(token), now).Scan(&who.UserID, &who.OwnerID); err != nil {
			return err
		}
		return insertConsoleSession(ctx, tx, hash, who, now, ttl)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return ConsoleSession{}, notFound("console sign-in", "")
	}
	if err != nil {
		return ConsoleSession{}, pgErr("use", "console sign-in", "", err)
	}
	return s.GetConsoleSession(ctx, sessionToken, now)
}

// CreateConsoleSession opens a session for who at once: for a sign-in
// with an API key, which the caller has checked.
func (s *Store) CreateConsoleSession(ctx context.Context, who ConsoleSubject, now time.Time, ttl time.Duration) (ConsoleSession, error) {
	sessionToken, hash, err := newSecret()
	if err != nil {
		return ConsoleSession{}, err
	}
	if err := insertConsoleSession(ctx, s.pool, hash, who, now, ttl); err != nil {
		return ConsoleSession{}, pgErr("create", "console session", "", err)
	}
	return s.GetConsoleSession(ctx, sessionToken, now)
}

// rowQuerier is a pool or a transaction.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func insertConsoleSession(ctx context.Context, db rowQuerier, hash []byte, who ConsoleSubject, now time.Time, ttl time.Duration) error {
	user, owner, key := who.args()
	var one int
	return db.QueryRow(ctx, `
INSERT INTO console_sessions (token_hash, user_id, owner_id, api_key_id, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING 1`, hash, user, owner, key, now, now.Add(ttl)).Scan(&one)
}

// A session's role and binding are read from its subject on every
// request: a user's changed role counts at once, and a session of a key
// ends when the key is revoked or expires. An owner signs in as sales of
// their own book; a key keeps its own owner binding.
const sqlGetConsoleSession = `
SELECT COALESCE(s.user_id, '') AS user_id,
       COALESCE(s.owner_id, k.owner_id, '') AS owner_id,
       COALESCE(s.api_key_id, 0) AS api_key_id,
       COALESCE(u.role, k.role, 'sales') AS role,
       COALESCE(NULLIF(u.name, ''), u.email, NULLIF(o.name, ''), o.email, k.label, '') AS name,
       s.created_at, s.expires_at
FROM console_sessions s
LEFT JOIN console_users u ON u.id = s.user_id
LEFT JOIN owners o ON o.id = s.owner_id
LEFT JOIN api_keys k ON k.id = s.api_key_id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $2)
WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
  AND (s.api_key_id IS NULL OR k.id IS NOT NULL)`

// GetConsoleSession returns the session of a token while it lasts: an
// unknown, expired or revoked one, or one whose API key no longer works,
// is ErrNotFound.
func (s *Store) GetConsoleSession(ctx context.Context, token string, now time.Time) (ConsoleSession, error) {
	rows, _ := s.pool.Query(ctx, sqlGetConsoleSession, hashSecret(token), now)
	sess, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[ConsoleSession])
	if err != nil {
		return ConsoleSession{}, pgErr("get", "console session", "", err)
	}
	sess.Token = token
	return sess, nil
}

// RevokeConsoleSession ends a session (sign out) at once; revoking an
// unknown or revoked one changes nothing.
func (s *Store) RevokeConsoleSession(ctx context.Context, token string, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE console_sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL`, hashSecret(token), now)
	return pgErr("revoke", "console session", "", err)
}

// PruneConsoleSignIns forgets console sign-ins and sessions that ended
// before the given time, and returns how many it removed.
func (s *Store) PruneConsoleSignIns(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	for _, q := range []string{
		`DELETE FROM console_signins WHERE expires_at < $1`,
		`DELETE FROM console_sessions WHERE expires_at < $1 OR revoked_at < $1`,
	} {
		tag, err := s.pool.Exec(ctx, q, before)
		if err != nil {
			return n, pgErr("prune", "console sign-ins", "", err)
		}
		n += tag.RowsAffected()
	}
	return n, nil
}

// JourneyRunStats counts one journey's runs for the console's list: how
// many run now, how many there were (the projection's and the kept ended
// ones, as the report counts them) and how many reached MQN (their own
// flag or a hand-off, as the report has it).
type JourneyRunStats struct {
	JourneyID string `db:"journey_id"`
	Running   int    `db:"running"`
	Enrolled  int    `db:"enrolled"`
	MQN       int    `db:"mqn"`
}

const sqlJourneyRunStats = `
WITH pop AS (
    SELECT journey_id, COALESCE(run_key, workflow_id) AS run_key, status = 'running' AS running, mqn
    FROM runs
    UNION ALL
    SELECT e.journey_id, COALESCE(e.run_key, e.workflow_id), false, e.mqn
    FROM ended_runs e
    WHERE NOT EXISTS (SELECT FROM runs r WHERE r.workflow_id = e.workflow_id AND r.started_at = e.started_at)
),
handed AS (
    SELECT DISTINCT run_key FROM handoffs WHERE run_key IS NOT NULL
)
SELECT p.journey_id,
       count(*) FILTER (WHERE p.running) AS running,
       count(*) AS enrolled,
       count(*) FILTER (WHERE p.mqn OR h.run_key IS NOT NULL) AS mqn
FROM pop p
LEFT JOIN handed h ON h.run_key = p.run_key
GROUP BY p.journey_id`

// ListJourneyRunStats counts the runs of every journey that has any, by
// journey ID.
func (s *Store) ListJourneyRunStats(ctx context.Context) (map[string]JourneyRunStats, error) {
	rows, _ := s.pool.Query(ctx, sqlJourneyRunStats)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[JourneyRunStats])
	if err != nil {
		return nil, pgErr("count", "runs of journeys", "", err)
	}
	out := make(map[string]JourneyRunStats, len(list))
	for _, st := range list {
		out[st.JourneyID] = st
	}
	return out, nil
}
