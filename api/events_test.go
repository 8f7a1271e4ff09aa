package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/ripen/ripen/app"
	"github.com/ripen/ripen/store"
)

// flakyTemporal is the stack's Temporal client whose signals (failing) or
// starts (failStarts) fail while set, as when Temporal is briefly
// unreachable.
type flakyTemporal struct {
	client.Client
	failing, failStarts atomic.Bool
}

func (f *flakyTemporal) SignalWorkflow(ctx context.Context, workflowID, runID, name string, arg any) error {
	if f.failing.Load() {
		return errors.New("temporal is unreachable (test)")
	}
	return f.Client.SignalWorkflow(ctx, workflowID, runID, name, arg)
}

func (f *flakyTemporal) ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error) {
	if f.failStarts.Load() {
		return nil, errors.New("temporal is unreachable (test)")
	}
	return f.Client.ExecuteWorkflow(ctx, options, workflow, args...)
}

// flakyAPI serves a second API over the same store and Temporal, whose
// calls fail as the returned client is told, logging to log (nil: nowhere).
func (h *harness) flakyAPI(log io.Writer) (string, *flakyTemporal) {
	h.t.Helper()
	tc := &flakyTemporal{Client: h.stack.Client}
	l := zerolog.Nop()
	if log != nil {
		l = zerolog.New(log)
	}
	srv := h.appOn(tc, "", app.Tuning{}, l).API
	ts := httptest.NewServer(srv.Handler())
	h.t.Cleanup(ts.Close)
	return ts.URL, tc
}

func TestARetriedEventBatchReachesTheRunsTheFailedAttemptMissed(t *testing.T) {
	h := newHarness(t)
	h.seed()
	require.Equal(t, "started", h.enrol("erp-automation-crosssell", "acme").Results[0].Status)
	url, tc := h.flakyAPI(nil)
	batch := map[string]any{"events": []map[string]any{
		{"id": "click-1", "customer_id": "acme", "type": "click", "occurred_at": time.Now().UTC().Format(time.RFC3339)},
	}}

	// The events are stored, then routing fails: the client is told to retry.
	tc.failing.Store(true)
	code, _, body := h.doAt(url, "POST", "/v1/events", "marketing", batch, nil)
	require.Equal(t, 500, code, "%s", body)
	_, err := h.stack.Store.GetEvent(context.Background(), "click-1")
	require.NoError(t, err, "the event was stored before routing failed")

	// The retry finds the event stored, and still delivers it.
	tc.failing.Store(false)
	var res struct {
		Accepted, Duplicates int
		Signalled            []string
	}
	h.json("POST", "/v1/events", "marketing", batch, 200, &res)
	require.Equal(t, 0, res.Accepted)
	require.Equal(t, 1, res.Duplicates)
	require.Equal(t, []string{"ripen/erp-automation-crosssell/acme"}, res.Signalled)
	var st runState
	h.eventually("the click reached the run", func() bool {
		h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "marketing", nil, 200, &st)
		return st.has("click-1")
	})
	require.GreaterOrEqual(t, st.Score, 10.0)

	// A third copy changes nothing: the run counts an event once.
	h.json("POST", "/v1/events", "marketing", batch, 200, &res)
	h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "marketing", nil, 200, &st)
	n := 0
	for _, e := range st.Engagements {
		if e.EventID == "click-1" {
			n++
		}
	}
	require.Equal(t, 1, n)
}

func TestADetectorStartedRunCountsTheEventsThatStartedIt(t *testing.T) {
	h := newHarness(t)
	h.seed()
	now := time.Now().UTC()
	visit := func(id string, ago time.Duration) map[string]any {
		return map[string]any{"id": id, "customer_id": "acme", "type": "visit", "topic": "process-automation",
			"occurred_at": now.Add(-ago).Format(time.RFC3339)}
	}
	// One visit is not enough (min_events: 2); it is stored.
	_, enrolled := h.postEvents(visit("visit-1", time.Hour))
	require.Empty(t, enrolled)
	// An off-topic event in between is no qualifying event.
	h.postEvents(map[string]any{"id": "visit-other", "customer_id": "acme", "type": "visit", "topic": "pricing", "occurred_at": now.Add(-30 * time.Minute).Format(time.RFC3339)})
	// The second one, in a later batch, meets the detector.
	_, enrolled = h.postEvents(visit("visit-2", 0))
	require.Equal(t, []string{"ripen/erp-automation-crosssell/acme"}, enrolled)

	var st runState
	h.eventually("the new run has both visits", func() bool {
		h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "marketing", nil, 200, &st)
		return st.has("visit-1") && st.has("visit-2")
	})
	require.False(t, st.has("visit-other"), "an event of an earlier batch off the detector's topics did not qualify")
	require.InDelta(t, 10.0, st.Score, 0.1, "two visits of 5 points each")
}

