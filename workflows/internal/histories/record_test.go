package histories_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ripen/ripen/internal/devtemporal"
	"github.com/ripen/ripen/internal/freeport"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/workflows"
	"github.com/ripen/ripen/workflows/internal/histories"
)

// recycleJourney is the tour's journey with a cool-down of seconds, so a
// run recycles in real time.
const recycleJourney = `
id: erp-automation-crosssell
version: 1
name: Automation add-on for ERP customers
offer: {kind: cross-sell, product: automation-suite}
scoring: {points: {open: 1, click: 10, visit: 5, download: 15}, half_life: 30d}
mqn: {threshold: 40, fast_lane: [consultation, demo, price-indication]}
handoff: {sla: 2d, recycle_after: 3s, max_recycles: 2}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 4d, until: click}
  - {id: reminder, if: "!clicked('checklist')", send: automation-checklist-reminder}
  - {id: case-study, send: erp-automation-case-study}
  - {id: wait-2, wait: 14d, until: fast_lane}
  - {id: nudge, if: "score < 20 && days_in_journey < 90", goto: case-study}
`

// TestRecycleOnTheEmbeddedServer runs a journey on the embedded Temporal
// server through a recycle, with waits that end early, and checks its
// history: it replays, and no timer outlives its wait. With
// RIPEN_RECORD_HISTORY set to a file it records the history there for the
// workflows package's replay test:
//
//	RIPEN_RECORD_HISTORY=$PWD/workflows/testdata/recycle-history.json go test ./workflows/internal/histories -run Recycle
func TestRecycleOnTheEmbeddedServer(t *testing.T) {
	ctx, c, acts := onTheEmbeddedServer(t, &fakeActivities{})
	r := startRun(ctx, t, c)
	r.recycle()
	r.pauseAndStop()
	var res workflows.Result
	require.NoError(t, c.GetWorkflow(ctx, r.id, "").Get(ctx, &res))
	require.Equal(t, workflows.OutcomeStopped, res.Outcome)
	require.Equal(t, 2, res.Cycles)
	require.Equal(t, []string{"checklist", "case-study", "checklist"}, acts.sentSteps())
	checkAndRecord(ctx, t, c, r.id)
}

// onTheEmbeddedServer starts an embedded Temporal server and a worker of
// the journey workflow with acts as its activities (skipped under -short).
func onTheEmbeddedServer(t *testing.T, acts *fakeActivities) (context.Context, client.Client, *fakeActivities) {
	t.Helper()
	ctx, c := embeddedServer(t)
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.Journey)
	w.RegisterActivity(acts)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return ctx, c, acts
}

// embeddedServer starts an embedded Temporal server for a test of three
// minutes at most (skipped under -short), with no worker.
func embeddedServer(t *testing.T) (context.Context, client.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx, startTemporal(ctx, t)
}

// startJourney starts a run of the journey src for customer acme, as the
// API would, with in's other fields.
func startJourney(ctx context.Context, t *testing.T, c client.Client, src string, in workflows.Input) (*liveRun, journey.Definition) {
	t.Helper()
	var def journey.Definition
	_, probs := journey.DecodeYAML([]byte(src), "journey", &def)
	require.Empty(t, probs)
	in.Journey, in.CustomerID = def, "acme"
	r := &liveRun{ctx: ctx, t: t, c: c, id: workflows.WorkflowID(def.ID, "acme")}
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: r.id, TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: workflows.StartSearchAttributes(def.ID, "acme", def.Offer.Kind),
	}, workflows.Journey, in)
	require.NoError(t, err)
	return r, def
}

// checkAndRecord fetches the run's history, checks that no timer outlived
// its wait and that it replays, and records it (record).
func checkAndRecord(ctx context.Context, t *testing.T, c client.Client, id string) {
	t.Helper()
	h := fetchHistory(ctx, t, c, id)
	require.NoError(t, histories.CheckTimers(h))
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflow(workflows.Journey)
	require.NoError(t, replayer.ReplayWorkflowHistory(nil, h))
	record(t, h)
}

func startTemporal(ctx context.Context, t *testing.T) client.Client {
	port, err := freeport.Take("127.0.0.1")
	require.NoError(t, err)
	srv, err := devtemporal.Start(ctx, devtemporal.Options{Port: port, Log: zerolog.Nop(), SearchAttributes: workflows.SearchAttributes()})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.Address(), Namespace: "default", Logger: log.NewStructuredLogger(quiet)})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// liveRun drives one run as the API would: signals, the feedback update,
// and the state query to see where it is.
type liveRun struct {
	ctx context.Context
	t   *testing.T
	c   client.Client
	id  string
}

func startRun(ctx context.Context, t *testing.T, c client.Client) *liveRun {
	r, _ := startJourney(ctx, t, c, recycleJourney, workflows.Input{})
	return r
}

