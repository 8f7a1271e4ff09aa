package workflows

import (
	"context"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Activity names. The worker registers activities.Activities, whose method
// names are these.
const (
	ActivityLoadRunContext = "LoadRunContext"
	ActivitySendContent    = "SendContent"
	ActivityRecordHandoff  = "RecordHandoff"
	ActivityNotifyOwner    = "NotifyOwner"
	ActivityCloseHandoff   = "CloseHandoff"
	ActivitySyncRun        = "SyncRun"
	// ActivityNotifyEnrolment tells the owner an account was enrolled
	// (handoff.notify_on_enrol).
	ActivityNotifyEnrolment = "NotifyEnrolment"
	// ActivityChooseArm keeps the arm an account takes at a split, and
	// its holdout (experimentsChange).
	ActivityChooseArm = "ChooseArm"
)

// Activities is what the journey workflow needs from the outside world. The
// worker binds activities.Activities; tests bind fakes.
type Activities interface {
	LoadRunContext(ctx context.Context, req RunContextRequest) (RunContext, error)
	SendContent(ctx context.Context, req SendRequest) (SendResult, error)
	RecordHandoff(ctx context.Context, req HandoffRequest) (HandoffRecord, error)
	NotifyOwner(ctx context.Context, req NotifyRequest) error
	CloseHandoff(ctx context.Context, req CloseHandoffRequest) error
	SyncRun(ctx context.Context, snap RunSnapshot) error
	NotifyEnrolment(ctx context.Context, req EnrolmentNotice) error
	// SendFastLaneAsset emails a requested asset (AccountRules).
	SendFastLaneAsset(ctx context.Context, req FastLaneAssetRequest) (FastLaneAssetResult, error)
	// ChooseArm returns the arm the account took first (experiments).
	ChooseArm(ctx context.Context, req ArmRequest) (ArmResult, error)
}

// RunContextRequest asks for what the run needs to know about its customer.
type RunContextRequest struct {
	CustomerID string `json:"customer_id"`
	// Personas, when set, is the journey's audience: Reachable then counts
	// only contacts of those personas.
	Personas []string `json:"personas,omitempty"`
}

// RunContext is the non-personal part of a customer the workflow needs.
type RunContext struct {
	OwnerID  string `json:"owner_id"`
	Timezone string `json:"timezone"`
	// Reachable is false when every contact (of the audience asked for)
	// is suppressed or there is none.
	Reachable bool `json:"reachable"`
	// Timezones are the distinct timezones of the reachable contacts (of
	// the audience asked for), sorted; a contact without a zone has the
	// customer's (Timezone), else UTC.
	Timezones []string `json:"timezones,omitempty"`
}

// EnrolmentNotice asks to tell the account owner that the run started, with
// the events that enrolled the account (handoff.notify_on_enrol). RunKey
// names the email: a retried or repeated request never sends it twice. The
// engagements carry IDs only; the activity reads names from Postgres.
type EnrolmentNotice struct {
	RunKey      string       `json:"run_key"`
	WorkflowID  string       `json:"workflow_id"`
	JourneyID   string       `json:"journey_id"`
	Version     int          `json:"version"`
	CustomerID  string       `json:"customer_id"`
	OwnerID     string       `json:"owner_id"`
	Offer       string       `json:"offer,omitempty"`
	Engagements []Engagement `json:"engagements"`
}

// SendRequest asks to send one step's content to the customer's contacts.
// (RunKey, StepID, Cycle) identifies the email: a retried or repeated request
// never sends it twice.
type SendRequest struct {
	RunKey     string `json:"run_key"`
	WorkflowID string `json:"workflow_id"`
	JourneyID  string `json:"journey_id"`
	Version    int    `json:"version"`
	CustomerID string `json:"customer_id"`
	StepID     string `json:"step_id"`
	ContentID  string `json:"content_id"`
	Cycle      int    `json:"cycle"`
	// Visit counts the step\'s sends in this cycle, from 1: a goto back to a
	// send step sends it again, once per visit.
	Visit    int      `json:"visit,omitempty"`
	FastLane []string `json:"fast_lane,omitempty"`
	// Timezone, when set, mails only the contacts in that zone (as
	// RunContext.Timezones names them); empty mails every contact.
	Timezone string `json:"timezone,omitempty"`
}

// Send statuses.
const (
	SendSent       = "sent"       // accepted by SendGrid (now or by an earlier attempt)
	SendDeferred   = "deferred"   // frequency cap: try again at NotBefore
	SendSuppressed = "suppressed" // every contact is suppressed: nobody to mail
)

// SendResult says what became of a SendRequest.
type SendResult struct {
	Status     string    `json:"status"`
	MessageIDs []string  `json:"message_ids,omitempty"`
	NotBefore  time.Time `json:"not_before,omitempty"`
}

// HandoffRequest records an escalation to the account owner.
type HandoffRequest struct {
	RunKey     string `json:"run_key"`
	WorkflowID string `json:"workflow_id"`
	JourneyID  string `json:"journey_id"`
	Version    int    `json:"version"`
	CustomerID string `json:"customer_id"`
	OwnerID    string `json:"owner_id"`
	Cycle      int    `json:"cycle"`
	// Escalation counts the run\'s hand-offs within the cycle, from 1: after
	// "rejected" a run may qualify again in the same cycle.
	Escalation int    `json:"escalation"`
	Reason     string `json:"reason"`
	Offer      string `json:"offer,omitempty"`
	// FastLaneEventID names the stored fast-lane event; its note stays in
	// Postgres, out of workflow history.
	FastLaneEventID string        `json:"fast_lane_event_id,omitempty"`
	Score           float64       `json:"score"`
	SLA             time.Duration `json:"sla"`
	Evidence        Evidence      `json:"evidence"`
}

// Evidence is what sales sees: what the customer read and did.
type Evidence struct {
	Engagements []Engagement `json:"engagements"`
	Sends       []SentStep   `json:"sends"`
	ScoreTrail  []ScorePoint `json:"score_trail"`
}

// SentStep is one email sent in this cycle.
type SentStep struct {
	StepID    string    `json:"step_id"`
	ContentID string    `json:"content_id"`
	At        time.Time `json:"at"`
}

// ScorePoint is the score at one moment.
type ScorePoint struct {
	At    time.Time `json:"at"`
	Score float64   `json:"score"`
}

// HandoffRecord identifies a recorded hand-off.
type HandoffRecord struct {
	ID string `json:"id"`
}

// NotifyRequest asks to email the account owner about a hand-off; Reminder
// counts SLA reminders (0 = the first notice).
type NotifyRequest struct {
	HandoffID string `json:"handoff_id"`
	Reminder  int    `json:"reminder"`
}

// CloseHandoffRequest records sales' answer on the hand-off. The note sales
// gave is not in it: free text stays out of workflow history, and the store
// takes the note from the hand-off row it was answered on.
type CloseHandoffRequest struct {
	HandoffID string `json:"handoff_id"`
	Outcome   string `json:"outcome"`
	// Note is always empty: the workflow never knows the note.
	Note string `json:"note,omitempty"`
}

// RunSnapshot feeds the store's projection of runs, for reporting and
// routing. MQN means what State.MQN means: the run has reached MQN.
type RunSnapshot struct {
	WorkflowID string    `json:"workflow_id"`
	RunKey     string    `json:"run_key"`
	JourneyID  string    `json:"journey_id"`
	Version    int       `json:"version"`
	CustomerID string    `json:"customer_id"`
	OwnerID    string    `json:"owner_id"`
	Status     string    `json:"status"`
	Stage      string    `json:"stage"`
	Score      float64   `json:"score"`
	MQN        bool      `json:"mqn"`
	Cycle      int       `json:"cycle"`
	Outcome    string    `json:"outcome,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	At         time.Time `json:"at"`
}

// activity returns a context for an activity that retries transient
// failures with backoff for up to maxRetryTime.
func (r *run) activity(summary string, maxRetryTime time.Duration) workflow.Context {
	return workflow.WithActivityOptions(r.ctx, workflow.ActivityOptions{
		// Short enough that an attempt on a worker that died is retried
		// soon; SendGrid's own timeout is 10 s.
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: maxRetryTime,
		Summary:                summary,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    5 * time.Minute,
		},
	})
}

// sync updates the store's projection of the run; best effort, since the
// workflow itself is the source of truth. A local activity: the write to
// Postgres needs no round trip through the Temporal server.
func (r *run) sync() {
	st := r.st
	snap := RunSnapshot{
		WorkflowID: workflow.GetInfo(r.ctx).WorkflowExecution.ID, RunKey: st.RunKey,
		JourneyID: st.JourneyID, Version: st.Version, CustomerID: st.CustomerID, OwnerID: st.OwnerID,
		Status: st.Status, Stage: st.Stage, Score: st.Score, MQN: st.MQN, Cycle: st.Cycle,
		Outcome: st.Outcome, StartedAt: st.StartedAt, At: workflow.Now(r.ctx),
	}
	r.recordedStage = st.Stage
	ctx := workflow.WithLocalActivityOptions(r.ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: 10 * time.Minute,
		Summary:                "record run: " + st.Stage,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	if err := workflow.ExecuteLocalActivity(ctx, ActivitySyncRun, snap).Get(r.ctx, nil); err != nil {
		r.fail("record run", err)
	}
}
