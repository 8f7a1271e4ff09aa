package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// FastLaneWorkflowPrefix starts the workflow ID of a FastLaneHandoff; the
// rest is the fast-lane event's ID, so a repeated event starts nothing new.
const FastLaneWorkflowPrefix = "ripen-fastlane/"

// FastLaneWorkflowID is the workflow ID of the FastLaneHandoff of a
// fast-lane event.
func FastLaneWorkflowID(eventID string) string { return FastLaneWorkflowPrefix + eventID }

// Names of the activities of activities.Activities that FastLaneHandoff
// runs. ActivitySendFastLaneAsset is the journey workflow's to call too.
const (
	ActivityRecordFastLaneHandoff = "RecordFastLaneHandoff"
	ActivityNotifyFastLaneOwner   = "NotifyFastLaneOwner"
	ActivitySendFastLaneAsset     = "SendFastLaneAsset"
)

// FastLaneHandoffInput names a fast-lane request that no running run of its
// customer offers. IDs only: the note and the contact's name and address
// stay in Postgres, the activities read them.
type FastLaneHandoffInput struct {
	EventID    string `json:"event_id"`
	CustomerID string `json:"customer_id"`
	Offer      string `json:"offer"`
}

// FastLaneHandoffRequest asks to record the hand-off of a fast-lane event
// without a run.
type FastLaneHandoffRequest struct {
	EventID string `json:"event_id"`
}

// FastLaneAssetRequest asks to email the asset of the offer requested by
// fast-lane event EventID to the contact who asked. JourneyID and Version
// name the journey whose mqn.assets to use (a run's own); empty, the
// customer's newest published journeys are searched.
type FastLaneAssetRequest struct {
	EventID   string `json:"event_id"`
	JourneyID string `json:"journey_id,omitempty"`
	Version   int    `json:"version,omitempty"`
}

// FastLaneAssetResult says whether an asset went (or had gone) to the
// contact, and which content it was.
type FastLaneAssetResult struct {
	ContentID string `json:"content_id,omitempty"`
	Sent      bool   `json:"sent"`
}

// FastLaneHandoffResult is what FastLaneHandoff did.
type FastLaneHandoffResult struct {
	HandoffID string              `json:"handoff_id"`
	Asset     FastLaneAssetResult `json:"asset"`
}

// FastLaneHandoff hands a fast-lane request that no running run offers to
// the account owner, without a run: it records the hand-off (by event ID,
// so once), emails the owner the request and its note (once, through the
// outbox), and, for a checklist or implementation note, emails the asset to
// the contact who asked. Sales answer the hand-off in the API, which closes
// it in the store: no workflow waits for the answer.
func FastLaneHandoff(ctx workflow.Context, in FastLaneHandoffInput) (FastLaneHandoffResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			// A day: the owner should hear of the request, and every
			// activity is idempotent; permanent failures are non-retryable.
		},
		ScheduleToCloseTimeout: 24 * time.Hour,
	})
	var res FastLaneHandoffResult
	var rec HandoffRecord
	if err := workflow.ExecuteActivity(ctx, ActivityRecordFastLaneHandoff, FastLaneHandoffRequest{EventID: in.EventID}).Get(ctx, &rec); err != nil {
		return res, err
	}
	res.HandoffID = rec.ID
	// The owner's email and the contact's asset do not wait for each
	// other: an owner who cannot be mailed (a suppressed address) must not
	// keep the asset from the person who asked.
	notified := workflow.ExecuteActivity(ctx, ActivityNotifyFastLaneOwner, NotifyRequest{HandoffID: rec.ID})
	var assetErr error
	if journey.IsAssetOffer(in.Offer) {
		assetErr = workflow.ExecuteActivity(ctx, ActivitySendFastLaneAsset, FastLaneAssetRequest{EventID: in.EventID}).Get(ctx, &res.Asset)
	}
	if err := notified.Get(ctx, nil); err != nil {
		return res, err
	}
	return res, assetErr
}
