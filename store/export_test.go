package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Test-only access to the store's internals, and the operations only tests
// need: ripen itself never stores drafts nor takes an address off the
// suppression list.

// ExplainsConstraint reports whether errors.go has a message for a constraint.
func ExplainsConstraint(name string) bool {
	_, ok := constraints[name]
	return ok
}

// ListHandoffsQuery is the query ListHandoffs runs for f, and its arguments.
func ListHandoffsQuery(f HandoffFilter) (string, []any, error) {
	return listHandoffsQuery(f)
}

// GetOutbox returns an outbox row by its ID, or ErrNotFound.
func (s *Store) GetOutbox(ctx context.Context, id int64) (OutboxRow, error) {
	return s.getOutbox(ctx, id)
}

// SaveDraft stores jv as the journey's next version, as a draft: GetJourney
// with version 0, ListJourneys and PublishJourneyIfChanged ignore it until
// PublishDraft.
func (s *Store) SaveDraft(ctx context.Context, jv JourneyVersion) (JourneyVersion, error) {
	return s.insertJourneyVersion(ctx, jv, JourneyDraft)
}

const sqlPublishDraft = `
UPDATE journey_versions
SET status = 'published', published_at = now()
WHERE journey_id = $1 AND version = $2 AND status = 'draft'
RETURNING journey_id, version, name, status, definition, source, created_at, published_at,
          (SELECT archived_at FROM journeys WHERE id = $1) AS archived_at`

// PublishDraft publishes a draft version. Publishing a published version
// again returns it unchanged.
func (s *Store) PublishDraft(ctx context.Context, journeyID string, version int) (JourneyVersion, error) {
	rows, _ := s.pool.Query(ctx, sqlPublishDraft, journeyID, version)
	jv, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[JourneyVersion])
	if err == nil {
		return jv, nil
	}
	if existing, gerr := s.GetJourney(ctx, journeyID, version); gerr == nil {
		return existing, nil
	}
	return JourneyVersion{}, pgErr("publish", "journey", versionID(journeyID, version), err)
}

// Unsuppress takes an address off the suppression list, ignoring case.
// Taking off an address that is not listed is a no-op.
func (s *Store) Unsuppress(ctx context.Context, email string) error {
	email = normalizeEmail(email)
	_, err := s.pool.Exec(ctx, `DELETE FROM suppressions WHERE email = $1`, email)
	return pgErr("unsuppress", "address", email, err)
}
