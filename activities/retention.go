package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/workflows"
)

// pruneBatch bounds one deletion: short transactions, a heartbeat each.
const pruneBatch = 10000

// PruneEvents deletes the engagement events that occurred before the
// request's day less Config.EventsRetention, in batches, and reports how
// many. Idempotent: what is deleted stays deleted, and a retry deletes
// the rest. With no retention (0) it deletes nothing.
func (a *Activities) PruneEvents(ctx context.Context, req workflows.PruneEventsRequest) (workflows.PruneEventsResult, error) {
	if a.Config.EventsRetention <= 0 {
		return workflows.PruneEventsResult{}, nil
	}
	day, err := time.Parse(time.DateOnly, req.Day)
	if err != nil {
		return workflows.PruneEventsResult{}, temporal.NewNonRetryableApplicationError("bad day "+req.Day, "BadRequest", err)
	}
	before := day.Add(-a.Config.EventsRetention)
	res := workflows.PruneEventsResult{Before: before.Format(time.RFC3339)}
	for {
		n, err := a.Store.PruneEvents(ctx, before, pruneBatch)
		if err != nil {
			return res, fmt.Errorf("prune events before %s: %w", res.Before, err)
		}
		res.Deleted += n
		res.Batches++
		activity.RecordHeartbeat(ctx, res.Deleted)
		if n < pruneBatch {
			return res, nil
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
}
