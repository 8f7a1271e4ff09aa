package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// RenewalScheduleID is the Temporal Schedule that starts RenewalDetector
// every day; the workflows it starts are named after it (with the time
// Temporal appends), so they are easy to find next to the journeys.
const RenewalScheduleID = "ripen-renewals"

// ActivityDetectRenewals is the name of activities.Renewals.DetectRenewals.
const ActivityDetectRenewals = "DetectRenewals"

// RenewalRequest asks to enrol the accounts whose product renews soon, seen
// from Day ("2006-01-02", UTC).
type RenewalRequest struct {
	Day string `json:"day"`
}

// RenewalResult counts what one detection did, journey by journey summed.
// It holds counts only: no customer of any kind enters the history.
type RenewalResult struct {
	// Journeys is how many live journeys watch renewals.
	Journeys int `json:"journeys"`
	// Due is how many account renewals fell within a journey's window.
	Due int `json:"due"`
	// Ineligible were due but the offer does not fit what they own.
	Ineligible int `json:"ineligible"`
	// Claimed were enrolled this time: new, or not started before.
	Claimed int `json:"claimed"`
	// Results counts the claimed enrolments by result (runs' statuses).
	Results map[string]int `json:"results,omitempty"`
}

// RenewalDetector is the daily renewal detector: one activity enrols, in
// every live journey whose detector watches renewals (renews_within), the
// eligible accounts whose product renews within that span from today. It
// is a workflow of its own, apart from the journey workflow, so the
// schedule's firings are visible in the Web UI with their result, and a
// failed detection is retried by Temporal rather than lost.
//
// Day is the workflow's start time: a retried activity, or a replay, keeps
// the day the schedule fired for.
func RenewalDetector(ctx workflow.Context) (RenewalResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// A detection reads every due account and starts their runs in
		// batches: generous, and retried from the start when it runs out
		// (the activity is idempotent).
		StartToCloseTimeout: 30 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute,
			// The next day's firing tries again anyway; an endless retry
			// would only make it skip (overlap policy skip).
			MaximumAttempts: 10,
		},
		Summary: "enrol accounts whose product renews soon",
	})
	req := RenewalRequest{Day: workflow.Now(ctx).UTC().Format(time.DateOnly)}
	var res RenewalResult
	err := workflow.ExecuteActivity(ctx, ActivityDetectRenewals, req).Get(ctx, &res)
	return res, err
}