func TestARunThatEndedUnrecordedIsLearnedFromRouting(t *testing.T) {
	h := newHarness(t)
	h.seed()
	ctx := context.Background()
	id := "ripen/erp-automation-crosssell/acme"
	res := h.enrol("erp-automation-crosssell", "acme")
	require.Equal(t, "started", res.Results[0].Status)
	h.eventually("the run is projected as running", func() bool {
		r, err := h.stack.Store.GetRun(ctx, id)
		return err == nil && r.Status == store.RunRunning
	})
	// An operator terminates the run in Temporal: nothing tells the store.
	require.NoError(t, h.stack.Client.TerminateWorkflow(ctx, id, "", "test"))
	d, err := h.stack.Client.DescribeWorkflowExecution(ctx, id, "")
	require.NoError(t, err)
	closed := d.GetWorkflowExecutionInfo().GetCloseTime().AsTime()

	// Two visits on the detector's topics: the projection still says
	// running, so routing tries the run, learns it ended, and the detector
	// then sees the cool-down (recycle_after: 60d) and enrols no one.
	now := time.Now().UTC().Format(time.RFC3339)
	signalled, enrolled := h.postEvents(
		map[string]any{"id": "visit-1", "customer_id": "acme", "type": "visit", "topic": "process-automation", "occurred_at": now},
		map[string]any{"id": "visit-2", "customer_id": "acme", "type": "visit", "topic": "process-automation", "occurred_at": now},
	)
	require.Empty(t, signalled)
	require.Empty(t, enrolled, "the detector's cool-down counts the terminated run")
	r, err := h.stack.Store.GetRun(ctx, id)
	require.NoError(t, err)
	require.Equal(t, store.RunTerminated, r.Status)
	require.NotNil(t, r.EndedAt)
	require.WithinDuration(t, closed, *r.EndedAt, time.Millisecond, "ended at Temporal's close time")
	running, err := h.stack.Store.RunningRuns(ctx, []string{"acme"})
	require.NoError(t, err)
	require.Empty(t, running, "events no longer go to the run")
	d, err = h.stack.Client.DescribeWorkflowExecution(ctx, id, "")
	require.NoError(t, err)
	require.Equal(t, res.Results[0].RunID, d.GetWorkflowExecutionInfo().GetExecution().GetRunId(), "no new run")
}

func TestReadingATerminatedRunRecordsItsEnd(t *testing.T) {
	h := newHarness(t)
	h.seed()
	ctx := context.Background()
	id := "ripen/erp-automation-crosssell/acme"
	require.Equal(t, "started", h.enrol("erp-automation-crosssell", "acme").Results[0].Status)
	var st runState
	h.eventually("the run answers", func() bool {
		h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "sales", nil, 200, &st)
		return st.Status == "running"
	})
	require.NoError(t, h.stack.Client.TerminateWorkflow(ctx, id, "", "test"))
	h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "sales", nil, 200, &st)
	require.Equal(t, "terminated", st.Status)
	r, err := h.stack.Store.GetRun(ctx, id)
	require.NoError(t, err)
	require.Equal(t, store.RunTerminated, r.Status)
	require.NotNil(t, r.EndedAt)
	require.Equal(t, "done", r.Stage)
}

// handedOffRun enrols acme, asks for a demo on its run and waits for the
// hand-off in the sales inbox; it returns the run's workflow ID and the
// hand-off's ID.
func (h *harness) handedOffRun() (workflowID, handoffID string) {
	h.t.Helper()
	h.seed()
	require.Equal(h.t, "started", h.enrol("erp-automation-crosssell", "acme").Results[0].Status)
	h.json("POST", "/v1/journeys/erp-automation-crosssell/runs/acme/signals", "sales", map[string]any{"type": "fast-lane", "offer": "demo"}, 202, nil)
	var inbox struct {
		Handoffs []struct{ ID string } `json:"handoffs"`
	}
	h.eventually("a hand-off in the sales inbox", func() bool {
		h.json("GET", "/v1/handoffs?status=open", "sales", nil, 200, &inbox)
		return len(inbox.Handoffs) == 1
	})
	return "ripen/erp-automation-crosssell/acme", inbox.Handoffs[0].ID
}

