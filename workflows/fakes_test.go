package workflows

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/testsuite"
)

// fakeActivities stands in for Postgres and SendGrid: it records what the
// workflow asked for, against the test environment's clock.
type fakeActivities struct {
	mu       sync.Mutex
	env      *testsuite.TestWorkflowEnvironment
	sends    []sentAt
	handoffs []HandoffRequest
	notices  []NotifyRequest
	closed   []CloseHandoffRequest
	timezone string
	// timezones are the contacts' zones LoadRunContext answers.
	timezones []string
	capUntil  time.Time // sends before this are deferred
	suppress  bool
	runStages []string
	snaps     []RunSnapshot
	visits    []int
	loads     int
	// onSend, when set, sees every send request first; an error it
	// returns is the activity's.
	onSend func(SendRequest) error
	// onSync, when set, sees each projection the run records (to signal
	// the run while it records its end).
	onSync   func(RunSnapshot)
	onNotify func(NotifyRequest)
	// loadReqs are the LoadRunContext requests; nobodyLeft makes every
	// one after the first answer that nobody can be mailed.
	loadReqs   []RunContextRequest
	nobodyLeft bool
	enrolments []EnrolmentNotice
	// sendsAtEnrolment is how many emails had gone out when the owner was
	// told of the enrolment.
	sendsAtEnrolment int
	// assets are the SendFastLaneAsset requests.
	assets []FastLaneAssetRequest
}

type sentAt struct {
	Step  string
	Cycle int
	At    time.Time
	// Zone is the request's Timezone ("" for every contact).
	Zone string
}

func (f *fakeActivities) LoadRunContext(_ context.Context, req RunContextRequest) (RunContext, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	f.loadReqs = append(f.loadReqs, req)
	return RunContext{OwnerID: "rep-eva", Timezone: f.timezone, Reachable: f.loads == 1 || !f.nobodyLeft, Timezones: f.timezones}, nil
}

func (f *fakeActivities) NotifyEnrolment(_ context.Context, req EnrolmentNotice) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enrolments = append(f.enrolments, req)
	f.sendsAtEnrolment = len(f.sends)
	return nil
}

func (f *fakeActivities) SendFastLaneAsset(_ context.Context, req FastLaneAssetRequest) (FastLaneAssetResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.assets = append(f.assets, req)
	return FastLaneAssetResult{ContentID: "automation-checklist-pdf", Sent: true}, nil
}

func (f *fakeActivities) SendContent(_ context.Context, req SendRequest) (SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.env.Now().UTC()
	if f.onSend != nil {
		if err := f.onSend(req); err != nil {
			return SendResult{}, err
		}
	}
	if f.suppress {
		return SendResult{Status: SendSuppressed}, nil
	}
	if now.Before(f.capUntil) {
		return SendResult{Status: SendDeferred, NotBefore: f.capUntil}, nil
	}
	f.sends = append(f.sends, sentAt{Step: req.StepID, Cycle: req.Cycle, At: now, Zone: req.Timezone})
	f.visits = append(f.visits, req.Visit)
	return SendResult{Status: SendSent, MessageIDs: []string{"msg-" + req.StepID}}, nil
}

func (f *fakeActivities) RecordHandoff(_ context.Context, req HandoffRequest) (HandoffRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handoffs = append(f.handoffs, req)
	return HandoffRecord{ID: "h-" + req.Reason}, nil
}

func (f *fakeActivities) NotifyOwner(_ context.Context, req NotifyRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notices = append(f.notices, req)
	if f.onNotify != nil {
		f.onNotify(req)
	}
	return nil
}

func (f *fakeActivities) CloseHandoff(_ context.Context, req CloseHandoffRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = append(f.closed, req)
	return nil
}

func (f *fakeActivities) SyncRun(_ context.Context, snap RunSnapshot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runStages = append(f.runStages, snap.Stage)
	f.snaps = append(f.snaps, snap)
	if f.onSync != nil {
		f.onSync(snap)
	}
	return nil
}

func (f *fakeActivities) sentSteps() []string {
	var out []string
	for _, s := range f.sends {
		out = append(out, s.Step)
	}
	return out
}