// recycle: a click ends wait-1, a demo request ends wait-2, sales answer
// "not ready" within the SLA, the cool-down passes, and cycle 2 begins.
func (r *liveRun) recycle() {
	r.until("sleeping in wait-1", func(st workflows.State) bool { return r.sleepingIn(st, "wait-1") })
	r.signal(workflows.SignalEngagement, workflows.Engagement{EventID: "ev-1", Kind: "click", StepID: "checklist", ContactID: "acme-max"})
	r.until("sleeping in wait-2", func(st workflows.State) bool { return r.sleepingIn(st, "wait-2") })
	r.signal(workflows.SignalFastLane, workflows.FastLane{EventID: "ev-2", Offer: "demo", ContactID: "acme-max"})
	r.until("handed off", func(st workflows.State) bool {
		return st.Stage == workflows.StageHandoff && st.Handoff != nil && st.Handoff.ID != "" && st.NextWakeAt != nil
	})
	handle, err := r.c.UpdateWorkflow(r.ctx, client.UpdateWorkflowOptions{
		WorkflowID: r.id, UpdateName: workflows.UpdateFeedback, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.Feedback{Outcome: workflows.FeedbackNotReady}},
	})
	require.NoError(r.t, err)
	var st workflows.State
	require.NoError(r.t, handle.Get(r.ctx, &st))
	require.Equal(r.t, workflows.StageCooldown, st.Stage)
	require.True(r.t, st.MQN, "the run reached MQN; the cool-down does not change that")
	r.until("cycle 2 in wait-1", func(st workflows.State) bool { return st.Cycle == 2 && r.sleepingIn(st, "wait-1") })
}

// pauseAndStop: a pause ends wait-1 of cycle 2, the resume goes back to
// it, and a stop ends the run.
func (r *liveRun) pauseAndStop() {
	at := time.Now()
	r.signal(workflows.SignalPause, workflows.Control{At: at})
	r.until("paused", func(st workflows.State) bool { return st.Stage == workflows.StagePaused })
	r.signal(workflows.SignalResume, workflows.Control{At: at.Add(time.Second)})
	r.until("back in wait-1", func(st workflows.State) bool { return r.sleepingIn(st, "wait-1") })
	r.signal(workflows.SignalStop, workflows.Control{Reason: "test"})
}

func (r *liveRun) sleepingIn(st workflows.State, step string) bool {
	return st.Stage == workflows.StageNurturing && st.Step == step && st.NextWakeAt != nil
}

func (r *liveRun) signal(name string, arg any) {
	require.NoError(r.t, r.c.SignalWorkflow(r.ctx, r.id, "", name, arg))
}

func (r *liveRun) until(what string, cond func(workflows.State) bool) {
	require.Eventually(r.t, func() bool {
		v, err := r.c.QueryWorkflow(r.ctx, r.id, "", workflows.QueryState)
		if err != nil {
			return false
		}
		var st workflows.State
		return v.Get(&st) == nil && cond(st)
	}, 30*time.Second, 50*time.Millisecond, what)
}

func fetchHistory(ctx context.Context, t *testing.T, c client.Client, id string) *historypb.History {
	iter := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
	}
	return h
}

// record writes the history where RIPEN_RECORD_HISTORY says, as e2e's
// recorder does.
func record(t *testing.T, h *historypb.History) {
	file := os.Getenv("RIPEN_RECORD_HISTORY")
	if file == "" {
		return
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, data, 0o644))
	t.Logf("recorded %d events in %s", len(h.Events), file)
}

// fakeActivities stand in for Postgres and SendGrid: every send goes out,
// every hand-off is recorded. Contacts in unsubscribed are suppressed;
// the customer is reachable while one of reachable is not.
type fakeActivities struct {
	mu           sync.Mutex
	sends        []string
	enrolments   []workflows.EnrolmentNotice
	reachable    []string
	unsubscribed map[string]bool
	// timezones are the contacts' zones LoadRunContext answers; zones
	// are the Timezone of each send; assets the asset requests.
	timezones []string
	zones     []string
	assets    []workflows.FastLaneAssetRequest
}

func (f *fakeActivities) LoadRunContext(context.Context, workflows.RunContextRequest) (workflows.RunContext, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	left := len(f.reachable) == 0
	for _, id := range f.reachable {
		left = left || !f.unsubscribed[id]
	}
	return workflows.RunContext{OwnerID: "rep-eva", Timezone: "Europe/Berlin", Reachable: left, Timezones: f.timezones}, nil
}

func (f *fakeActivities) NotifyEnrolment(_ context.Context, req workflows.EnrolmentNotice) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enrolments = append(f.enrolments, req)
	return nil
}

func (f *fakeActivities) SendFastLaneAsset(_ context.Context, req workflows.FastLaneAssetRequest) (workflows.FastLaneAssetResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.assets = append(f.assets, req)
	return workflows.FastLaneAssetResult{ContentID: "automation-checklist-pdf", Sent: true}, nil
}

// unsubscribe suppresses a contact, as the API does before it signals.
func (f *fakeActivities) unsubscribe(contactID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.unsubscribed == nil {
		f.unsubscribed = map[string]bool{}
	}
	f.unsubscribed[contactID] = true
}

func (f *fakeActivities) SendContent(_ context.Context, req workflows.SendRequest) (workflows.SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sends = append(f.sends, req.StepID)
	f.zones = append(f.zones, req.Timezone)
	return workflows.SendResult{Status: workflows.SendSent, MessageIDs: []string{"msg-" + req.StepID}}, nil
}

func (f *fakeActivities) RecordHandoff(_ context.Context, req workflows.HandoffRequest) (workflows.HandoffRecord, error) {
	return workflows.HandoffRecord{ID: "h-" + req.Reason}, nil
}

func (f *fakeActivities) NotifyOwner(context.Context, workflows.NotifyRequest) error { return nil }

func (f *fakeActivities) CloseHandoff(context.Context, workflows.CloseHandoffRequest) error {
	return nil
}

func (f *fakeActivities) SyncRun(context.Context, workflows.RunSnapshot) error { return nil }

func (f *fakeActivities) sentSteps() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sends...)
}

var _ workflows.Activities = (*fakeActivities)(nil)