func TestATerminatedRunWithdrawsItsOpenHandoff(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, handoffID := h.handedOffRun()
	require.NoError(t, h.stack.Client.TerminateWorkflow(ctx, id, "", "test"))
	// The next event for the customer finds the run gone.
	h.postEvents(map[string]any{"id": "click-1", "customer_id": "acme", "type": "click", "occurred_at": time.Now().UTC().Format(time.RFC3339)})
	var ho struct{ Status string }
	h.json("GET", "/v1/handoffs/"+handoffID, "sales", nil, 200, &ho)
	require.Equal(t, store.HandoffWithdrawn, ho.Status, "nobody is left to answer it")
	var inbox struct{ Handoffs []struct{ ID string } }
	h.json("GET", "/v1/handoffs?status=open", "sales", nil, 200, &inbox)
	require.Empty(t, inbox.Handoffs)
}

// Cancel in the Web UI or CLI ends a run as a stop: the run itself records
// its end and withdraws its hand-off, and shows as canceled.
func TestACanceledRunEndsAsAStopAndWithdrawsItsHandoff(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, handoffID := h.handedOffRun()
	require.NoError(t, h.stack.Client.CancelWorkflow(ctx, id, ""))
	h.eventually("the run records its own end", func() bool {
		r, err := h.stack.Store.GetRun(ctx, id)
		return err == nil && r.Status != store.RunRunning
	})
	var ho struct{ Status string }
	h.json("GET", "/v1/handoffs/"+handoffID, "sales", nil, 200, &ho)
	require.Equal(t, store.HandoffWithdrawn, ho.Status, "withdrawn by the run, with no event needed")
	var st runState
	h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "sales", nil, 200, &st)
	require.Equal(t, "canceled", st.Status)
}

func TestTheDetectorWaitsOutTheCoolDownAfterARun(t *testing.T) {
	h := newHarness(t)
	h.seed()
	id := "ripen/erp-automation-crosssell/acme"
	require.Equal(t, "started", h.enrol("erp-automation-crosssell", "acme").Results[0].Status)
	h.json("POST", "/v1/journeys/erp-automation-crosssell/runs/acme/signals", "marketing", map[string]any{"type": "stop"}, 202, nil)
	h.waitClosed(id)
	h.eventually("the projection records the end", func() bool {
		r, err := h.stack.Store.GetRun(context.Background(), id)
		return err == nil && r.EndedAt != nil
	})
	now := time.Now().UTC().Format(time.RFC3339)
	_, enrolled := h.postEvents(
		map[string]any{"id": "visit-1", "customer_id": "acme", "type": "visit", "topic": "process-automation", "occurred_at": now},
		map[string]any{"id": "visit-2", "customer_id": "acme", "type": "visit", "topic": "process-automation", "occurred_at": now},
	)
	require.Empty(t, enrolled, "within recycle_after (60d) of the last run's end")

	// Another customer, never in the journey, meets the same rule and is enrolled.
	h.customer("globex", "max@globex.example", "en")
	_, enrolled = h.postEvents(
		map[string]any{"id": "g-visit-1", "customer_id": "globex", "type": "visit", "topic": "process-automation", "occurred_at": now},
		map[string]any{"id": "g-visit-2", "customer_id": "globex", "type": "visit", "topic": "process-automation", "occurred_at": now},
	)
	require.Equal(t, []string{"ripen/erp-automation-crosssell/globex"}, enrolled)
}

