package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// API key roles.
const (
	RoleMarketing = "marketing"
	RoleSales     = "sales"
	RoleAdmin     = "admin"
)

// APIKeyPrefix starts every API key.
const APIKeyPrefix = "rpn_"

// APIKey describes a key; the key itself is only ever returned by
// CreateAPIKey. Prefix is the key's first characters, to recognise it.
// OwnerID, when set, binds a sales key to one account owner: it sees and
// answers only that owner's hand-offs and runs. ExpiresAt, when set, is when
// the key stops working.
type APIKey struct {
	ID         int64      `json:"id" db:"id"`
	Role       string     `json:"role" db:"role"`
	Label      string     `json:"label" db:"label"`
	Prefix     string     `json:"prefix" db:"prefix"`
	OwnerID    string     `json:"owner_id,omitempty" db:"owner_id"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty" db:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty" db:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty" db:"revoked_at"`
}

const apiKeyColumns = `id, role, label, prefix, COALESCE(owner_id, '') AS owner_id, created_at, expires_at, last_used_at, revoked_at`

// NewAPIKey is what a key is made of: a role (marketing, sales or admin), a
// label, and optionally an account owner (sales keys only) and an expiry.
type NewAPIKey struct {
	Role, Label string
	OwnerID     string
	ExpiresAt   *time.Time
}

// CreateAPIKey makes a key with a role and a label that works across owners
// and never expires (CreateAPIKeyWith).
func (s *Store) CreateAPIKey(ctx context.Context, role, label string) (string, APIKey, error) {
	return s.CreateAPIKeyWith(ctx, NewAPIKey{Role: role, Label: label})
}

// CreateAPIKeyWith makes a key and returns it in plain text: "rpn_" and 32
// random bytes in base64url. Only its SHA-256 is stored. An owner must exist
// and binds sales keys only: either mistake is ErrInvalid naming "owner"; a
// bad role names "role".
func (s *Store) CreateAPIKeyWith(ctx context.Context, k NewAPIKey) (string, APIKey, error) {
	if k.OwnerID != "" && k.Role != RoleSales {
		return "", APIKey{}, invalid("api key", k.Label, "owner", constraints["api_keys_owner_role_check"].msg)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", APIKey{}, err
	}
	plaintext := APIKeyPrefix + base64.RawURLEncoding.EncodeToString(secret)
	hash := sha256.Sum256([]byte(plaintext))
	rows, _ := s.pool.Query(ctx, `
INSERT INTO api_keys (role, label, prefix, hash, owner_id, expires_at)
VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6)
RETURNING `+apiKeyColumns, k.Role, k.Label, plaintext[:len(APIKeyPrefix)+6], hash[:], k.OwnerID, k.ExpiresAt)
	key, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[APIKey])
	if err != nil {
		return "", APIKey{}, pgErr("create", "api key", k.Label, err)
	}
	return plaintext, key, nil
}

// Looking a key up touches last_used_at at most once a minute, so busy keys
// do not write on every request.
const sqlAuthenticateAPIKey = `
WITH key AS (
    SELECT ` + apiKeyColumns + `
    FROM api_keys
    WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
), touch AS (
    UPDATE api_keys
    SET last_used_at = now()
    WHERE id = (SELECT id FROM key)
      AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
)
SELECT ` + apiKeyColumns + ` FROM key`

// AuthenticateAPIKey returns the key for plaintext, or ErrNotFound when it is
// unknown, revoked or expired.
func (s *Store) AuthenticateAPIKey(ctx context.Context, plaintext string) (APIKey, error) {
	if !strings.HasPrefix(plaintext, APIKeyPrefix) {
		return APIKey{}, notFound("api key", "")
	}
	hash := sha256.Sum256([]byte(plaintext))
	rows, _ := s.pool.Query(ctx, sqlAuthenticateAPIKey, hash[:])
	key, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[APIKey])
	return key, pgErr("authenticate", "api key", "", err)
}

// ListAPIKeys returns every key, revoked ones included, oldest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY id`)
	keys, err := pgx.CollectRows(rows, pgx.RowToStructByName[APIKey])
	return keys, pgErr("list", "api keys", "", err)
}

// RevokeAPIKey revokes a key for good. Revoking it again is a no-op; an
// unknown ID is ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, id int64) error {
	sid := strconv.FormatInt(id, 10)
	var exists bool
	err := s.pool.QueryRow(ctx, `
WITH revoked AS (
    UPDATE api_keys SET revoked_at = now()
    WHERE id = $1 AND revoked_at IS NULL
)
SELECT EXISTS (SELECT FROM api_keys WHERE id = $1)`, id).Scan(&exists)
	if err != nil {
		return pgErr("revoke", "api key", sid, err)
	}
	if !exists {
		return notFound("api key", sid)
	}
	return nil
}
