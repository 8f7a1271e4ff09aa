package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// SiteRecord is a registered website as stored; package sites checks and
// reads it. Topics is the JSON list of path rules.
type SiteRecord struct {
	ID        string          `db:"id"`
	Origins   []string        `db:"origins"`
	Topics    json.RawMessage `db:"topics"`
	Downloads []string        `db:"downloads"`
	Consent   string          `db:"consent"`
	CreatedAt time.Time       `db:"created_at"`
	UpdatedAt time.Time       `db:"updated_at"`
}

const siteColumns = `id, origins, topics, downloads, consent, created_at, updated_at`

const sqlPutSite = `
INSERT INTO sites (id, origins, topics, downloads, consent)
VALUES ($1, $2, $3::jsonb, $4, $5)
ON CONFLICT (id) DO UPDATE SET
    origins    = EXCLUDED.origins,
    topics     = EXCLUDED.topics,
    downloads  = EXCLUDED.downloads,
    consent    = EXCLUDED.consent,
    updated_at = now()
RETURNING ` + siteColumns

// PutSite creates or replaces a site and returns it as stored. The caller
// checks it (sites.Site.Check); the table's constraints are the backstop.
func (s *Store) PutSite(ctx context.Context, r SiteRecord) (SiteRecord, error) {
	rows, _ := s.pool.Query(ctx, sqlPutSite, r.ID, nonNil(r.Origins), r.Topics, nonNil(r.Downloads), r.Consent)
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[SiteRecord])
	return out, pgErr("put", "site", r.ID, err)
}

// GetSite returns a site, or ErrNotFound.
func (s *Store) GetSite(ctx context.Context, id string) (SiteRecord, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+siteColumns+` FROM sites WHERE id = $1`, id)
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[SiteRecord])
	return out, pgErr("get", "site", id, err)
}

// ListSites returns every site by ID.
func (s *Store) ListSites(ctx context.Context) ([]SiteRecord, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+siteColumns+` FROM sites ORDER BY id`)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[SiteRecord])
	return out, pgErr("list", "sites", "", err)
}

// DeleteSite removes a site: its pages send nothing any more. ErrNotFound
// when there is none.
func (s *Store) DeleteSite(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sites WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return pgErr("delete", "site", id, err)
}

// SiteHasOrigin reports whether some registered site lists origin (as
// sites normalize it).
func (s *Store) SiteHasOrigin(ctx context.Context, origin string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM sites WHERE $1 = ANY(origins))`, origin).Scan(&ok)
	return ok, pgErr("find", "site of origin", origin, err)
}