func TestFieldProblemsOfEventsAreAllListed(t *testing.T) {
	h := newHarness(t)
	h.seed()
	code, body := h.do("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{
		{"id": "", "customer_id": "nobody", "type": "teleport", "occurred_at": "2026-11-26T10:00:00Z"},
		{"id": "ok", "customer_id": "acme", "type": "visit", "occurred_at": "2026-11-26T10:00:00Z"},
		{"id": "late", "customer_id": "acme", "type": "visit", "occurred_at": "2999-01-01T00:00:00Z"},
		{"id": "no-time", "customer_id": "", "type": "visit"},
	}})
	require.Equal(t, 422, code, "%s", body)
	require.Equal(t, []string{
		"events[0].id", "events[0].customer_id", "events[0].type",
		"events[2].occurred_at",
		"events[3].customer_id", "events[3].occurred_at",
	}, problemOf(t, body).fields())
}

// A website form ("book a demo") posts a fast-lane event: the customer's
// running runs whose journey offers it hand off; a run whose journey does
// not list the offer never hears it.
func TestAFastLaneEventIsHandedOffByTheRunsThatOfferIt(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.json("PUT", "/v1/journeys/automation-upsell", "marketing", upsellJourney, 201, nil)
	require.Equal(t, "started", h.enrol("erp-automation-crosssell", "acme").Results[0].Status)
	require.Equal(t, "started", h.enrol("automation-upsell", "acme").Results[0].Status)
	now := time.Now().UTC().Format(time.RFC3339)
	fastLane := func(id, offer string) map[string]any {
		return map[string]any{"events": []map[string]any{{"id": id, "customer_id": "acme", "contact_id": "acme-max",
			"type": "fast-lane", "topic": offer, "note": "please call", "occurred_at": now}}}
	}
	type inbox struct {
		Handoffs []struct {
			JourneyID string `json:"journey_id"`
			Reason    string `json:"reason"`
			Offer     string `json:"offer"`
			Note      string `json:"note"`
		} `json:"handoffs"`
	}
	openHandoffs := func() inbox {
		var in inbox
		h.json("GET", "/v1/handoffs?status=open", "sales", nil, 200, &in)
		return in
	}

	// "checklist" is not in erp-automation-crosssell's mqn.fast_lane; the
	// upsell journey lists none, so it takes every offer.
	var res struct {
		Accepted, Duplicates int
		Signalled, Enrolled  []string
	}
	h.json("POST", "/v1/events", "marketing", fastLane("form-1", "checklist"), 200, &res)
	require.Equal(t, 1, res.Accepted)
	require.Equal(t, []string{"ripen/automation-upsell/acme"}, res.Signalled)
	require.Empty(t, res.Enrolled)
	var in inbox
	h.eventually("the upsell run hands off", func() bool { in = openHandoffs(); return len(in.Handoffs) == 1 })
	require.Equal(t, "automation-upsell", in.Handoffs[0].JourneyID)
	require.Equal(t, "fast-lane", in.Handoffs[0].Reason)
	require.Equal(t, "checklist", in.Handoffs[0].Offer)
	require.Equal(t, "please call", in.Handoffs[0].Note, "the note comes from the stored event")
	var st struct {
		FastLane *struct{ Offer string } `json:"fast_lane"`
	}
	h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "sales", nil, 200, &st)
	require.Nil(t, st.FastLane, "the run that does not offer it never heard it")

	// "demo" is the cross-sell journey's: it hands off too.
	h.json("POST", "/v1/events", "marketing", fastLane("form-2", "demo"), 200, &res)
	require.Contains(t, res.Signalled, "ripen/erp-automation-crosssell/acme")
	h.eventually("the cross-sell run hands off", func() bool { in = openHandoffs(); return len(in.Handoffs) == 2 })

	// The same request again is a duplicate, and the run counts it once.
	h.json("POST", "/v1/events", "marketing", fastLane("form-2", "demo"), 200, &res)
	require.Equal(t, 1, res.Duplicates)
	h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "sales", nil, 200, &st)
	require.NotNil(t, st.FastLane)
	require.Equal(t, "demo", st.FastLane.Offer)
	require.Len(t, openHandoffs().Handoffs, 2)
}

