package store

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Journey version statuses.
const (
	JourneyDraft     = "draft"
	JourneyPublished = "published"
)

// JourneyVersion is one immutable, numbered version of a journey: its
// definition as JSON (the journey package's Definition) and, when it came as
// YAML, the source text as written.
type JourneyVersion struct {
	JourneyID   string          `json:"journey_id" db:"journey_id"`
	Version     int             `json:"version" db:"version"`
	Name        string          `json:"name" db:"name"`
	Status      string          `json:"status" db:"status"`
	Definition  json.RawMessage `json:"definition" db:"definition"`
	Source      string          `json:"source,omitempty" db:"source"`
	CreatedAt   time.Time       `json:"created_at" db:"created_at"`
	PublishedAt *time.Time      `json:"published_at,omitempty" db:"published_at"`
	// ArchivedAt is when the journey (every version of it) was retired, nil
	// while it takes new runs.
	ArchivedAt *time.Time `json:"archived_at" db:"archived_at"`
}

// Bumping journeys.latest_version locks the journey's row until the statement
// commits, so concurrent callers get consecutive, distinct versions; a
// version that fails its checks rolls the bump back with it. Publishing
// brings an archived journey back; a draft leaves it as it is.
const sqlInsertJourneyVersion = `
WITH next AS (
    INSERT INTO journeys (id, latest_version)
    VALUES ($1, 1)
    ON CONFLICT (id) DO UPDATE SET latest_version = journeys.latest_version + 1,
        archived_at = CASE WHEN $2 = 'published' THEN NULL ELSE journeys.archived_at END
    RETURNING id, latest_version, archived_at
), ins AS (
    INSERT INTO journey_versions (journey_id, version, status, name, definition, source, published_at)
    SELECT next.id, next.latest_version, $2, $3, $4::jsonb, $5,
           CASE WHEN $2 = 'published' THEN now() END
    FROM next
    RETURNING journey_id, version, name, status, definition, source, created_at, published_at
)
SELECT ins.*, next.archived_at FROM ins, next`

// PublishJourney stores jv as the journey's next version, published, and
// returns it with its Version and CreatedAt. It is safe to call concurrently:
// every call gets its own version number.
func (s *Store) PublishJourney(ctx context.Context, jv JourneyVersion) (JourneyVersion, error) {
	return s.insertJourneyVersion(ctx, jv, JourneyPublished)
}

