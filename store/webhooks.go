package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Rows that already exist are skipped and not returned; concurrent callers
// wait on each other's new rows, so each ID comes back to exactly one caller.
// Inserting in ID order keeps overlapping batches from deadlocking.
const sqlMarkWebhookEvents = `
INSERT INTO webhook_events (id)
SELECT id
FROM unnest($1::text[]) AS batch (id)
ORDER BY id
ON CONFLICT (id) DO NOTHING
RETURNING id`

// MarkWebhookEvents records SendGrid webhook event IDs (sg_event_id) as seen
// and returns, in the order given, only those never seen before, in one
// round trip. Concurrent calls with the same IDs return each ID to one
// caller only. Mark events once they are handled, or accept that a crash in
// between drops them: SendGrid does not resend a webhook it got a 2xx for.
func (s *Store) MarkWebhookEvents(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, _ := s.pool.Query(ctx, sqlMarkWebhookEvents, ids)
	stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, pgErr("mark", "webhook events", "", err)
	}
	isNew := make(map[string]bool, len(stored))
	for _, id := range stored {
		isNew[id] = true
	}
	fresh := make([]string, 0, len(stored))
	for _, id := range ids {
		if isNew[id] {
			fresh = append(fresh, id)
			delete(isNew, id) // a repeated ID is fresh once
		}
	}
	return fresh, nil
}

// PruneWebhookEvents forgets webhook event IDs seen before the given time
// (SendGrid retries for up to 72 hours) and returns how many it removed.
func (s *Store) PruneWebhookEvents(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhook_events WHERE seen_at < $1`, before)
	return tag.RowsAffected(), pgErr("prune", "webhook events", "", err)
}
