package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// EventsRetentionScheduleID is the Temporal Schedule that starts
// EventsRetention every day.
const EventsRetentionScheduleID = "ripen-events-retention"

// ActivityPruneEvents is the name of activities.Activities.PruneEvents.
const ActivityPruneEvents = "PruneEvents"

// PruneEventsRequest asks to delete the events older than the retention,
// seen from Day ("2006-01-02", UTC).
type PruneEventsRequest struct {
	Day string `json:"day"`
}

// PruneEventsResult counts what one pruning deleted: counts only, no
// customer enters the history.
type PruneEventsResult struct {
	// Before is the cut-off ("" when events are kept for ever).
	Before  string `json:"before,omitempty"`
	Deleted int64  `json:"deleted"`
	Batches int    `json:"batches"`
}

// EventsRetention deletes, once a day, the engagement events older than
// RIPEN_EVENTS_RETENTION, in batches. It is a workflow of its own so the
// Web UI shows each day's pruning with its result, and a failed one is
// retried by Temporal. Day is the workflow's start time, so a retry keeps
// the cut-off the schedule fired for.
func EventsRetention(ctx workflow.Context) (PruneEventsResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// Millions of rows on the first day after an upgrade: the activity
		// heartbeats per batch, and a retry goes on where the last batch
		// ended (what is deleted stays deleted).
		StartToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute,
			MaximumAttempts: 10,
		},
		Summary: "delete engagement events older than the retention",
	})
	req := PruneEventsRequest{Day: workflow.Now(ctx).UTC().Format(time.DateOnly)}
	var res PruneEventsResult
	err := workflow.ExecuteActivity(ctx, ActivityPruneEvents, req).Get(ctx, &res)
	return res, err
}