// PublishJourneyIfChanged publishes jv as the journey's next version unless
// its definition equals that of the newest published version: then it
// returns that version and created is false, and stores no version. Either
// way the journey is not archived afterwards: sending it again is how
// marketing brings a retired journey back. Definitions compare as JSON
// values (jsonb equality: key order and spacing do not count), so the
// same journey sent again, as YAML or JSON, reformatted or with other
// comments, is the version it already is; jv.Source does not take part,
// and the version keeps the source that first published it.
//
// Calls for one journey are serialised by a transaction-scoped advisory
// lock around the comparison and the insert: two identical calls at once
// create one version, the second finds it. (The journeys row cannot be the
// lock: the first version of a journey has no row to lock yet.)
func (s *Store) PublishJourneyIfChanged(ctx context.Context, jv JourneyVersion) (out JourneyVersion, created bool, err error) {
	def := bytes.TrimSpace(jv.Definition)
	if !json.Valid(def) || len(def) == 0 || def[0] != '{' {
		return JourneyVersion{}, false, invalid("journey", jv.JourneyID, "definition", "must be a JSON object")
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ripen/journey-publish'), hashtext($1))`, jv.JourneyID); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, sqlSelectJourneyVersion+`
WHERE journey_id = $1 AND status = 'published' AND definition = $2::jsonb
  AND version = (SELECT max(version) FROM journey_versions WHERE journey_id = $1 AND status = 'published')`, jv.JourneyID, string(def))
		same, err := pgx.CollectRows(rows, pgx.RowToStructByName[JourneyVersion])
		if err != nil {
			return err
		}
		if len(same) == 1 {
			out = same[0]
			if out.ArchivedAt != nil {
				if _, err := tx.Exec(ctx, `UPDATE journeys SET archived_at = NULL WHERE id = $1`, jv.JourneyID); err != nil {
					return err
				}
				out.ArchivedAt = nil
			}
			return nil
		}
		rows, _ = tx.Query(ctx, sqlInsertJourneyVersion, jv.JourneyID, JourneyPublished, jv.Name, string(def), jv.Source)
		out, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[JourneyVersion])
		created = err == nil
		return err
	})
	if err != nil {
		return JourneyVersion{}, false, pgErr("publish", "journey", jv.JourneyID, err)
	}
	return out, created, nil
}

// insertJourneyVersion stores jv as the journey's next version with status.
// Only tests store drafts (export_test.go).
func (s *Store) insertJourneyVersion(ctx context.Context, jv JourneyVersion, status string) (JourneyVersion, error) {
	def := bytes.TrimSpace(jv.Definition)
	if !json.Valid(def) || len(def) == 0 || def[0] != '{' {
		return JourneyVersion{}, invalid("journey", jv.JourneyID, "definition", "must be a JSON object")
	}
	rows, _ := s.pool.Query(ctx, sqlInsertJourneyVersion, jv.JourneyID, status, jv.Name, string(def), jv.Source)
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[JourneyVersion])
	return out, pgErr("publish", "journey", jv.JourneyID, err)
}

// sqlSelectJourneyVersion reads versions with their journey's archived_at;
// the clauses appended to it name journey_versions' columns unqualified.
const sqlSelectJourneyVersion = `
SELECT v.journey_id, v.version, v.name, v.status, v.definition, v.source, v.created_at, v.published_at, j.archived_at
FROM journey_versions v JOIN journeys j ON j.id = v.journey_id`

// GetJourney returns a version of a journey; version 0 means the newest
// published one. ErrNotFound when there is no such version.
func (s *Store) GetJourney(ctx context.Context, id string, version int) (JourneyVersion, error) {
	var rows pgx.Rows
	if version == 0 {
		rows, _ = s.pool.Query(ctx, sqlSelectJourneyVersion+`
WHERE journey_id = $1 AND status = 'published'
ORDER BY version DESC
LIMIT 1`, id)
	} else {
		rows, _ = s.pool.Query(ctx, sqlSelectJourneyVersion+`
WHERE journey_id = $1 AND version = $2`, id, version)
	}
	jv, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[JourneyVersion])
	return jv, pgErr("get", "journey", versionID(id, version), err)
}

// ListJourneys returns the newest published version of every journey, by
// ID; archived journeys too when archived is true, left out otherwise.
func (s *Store) ListJourneys(ctx context.Context, archived bool) ([]JourneyVersion, error) {
	rows, _ := s.pool.Query(ctx, `
SELECT DISTINCT ON (v.journey_id)
       v.journey_id, v.version, v.name, v.status, v.definition, v.source, v.created_at, v.published_at, j.archived_at
FROM journey_versions v JOIN journeys j ON j.id = v.journey_id
WHERE v.status = 'published' AND ($1 OR j.archived_at IS NULL)
ORDER BY v.journey_id, v.version DESC`, archived)
	jvs, err := pgx.CollectRows(rows, pgx.RowToStructByName[JourneyVersion])
	return jvs, pgErr("list", "journeys", "", err)
}

// ListJourneyVersions returns every version of a journey, drafts included,
// oldest first; ErrNotFound when the journey has none.
func (s *Store) ListJourneyVersions(ctx context.Context, id string) ([]JourneyVersion, error) {
	rows, _ := s.pool.Query(ctx, sqlSelectJourneyVersion+`
WHERE journey_id = $1
ORDER BY version`, id)
	jvs, err := pgx.CollectRows(rows, pgx.RowToStructByName[JourneyVersion])
	if err == nil && len(jvs) == 0 {
		return nil, notFound("journey", id)
	}
	return jvs, pgErr("list", "journey versions", id, err)
}

// ArchiveJourney retires a journey and returns its newest published
// version, archived. Archiving an archived journey changes nothing and
// answers the same: it keeps the time it was first archived. ErrNotFound
// when the journey has no published version.
func (s *Store) ArchiveJourney(ctx context.Context, id string) (JourneyVersion, error) {
	_, err := s.pool.Exec(ctx, `
UPDATE journeys SET archived_at = now()
WHERE id = $1 AND archived_at IS NULL
  AND EXISTS (SELECT 1 FROM journey_versions WHERE journey_id = $1 AND status = 'published')`, id)
	if err != nil {
		return JourneyVersion{}, pgErr("archive", "journey", id, err)
	}
	return s.GetJourney(ctx, id, 0)
}

// versionID names a journey version in errors: "id" or "id@3".
func versionID(id string, version int) string {
	if version == 0 {
		return id
	}
	return id + "@" + strconv.Itoa(version)
}
