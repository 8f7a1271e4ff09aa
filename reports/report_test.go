package reports_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/reports"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// t0 is when most seeded runs start.
var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func day(n float64) time.Time { return t0.Add(time.Duration(n * 24 * float64(time.Hour))) }

// seeded is a journey's history written to a real Postgres, run by run,
// so each figure of the report can be counted by hand:
//
//	run  customer version started  emailed           engaged          hand-off            end          arms
//	r1   c1       1       t0       intro             open+click intro day 3, won          completed    a, treated
//	r2   c2       1       t0       intro, case       open intro       -                   running      b, treated
//	r3   c3       1       t0       intro             (only before t0) -                   not-qualified a, treated (kept in ended_runs)
//	r3b  c3       1       day 20   -                 -                -                   running      a, treated
//	r4   c4       1       t0       - (held out)      visit            day 10, accepted    running      holdout
//	r5   c5       1       t0       - (held out)      -                -                   running      holdout
//	r6   c6       1       day -30  intro             -                -                   converted    b
//	r7   c7       2       t0       -                 -                -                   running      -
func seeded(t *testing.T) *store.Store {
	t.Helper()
	s := storetest.NewDB(t)
	ctx := t.Context()
	for v := 1; v <= 2; v++ {
		_, err := s.PublishJourney(ctx, store.JourneyVersion{JourneyID: "exp", Name: "Experiment", Definition: json.RawMessage(`{
			"id": "exp", "name": "Experiment", "offer": {"kind": "cross-sell", "product": "automation-suite"},
			"steps": [{"id": "intro", "send": "checklist"}, {"id": "case", "send": "case-study"}]}`)})
		require.NoError(t, err)
	}
	for i := 1; i <= 7; i++ {
		id := fmt.Sprintf("c%d", i)
		require.NoError(t, s.PutCustomer(ctx, store.Customer{ID: id, Name: id + " GmbH",
			Owner:    store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"},
			Contacts: []store.Contact{{ID: id + "-max", Email: "max@" + id + ".example", FirstName: "Max"}}}))
	}
	// Runs start running; those that end do so after the events, as runs
	// hear their customers' engagement while they run.
	var ends []store.Run
	run := func(key, customer string, version int, started time.Time, outcome string, mqn bool, ended *time.Time) string {
		t.Helper()
		r := store.Run{WorkflowID: "ripen/exp/" + customer, RunKey: "ripen/exp/" + customer + "/" + key, JourneyID: "exp", Version: version,
			CustomerID: customer, OwnerID: "rep-eva", Status: store.RunRunning, Stage: "nurturing", MQN: mqn,
			StartedAt: started, UpdatedAt: started.Add(time.Hour)}
		require.NoError(t, s.UpsertRun(ctx, r))
		if ended != nil {
			r.Status, r.Stage, r.Outcome, r.EndedAt, r.UpdatedAt = store.RunCompleted, "done", outcome, ended, *ended
			ends = append(ends, r)
		}
		return r.RunKey
	}
	sent := func(runKey, step, contact string) {
		t.Helper()
		row, err := s.ClaimOutbox(ctx, store.OutboxKey{RunKey: runKey, StepID: step, ContactID: contact})
		require.NoError(t, err)
		require.NoError(t, s.MarkOutboxSent(ctx, row.ID, runKey+"/"+step))
	}
	handoff := func(runKey, customer string, at time.Time, outcome string) {
		t.Helper()
		h, err := s.CreateHandoff(ctx, store.Handoff{RunKey: runKey, WorkflowID: "ripen/exp/" + customer, JourneyID: "exp",
			CustomerID: customer, OwnerID: "rep-eva", Reason: store.ReasonScore, Score: 40, Evidence: json.RawMessage(`{}`),
			Status: store.HandoffOpen, SLADueAt: at.Add(48 * time.Hour), CreatedAt: at})
		require.NoError(t, err)
		_, err = s.CloseHandoff(ctx, h.ID, outcome, "")
		require.NoError(t, err)
	}
	event := func(id, customer, typ, content string, at time.Time) store.Event {
		return store.Event{ID: id, CustomerID: customer, ContactID: customer + "-max", Type: typ, ContentID: content, OccurredAt: at}
	}
	arm := func(customer, step, arm string) {
		t.Helper()
		_, _, err := s.TakeArm(ctx, store.ArmChoice{JourneyID: "exp", Version: 1, CustomerID: customer, StepID: step, Arm: arm})
		require.NoError(t, err)
	}

	r1 := run("r1", "c1", 1, t0, "won", true, ptr(day(5)))
	sent(r1, "intro", "c1-max")
	handoff(r1, "c1", day(3), store.HandoffWon)
	r2 := run("r2", "c2", 1, t0, "", false, nil)
	sent(r2, "intro", "c2-max")
	sent(r2, "case", "c2-max")
	r3 := run("r3", "c3", 1, t0, "not-qualified", false, ptr(day(15)))
	sent(r3, "intro", "c3-max")
	// r4 reached MQN and recycled: its own flag is down again, its hand-off counts.
	r4 := run("r4", "c4", 1, t0, "", false, nil)
	handoff(r4, "c4", day(10), store.HandoffAccepted)
	run("r5", "c5", 1, t0, "", false, nil)
	r6 := run("r6", "c6", 1, day(-30), "converted", false, ptr(day(-2)))
	sent(r6, "intro", "c6-max")
	run("r7", "c7", 2, t0, "", false, nil)
	_, _, err := s.InsertEvents(ctx, []store.Event{
		event("e1", "c1", "open", "checklist", day(1).Add(-time.Hour)),
		event("e2", "c1", "click", "checklist", day(1)),
		event("e3", "c2", "open", "checklist", day(2)),
		event("e4", "c3", "click", "checklist", day(-10)), // before any run of c3
		event("e5", "c4", "visit", "", day(1)),
	})
	require.NoError(t, err)
	for _, r := range ends {
		require.NoError(t, s.UpsertRun(ctx, r))
	}
	run("r3b", "c3", 1, day(20), "", false, nil) // takes the row over: r3 is kept in ended_runs
	for _, c := range []string{"c1", "c3"} {
		arm(c, "subject-test", "a")
	}
	for _, c := range []string{"c2", "c6"} {
		arm(c, "subject-test", "b")
	}
	for _, c := range []string{"c1", "c2", "c3"} {
		arm(c, "#holdout", "treated")
	}
	for _, c := range []string{"c4", "c5"} {
		arm(c, "#holdout", "holdout")
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// pv is a p-value as the test writes it down.
func pv(p float64) *float64 { return &p }

func TestAJourneyReportCountsWhatHappened(t *testing.T) {
	s := seeded(t)
	rep := reports.New(s)

	r, err := rep.Journey(t.Context(), "exp", reports.Filter{})
	require.NoError(t, err)
	require.Equal(t, reports.Funnel{Enrolled: 8, Emailed: 4, Engaged: 3, MQN: 2, HandedOff: 2, Accepted: 2, Won: 1, Converted: 1}, r.Funnel,
		"r1-r6, r3b and r7; emailed r1 r2 r3 r6; engaged r1 r2 r4 (c3's click came before its runs); MQN and hand-off r1 r4")

	// Two-proportion z-tests, pooled: arm a 1/3 vs arm b 0/2 reached MQN;
	// held out 1/2 vs treated 1/4. p = erfc(|z|/√2), computed by hand.
	require.Equal(t, map[string]reports.Split{"subject-test": {
		Arms: map[string]reports.Group{
			"a": {Funnel: reports.Funnel{Enrolled: 3, Emailed: 2, Engaged: 1, MQN: 1, HandedOff: 1, Accepted: 1, Won: 1}, MQNRate: 0.3333},
			"b": {Funnel: reports.Funnel{Enrolled: 2, Emailed: 2, Engaged: 1, Converted: 1}, MQNRate: 0},
		},
		PValue: pv(0.3613),
	}}, r.Arms)
	require.Equal(t, &reports.Holdout{
		Group:   reports.Group{Funnel: reports.Funnel{Enrolled: 2, Engaged: 1, MQN: 1, HandedOff: 1, Accepted: 1}, MQNRate: 0.5},
		Treated: reports.Group{Funnel: reports.Funnel{Enrolled: 4, Emailed: 3, Engaged: 2, MQN: 1, HandedOff: 1, Accepted: 1, Won: 1}, MQNRate: 0.25},
		PValue:  pv(0.5403),
	}, r.Holdout)

	// The checklist went out 4 times (r1 r2 r3 r6), the case study once;
	// r1 and r2 opened the checklist, r1 clicked it and reached MQN 2 days
	// (under 30) after first opening it.
	require.Equal(t, []reports.Content{
		{ContentID: "checklist", Sent: 4, Opened: 2, Clicked: 1, MQNWithin30d: 1},
		{ContentID: "case-study", Sent: 1},
	}, r.Content)
	// r1 took 3 days, r4 10: nearest rank of two values.
	require.Equal(t, &reports.TimeToMQN{Runs: 2, P50Days: 3, P90Days: 10}, r.TimeToMQN)

	t.Run("filters choose the runs by version and start", func(t *testing.T) {
		r, err := rep.Journey(t.Context(), "exp", reports.Filter{Version: 1, From: day(-1), To: day(1)})
		require.NoError(t, err)
		require.Equal(t, reports.Funnel{Enrolled: 5, Emailed: 3, Engaged: 3, MQN: 2, HandedOff: 2, Accepted: 2, Won: 1}, r.Funnel,
			"r1-r5: r3b started later, r6 earlier, r7 is version 2")
		r, err = rep.Journey(t.Context(), "exp", reports.Filter{Version: 2})
		require.NoError(t, err)
		require.Equal(t, reports.Funnel{Enrolled: 1}, r.Funnel)
		require.Nil(t, r.TimeToMQN)
	})
	t.Run("the JSON has the contract's names", func(t *testing.T) {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		require.Equal(t, 0.3613, m["arms"].(map[string]any)["subject-test"].(map[string]any)["p_value"])
		require.Equal(t, 0.3333, m["arms"].(map[string]any)["subject-test"].(map[string]any)["a"].(map[string]any)["mqn_rate"])
		require.Equal(t, 2.0, m["funnel"].(map[string]any)["handed_off"])
		require.Equal(t, 1.0, m["content"].([]any)[0].(map[string]any)["mqn_within_30d"])
		require.Equal(t, 10.0, m["time_to_mqn"].(map[string]any)["p90_days"])
		require.Equal(t, 2.0, m["holdout"].(map[string]any)["enrolled"])
	})
	t.Run("an unknown journey or version is not found; a backwards span is invalid", func(t *testing.T) {
		_, err := rep.Journey(t.Context(), "nope", reports.Filter{})
		require.True(t, fault.Is(err, fault.NotFound), "%v", err)
		_, err = rep.Journey(t.Context(), "exp", reports.Filter{Version: 9})
		require.True(t, fault.Is(err, fault.NotFound), "%v", err)
		_, err = rep.Journey(t.Context(), "exp", reports.Filter{From: day(2), To: day(1)})
		require.True(t, fault.Is(err, fault.Invalid), "%v", err)
	})
}