// A client reusing an event ID for another customer gets a duplicate, and
// the event routed is the one stored: the other customer's run never scores
// it.
func TestARepeatedEventIDIsRoutedAsStored(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.customer("globex", "max@globex.example", "en")
	h.enrol("erp-automation-crosssell", "acme", "globex")
	now := time.Now().UTC().Format(time.RFC3339)
	var res struct {
		Accepted, Duplicates int
		Signalled            []string
	}
	h.json("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{
		{"id": "click-1", "customer_id": "acme", "type": "click", "occurred_at": now}}}, 200, &res)
	require.Equal(t, []string{"ripen/erp-automation-crosssell/acme"}, res.Signalled)

	h.json("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{
		{"id": "click-1", "customer_id": "globex", "type": "download", "occurred_at": now}}}, 200, &res)
	require.Equal(t, 0, res.Accepted)
	require.Equal(t, 1, res.Duplicates)
	require.Equal(t, []string{"ripen/erp-automation-crosssell/acme"}, res.Signalled, "routed again as stored: acme's click")

	var st runState
	h.eventually("acme's run has the click", func() bool {
		h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "sales", nil, 200, &st)
		return st.has("click-1")
	})
	require.InDelta(t, 10.0, st.Score, 0.1, "a click, not a download")
	var other runState
	h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/globex", "sales", nil, 200, &other)
	require.False(t, other.has("click-1"))
}

func TestEveryBadFieldOfAnEventIsNamedWithItsPath(t *testing.T) {
	h := newHarness(t)
	h.seed()
	now := time.Now().UTC().Format(time.RFC3339)
	long := strings.Repeat("x", store.MaxEventNoteChars+1)
	code, body := h.do("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{
		{"id": "a", "customer_id": "acme", "type": "visit", "note": long, "occurred_at": now},
		{"id": "b", "customer_id": "acme", "type": "visit", "note": long, "occurred_at": now},
		{"id": "c", "customer_id": "acme", "type": "visit", "topic": "x\u0000y", "url": "u\u0000", "occurred_at": now},
		{"id": "d", "customer_id": "acme", "type": "fast-lane", "topic": "lunch", "occurred_at": now},
		{"id": "e", "customer_id": "acme", "type": "fast-lane", "occurred_at": now},
		{"id": "f", "customer_id": "acme", "type": "fast-lane", "topic": "demo", "note": strings.Repeat("ü", store.MaxEventNoteChars), "occurred_at": now},
	}})
	require.Equal(t, 422, code, "%s", body)
	require.Equal(t, []string{
		"events[0].note", "events[1].note",
		"events[2].topic", "events[2].url",
		"events[3].topic", "events[4].topic",
	}, problemOf(t, body).fields())
}

func TestTheServerSetsReceivedAt(t *testing.T) {
	h := newHarness(t)
	h.seed()
	before := time.Now()
	h.postEvents(map[string]any{"id": "ev-1", "customer_id": "acme", "type": "visit",
		"occurred_at": before.UTC().Format(time.RFC3339), "received_at": "2001-01-01T00:00:00Z"})
	ev, err := h.stack.Store.GetEvent(context.Background(), "ev-1")
	require.NoError(t, err)
	require.WithinDuration(t, before, ev.ReceivedAt, time.Minute, "the client's received_at is ignored")
}

// The run the detector starts gets the newest qualifying events of the
// window, however many older events the customer has there.
func TestADetectorStartedRunGetsTheNewestQualifyingEvents(t *testing.T) {
	h := newHarness(t)
	h.seed()
	now := time.Now().UTC()
	// 1,000 older events off the detector's topics, and one on them.
	evs := []map[string]any{{"id": "visit-1", "customer_id": "acme", "type": "visit", "topic": "process-automation",
		"occurred_at": now.Add(-time.Hour).Format(time.RFC3339)}}
	for i := range 1000 {
		evs = append(evs, map[string]any{"id": fmt.Sprintf("old-%d", i), "customer_id": "acme", "type": "visit",
			"topic": "pricing", "occurred_at": now.Add(-48 * time.Hour).Format(time.RFC3339)})
	}
	_, enrolled := h.postEvents(evs...)
	require.Empty(t, enrolled)
	_, enrolled = h.postEvents(map[string]any{"id": "visit-2", "customer_id": "acme", "type": "visit",
		"topic": "process-automation", "occurred_at": now.Format(time.RFC3339)})
	require.Equal(t, []string{"ripen/erp-automation-crosssell/acme"}, enrolled)
	var st runState
	h.eventually("the new run has both visits", func() bool {
		h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "marketing", nil, 200, &st)
		return st.has("visit-2")
	})
	require.True(t, st.has("visit-1"), "the earlier qualifying visit, behind 1,000 older events")
	require.InDelta(t, 10.0, st.Score, 0.1)
}
