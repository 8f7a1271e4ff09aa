package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func TestRuns(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	wf := "ripen/erp-automation-crosssell/acme"

	t.Run("upsert then get", func(t *testing.T) {
		r := run(wf, f.journey, "acme", t0)
		require.NoError(t, s.UpsertRun(ctx, r))
		got, err := s.GetRun(ctx, wf)
		require.NoError(t, err)
		require.Equal(t, wf, got.WorkflowID)
		require.Equal(t, "rep-eva", got.OwnerID)
		require.True(t, t0.Equal(got.UpdatedAt))
		require.Nil(t, got.EndedAt)
	})
	t.Run("a newer update moves the projection forward", func(t *testing.T) {
		r := run(wf, f.journey, "acme", t0.Add(time.Minute))
		r.Stage, r.Score, r.MQN = "handoff", 42.5, true
		require.NoError(t, s.UpsertRun(ctx, r))
		got, err := s.GetRun(ctx, wf)
		require.NoError(t, err)
		require.Equal(t, "handoff", got.Stage)
		require.Equal(t, 42.5, got.Score)
		require.True(t, got.MQN)
	})
	t.Run("an older update is ignored", func(t *testing.T) {
		r := run(wf, f.journey, "acme", t0.Add(30*time.Second))
		r.Stage = "nurturing"
		require.NoError(t, s.UpsertRun(ctx, r))
		got, err := s.GetRun(ctx, wf)
		require.NoError(t, err)
		require.Equal(t, "handoff", got.Stage)
	})
	t.Run("no run end before the run ended", func(t *testing.T) {
		_, ok, err := s.LastRunEnd(ctx, f.journey.JourneyID, "acme")
		require.NoError(t, err)
		require.False(t, ok)
	})
	t.Run("the end of a completed run is the cool-down start", func(t *testing.T) {
		end := t0.Add(time.Hour)
		r := run(wf, f.journey, "acme", end)
		r.Status, r.Stage, r.Outcome, r.EndedAt = store.RunCompleted, "done", "won", &end
		require.NoError(t, s.UpsertRun(ctx, r))
		got, ok, err := s.LastRunEnd(ctx, f.journey.JourneyID, "acme")
		require.NoError(t, err)
		require.True(t, ok)
		require.True(t, end.Equal(got))
	})
	t.Run("runs of a customer, newest first", func(t *testing.T) {
		other, err := s.PublishJourney(ctx, journey("upsell"))
		require.NoError(t, err)
		require.NoError(t, s.UpsertRun(ctx, run("ripen/upsell/acme", other, "acme", t0.Add(2*time.Hour))))
		rs := storetest.Runs(t, s, "acme")
		require.Len(t, rs, 2)
		require.Equal(t, "ripen/upsell/acme", rs[0].WorkflowID)
	})
	t.Run("the schema refuses impossible runs", func(t *testing.T) {
		for name, tc := range map[string]struct {
			edit  func(*store.Run)
			kind  error
			field string
		}{
			"unknown customer":      {func(r *store.Run) { r.CustomerID = "ghost" }, store.ErrInvalid, "customer_id"},
			"unknown version":       {func(r *store.Run) { r.Version = 99 }, store.ErrInvalid, "version"},
			"bad stage":             {func(r *store.Run) { r.Stage = "sleeping" }, store.ErrInvalid, "stage"},
			"bad status":            {func(r *store.Run) { r.Status, r.EndedAt = "zombie", &r.UpdatedAt }, store.ErrInvalid, "status"},
			"negative score":        {func(r *store.Run) { r.Score = -1 }, store.ErrInvalid, "score"},
			"completed without end": {func(r *store.Run) { r.Status = store.RunCompleted }, store.ErrInvalid, "ended_at"},
			"no updated_at":         {func(r *store.Run) { r.UpdatedAt = time.Time{} }, store.ErrInvalid, "updated_at"},
			"ended before it began": {func(r *store.Run) { e := r.StartedAt.Add(-time.Hour); r.Status, r.EndedAt = store.RunFailed, &e }, store.ErrInvalid, "ended_at"},
		} {
			t.Run(name, func(t *testing.T) {
				r := run("ripen/x/"+name, f.journey, "acme", t0)
				tc.edit(&r)
				requireKind(t, s.UpsertRun(ctx, r), tc.kind, tc.field)
			})
		}
	})
	t.Run("unknown run is not found", func(t *testing.T) {
		_, err := s.GetRun(ctx, "ripen/nope/nope")
		requireKind(t, err, store.ErrNotFound, "")
	})
}

func TestRegisterRuns(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	require.NoError(t, s.PutCustomer(ctx, customer("globex")))
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	start := func(customerID string) store.RunStart {
		return store.RunStart{WorkflowID: "ripen/" + f.journey.JourneyID + "/" + customerID, JourneyID: f.journey.JourneyID,
			Version: f.journey.Version, CustomerID: customerID, OwnerID: "rep-eva"}
	}
	acme, globex := start("acme"), start("globex")

	t.Run("a new run is running from the start", func(t *testing.T) {
		written, err := s.RegisterRuns(ctx, t0, []store.RunStart{globex, acme, acme})
		require.NoError(t, err)
		require.Equal(t, []string{acme.WorkflowID, globex.WorkflowID}, written, "a run listed twice is written once")
		got, err := s.GetRun(ctx, acme.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, store.Run{
			WorkflowID: acme.WorkflowID, JourneyID: acme.JourneyID, Version: acme.Version, CustomerID: "acme",
			OwnerID: "rep-eva", Status: store.RunRunning, Stage: "nurturing", Cycle: 1,
			StartedAt: got.StartedAt, UpdatedAt: got.UpdatedAt,
		}, got)
		require.True(t, t0.Equal(got.StartedAt))
		require.True(t, t0.Equal(got.UpdatedAt))
	})
	t.Run("the run's own writes move the row on", func(t *testing.T) {
		r := run(acme.WorkflowID, f.journey, "acme", t0.Add(time.Minute))
		r.Stage, r.Score = "handoff", 42
		require.NoError(t, s.UpsertRun(ctx, r))
		got, err := s.GetRun(ctx, acme.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, "handoff", got.Stage)
	})
	t.Run("a running row is left to its workflow", func(t *testing.T) {
		written, err := s.RegisterRuns(ctx, t0.Add(2*time.Minute), []store.RunStart{acme})
		require.NoError(t, err)
		require.Empty(t, written)
		got, err := s.GetRun(ctx, acme.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, "handoff", got.Stage)
		require.Equal(t, 42.0, got.Score)
	})
	t.Run("the row of an ended run is made new", func(t *testing.T) {
		end := t0.Add(time.Hour)
		r := run(acme.WorkflowID, f.journey, "acme", end)
		r.Status, r.Stage, r.Outcome, r.Score, r.MQN, r.Cycle, r.EndedAt = store.RunCompleted, "done", "won", 55, true, 2, &end
		require.NoError(t, s.UpsertRun(ctx, r))
		newer, err := s.PublishJourney(ctx, journey(f.journey.JourneyID))
		require.NoError(t, err)
		again := acme
		again.Version = newer.Version
		at := end.Add(time.Hour)
		written, err := s.RegisterRuns(ctx, at, []store.RunStart{again})
		require.NoError(t, err)
		require.Equal(t, []string{acme.WorkflowID}, written)
		got, err := s.GetRun(ctx, acme.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, store.Run{
			WorkflowID: acme.WorkflowID, JourneyID: acme.JourneyID, Version: newer.Version, CustomerID: "acme",
			OwnerID: "rep-eva", Status: store.RunRunning, Stage: "nurturing", Cycle: 1,
			StartedAt: got.StartedAt, UpdatedAt: got.UpdatedAt,
		}, got)
		require.True(t, at.Equal(got.StartedAt))
		require.True(t, at.Equal(got.UpdatedAt))
		last, ok, err := s.LastRunEnd(ctx, acme.JourneyID, "acme")
		require.NoError(t, err)
		require.True(t, ok, "the new run has not ended; the one before it has")
		require.True(t, end.Equal(last))
	})
	t.Run("the row never goes back in time", func(t *testing.T) {
		end := t0.Add(5 * time.Hour)
		r := run(globex.WorkflowID, f.journey, "globex", end)
		r.Status, r.Stage, r.EndedAt = store.RunCompleted, "done", &end
		require.NoError(t, s.UpsertRun(ctx, r))
		early := end.Add(-time.Minute) // the API's clock behind the worker's
		_, err := s.RegisterRuns(ctx, early, []store.RunStart{globex})
		require.NoError(t, err)
		got, err := s.GetRun(ctx, globex.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, store.RunRunning, got.Status)
		require.True(t, early.Equal(got.StartedAt))
		require.True(t, end.Equal(got.UpdatedAt))
	})
	t.Run("unknown customers and versions are refused", func(t *testing.T) {
		ghost := start("ghost")
		_, err := s.RegisterRuns(ctx, t0, []store.RunStart{ghost})
		requireKind(t, err, store.ErrInvalid, "customer_id")
		bad := start("globex")
		bad.WorkflowID, bad.Version = "ripen/x/globex", 99
		_, err = s.RegisterRuns(ctx, t0, []store.RunStart{bad})
		requireKind(t, err, store.ErrInvalid, "version")
	})
	t.Run("a refused batch names the run that failed", func(t *testing.T) {
		ghost := start("ghost")
		_, err := s.RegisterRuns(ctx, t0, []store.RunStart{globex, ghost, start("ghost2")})
		se := requireKind(t, err, store.ErrInvalid, "customer_id")
		require.Equal(t, ghost.WorkflowID, se.ID)
		require.Equal(t, `run "`+ghost.WorkflowID+`": invalid customer_id: unknown customer "ghost"`, se.Error())

		bad := start("globex")
		bad.WorkflowID, bad.Version = "ripen/x/globex", 99
		_, err = s.RegisterRuns(ctx, t0, []store.RunStart{acme, bad})
		se = requireKind(t, err, store.ErrInvalid, "version")
		require.Equal(t, bad.WorkflowID, se.ID)
		require.Contains(t, se.Error(), "version 99")

		require.NoError(t, s.PutCustomer(ctx, customer("initech")))
		noOwner := start("initech")
		noOwner.OwnerID = "rep-ghost"
		_, err = s.RegisterRuns(ctx, t0, []store.RunStart{acme, noOwner})
		se = requireKind(t, err, store.ErrInvalid, "owner_id")
		require.Equal(t, noOwner.WorkflowID, se.ID)

		noID := start("globex")
		noID.WorkflowID = ""
		_, err = s.RegisterRuns(ctx, t0, []store.RunStart{acme, noID})
		se = requireKind(t, err, store.ErrInvalid, "workflow_id")
		require.Contains(t, se.Error(), "globex")
	})
	t.Run("nothing to register", func(t *testing.T) {
		written, err := s.RegisterRuns(ctx, t0, nil)
		require.NoError(t, err)
		require.Empty(t, written)
	})
}

func TestEndedRunsAreKept(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	wf := "ripen/" + f.journey.JourneyID + "/acme"
	start := func(runKey string) store.RunStart {
		return store.RunStart{WorkflowID: wf, RunKey: runKey, JourneyID: f.journey.JourneyID,
			Version: f.journey.Version, CustomerID: "acme", OwnerID: "rep-eva"}
	}
	// write is the run's own write (SyncRun): its run key, its start.
	write := func(runKey string, started, at time.Time) store.Run {
		r := run(wf, f.journey, "acme", at)
		r.RunKey, r.StartedAt = runKey, started
		return r
	}
	end := func(r store.Run, outcome string) store.Run {
		at := r.UpdatedAt
		r.Status, r.Stage, r.Outcome, r.EndedAt = store.RunCompleted, "done", outcome, &at
		return r
	}
	// kept lists the run keys of the workflow's kept runs, newest first.
	kept := func() []string {
		t.Helper()
		rows, _ := s.Pool().Query(ctx, `SELECT run_key FROM ended_runs WHERE workflow_id = $1 ORDER BY started_at DESC`, wf)
		ks, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return ks
	}

	// The first run: registered by the API, then its own writes, then its end.
	_, err := s.RegisterRuns(ctx, t0, []store.RunStart{start(wf + "/r1")})
	require.NoError(t, err)
	first := write(wf+"/r1", t0.Add(time.Second), t0.Add(time.Minute))
	require.NoError(t, s.UpsertRun(ctx, first))
	first = end(first, "won")
	first.UpdatedAt, first.Score, first.MQN, first.Cycle = t0.Add(time.Hour), 55, true, 2
	first.EndedAt = &first.UpdatedAt
	require.NoError(t, s.UpsertRun(ctx, first))
	got, err := s.GetRun(ctx, wf)
	require.NoError(t, err)
	require.Equal(t, wf+"/r1", got.RunKey)
	require.Empty(t, kept(), "a run is kept only once another takes its row")

	t.Run("re-enrolment keeps the ended run with its outcome", func(t *testing.T) {
		written, err := s.RegisterRuns(ctx, t0.Add(2*time.Hour), []store.RunStart{start(wf + "/r2")})
		require.NoError(t, err)
		require.Equal(t, []string{wf}, written)
		got, err := s.GetRun(ctx, wf)
		require.NoError(t, err)
		require.Equal(t, store.RunRunning, got.Status)
		require.Equal(t, wf+"/r2", got.RunKey)
		require.Equal(t, []string{wf + "/r1"}, kept())
		rs := storetest.Runs(t, s, "acme")
		require.Len(t, rs, 2)
		ended := rs[1]
		require.True(t, first.StartedAt.Equal(ended.StartedAt))
		require.True(t, first.UpdatedAt.Equal(ended.UpdatedAt))
		require.True(t, first.EndedAt.Equal(*ended.EndedAt))
		ended.StartedAt, ended.UpdatedAt, ended.EndedAt = first.StartedAt, first.UpdatedAt, first.EndedAt
		require.Equal(t, first, ended, "outcome, cycles, score and times as the run left them")
	})
	t.Run("the cool-down counts from the kept run's end", func(t *testing.T) {
		last, ok, err := s.LastRunEnd(ctx, f.journey.JourneyID, "acme")
		require.NoError(t, err)
		require.True(t, ok)
		require.True(t, first.EndedAt.Equal(last))
	})
	t.Run("a running row is never kept", func(t *testing.T) {
		// The new run's own writes start it a moment after the API did.
		second := write(wf+"/r2", t0.Add(2*time.Hour+time.Second), t0.Add(3*time.Hour))
		require.NoError(t, s.UpsertRun(ctx, second))
		second.UpdatedAt = t0.Add(4 * time.Hour)
		require.NoError(t, s.UpsertRun(ctx, second))
		require.NoError(t, s.UpsertRun(ctx, end(second, "lost")))
		require.Equal(t, []string{wf + "/r1"}, kept())
	})
	t.Run("retrying the same writes keeps one copy", func(t *testing.T) {
		second := end(write(wf+"/r2", t0.Add(2*time.Hour+time.Second), t0.Add(4*time.Hour)), "lost")
		require.NoError(t, s.UpsertRun(ctx, second), "the last write again")
		require.NoError(t, s.UpsertRun(ctx, first), "the first run's last write, late")
		written, err := s.RegisterRuns(ctx, t0.Add(5*time.Hour), []store.RunStart{start(wf + "/r2")})
		require.NoError(t, err)
		require.Empty(t, written, "registering a run that has ended already changes nothing")
		got, err := s.GetRun(ctx, wf)
		require.NoError(t, err)
		require.Equal(t, "lost", got.Outcome)
		require.Equal(t, []string{wf + "/r1"}, kept())

		third := write(wf+"/r3", t0.Add(6*time.Hour), t0.Add(6*time.Hour))
		require.NoError(t, s.UpsertRun(ctx, third), "a run's first write takes the row over as registering does")
		require.NoError(t, s.UpsertRun(ctx, third))
		require.Equal(t, []string{wf + "/r2", wf + "/r1"}, kept())

		// The row holds the second run again (as a late write could make
		// it); the third run takes it over again.
		_, err = s.Pool().Exec(ctx, `
UPDATE runs SET (run_key, status, stage, outcome, started_at, updated_at, ended_at) =
    (SELECT run_key, status, stage, outcome, started_at, updated_at, ended_at FROM ended_runs WHERE run_key = $1)
WHERE workflow_id = $2`, wf+"/r2", wf)
		require.NoError(t, err)
		third.UpdatedAt = t0.Add(7 * time.Hour)
		require.NoError(t, s.UpsertRun(ctx, third))
		require.Equal(t, []string{wf + "/r2", wf + "/r1"}, kept(), "kept once")
	})
	t.Run("a row without run keys is kept when another start takes it", func(t *testing.T) {
		legacy := "ripen/" + f.journey.JourneyID + "/legacy"
		require.NoError(t, s.PutCustomer(ctx, customer("legacy")))
		old := run(legacy, f.journey, "legacy", t0.Add(time.Hour))
		require.NoError(t, s.UpsertRun(ctx, end(old, "won")))
		require.NoError(t, s.UpsertRun(ctx, end(old, "won")), "the same run again")
		_, err := s.RegisterRuns(ctx, t0.Add(2*time.Hour), []store.RunStart{{WorkflowID: legacy,
			JourneyID: f.journey.JourneyID, Version: f.journey.Version, CustomerID: "legacy"}})
		require.NoError(t, err)
		rs := storetest.Runs(t, s, "legacy")
		require.Len(t, rs, 2)
		require.Equal(t, store.RunRunning, rs[0].Status)
		require.Equal(t, "won", rs[1].Outcome)
	})
	t.Run("a run whose end never reached the store is kept when a new run takes its row", func(t *testing.T) {
		lost := "ripen/" + f.journey.JourneyID + "/lost"
		require.NoError(t, s.PutCustomer(ctx, customer("lost")))
		first := run(lost, f.journey, "lost", t0.Add(time.Hour))
		first.RunKey = lost + "/r1"
		require.NoError(t, s.UpsertRun(ctx, first), "its last word: still running")
		second := run(lost, f.journey, "lost", t0.Add(3*time.Hour))
		second.RunKey = lost + "/r2"
		require.NoError(t, s.UpsertRun(ctx, second))
		require.NoError(t, s.UpsertRun(ctx, second), "the same write again")

		rs := storetest.Runs(t, s, "lost")
		require.Len(t, rs, 2)
		require.Equal(t, lost+"/r2", rs[0].RunKey)
		require.Equal(t, store.RunRunning, rs[0].Status)
		require.Equal(t, lost+"/r1", rs[1].RunKey)
		require.Equal(t, store.RunUnrecorded, rs[1].Status, "ended, how is not known")
		require.NotNil(t, rs[1].EndedAt)
		require.True(t, first.UpdatedAt.Equal(*rs[1].EndedAt), "ended when the store last heard from it")

		last, ok, err := s.LastRunEnd(ctx, f.journey.JourneyID, "lost")
		require.NoError(t, err)
		require.True(t, ok, "the cool-down has an end to count from")
		require.True(t, first.UpdatedAt.Equal(last))
	})
	t.Run("a customer's runs, ended ones included, newest first", func(t *testing.T) {
		other, err := s.PublishJourney(ctx, journey("upsell"))
		require.NoError(t, err)
		require.NoError(t, s.UpsertRun(ctx, run("ripen/upsell/acme", other, "acme", t0.Add(4*time.Hour))))
		rs := storetest.Runs(t, s, "acme")
		var got []string
		for _, r := range rs {
			got = append(got, r.WorkflowID+" "+r.RunKey+" "+r.Status)
		}
		require.Equal(t, []string{
			wf + " " + wf + "/r3 running",   // started 6h
			"ripen/upsell/acme  running",    // started 3h
			wf + " " + wf + "/r2 completed", // started 2h
			wf + " " + wf + "/r1 completed", // started 0h
		}, got)
	})
}

func TestRunningRuns(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	require.NoError(t, s.PutCustomer(ctx, customer("globex")))
	require.NoError(t, s.PutCustomer(ctx, customer("initech")))
	upsell, err := s.PublishJourney(ctx, journey("upsell"))
	require.NoError(t, err)
	require.NoError(t, s.UpsertRun(ctx, run("ripen/upsell/acme", upsell, "acme", t0)))
	require.NoError(t, s.UpsertRun(ctx, run("ripen/erp-automation-crosssell/acme", f.journey, "acme", t0)))
	require.NoError(t, s.UpsertRun(ctx, run("ripen/upsell/initech", upsell, "initech", t0)))
	ended := run("ripen/erp-automation-crosssell/globex", f.journey, "globex", t0)
	ended.Status, ended.Stage, ended.EndedAt = store.RunCompleted, "done", &t0
	require.NoError(t, s.UpsertRun(ctx, ended))

	rs, err := s.RunningRuns(ctx, []string{"globex", "acme", "nobody"})
	require.NoError(t, err)
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.WorkflowID)
	}
	require.Equal(t, []string{"ripen/erp-automation-crosssell/acme", "ripen/upsell/acme"}, ids,
		"both of acme's runs; not globex's ended run, nor initech's, who was not asked for")
	rs, err = s.RunningRuns(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, rs)
}

// The API registers a run with its own clock; the run writes with the
// workflow's, which may be behind it.
func TestARunsOwnWritesWinOverItsRegistration(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	register := func(t *testing.T, customerID, runKey string, at time.Time) string {
		t.Helper()
		if customerID != "acme" {
			require.NoError(t, s.PutCustomer(ctx, customer(customerID)))
		}
		wf := "ripen/" + f.journey.JourneyID + "/" + customerID
		_, err := s.RegisterRuns(ctx, at, []store.RunStart{{WorkflowID: wf, RunKey: wf + "/" + runKey,
			JourneyID: f.journey.JourneyID, Version: f.journey.Version, CustomerID: customerID, OwnerID: "rep-eva"}})
		require.NoError(t, err)
		return wf
	}
	// write is the run's own write: its run key, started a moment before
	// the API registered it.
	write := func(wf, runKey string, started, at time.Time) store.Run {
		r := run(wf, f.journey, strings.TrimPrefix(wf, "ripen/"+f.journey.JourneyID+"/"), at)
		r.RunKey, r.StartedAt = wf+"/"+runKey, started
		return r
	}
	end := func(r store.Run) store.Run {
		at := r.UpdatedAt
		r.Status, r.Stage, r.Outcome, r.EndedAt = store.RunCompleted, "done", "won", &at
		return r
	}
	get := func(t *testing.T, wf string) store.Run {
		t.Helper()
		got, err := s.GetRun(ctx, wf)
		require.NoError(t, err)
		return got
	}

	t.Run("the run's end, earlier than its registration, ends the row", func(t *testing.T) {
		wf := register(t, "acme", "r1", t0)
		require.NoError(t, s.UpsertRun(ctx, end(write(wf, "r1", t0.Add(-2*time.Second), t0.Add(-time.Second)))))
		got := get(t, wf)
		require.Equal(t, store.RunCompleted, got.Status)
		require.NotNil(t, got.EndedAt)
		require.True(t, t0.Add(-time.Second).Equal(*got.EndedAt))

		stale := write(wf, "r1", t0.Add(-2*time.Second), t0.Add(-1500*time.Millisecond))
		require.NoError(t, s.UpsertRun(ctx, stale), "a running write of the same run, delivered late")
		require.Equal(t, store.RunCompleted, get(t, wf).Status, "an older write never undoes the end")

		reset := write(wf, "r1", t0.Add(-2*time.Second), t0.Add(time.Hour))
		require.NoError(t, s.UpsertRun(ctx, reset), "the run reset (Temporal keeps its first run ID) and running again")
		require.Equal(t, store.RunRunning, get(t, wf).Status, "a reset run is running again")
	})
	t.Run("the run's first write replaces its registration", func(t *testing.T) {
		wf := register(t, "globex", "r1", t0)
		started := t0.Add(-2 * time.Second)
		first := write(wf, "r1", started, t0.Add(-time.Second))
		first.Stage, first.Score = "handoff", 42
		require.NoError(t, s.UpsertRun(ctx, first))
		got := get(t, wf)
		require.Equal(t, "handoff", got.Stage)
		require.True(t, started.Equal(got.StartedAt), "the run's own start")

		next := write(wf, "r1", started, t0.Add(-500*time.Millisecond))
		next.Stage, next.Score = "cooldown", 43
		require.NoError(t, s.UpsertRun(ctx, next))
		require.Equal(t, "cooldown", get(t, wf).Stage, "its later writes follow, on its own clock")

		late := write(wf, "r1", started, t0.Add(-800*time.Millisecond))
		require.NoError(t, s.UpsertRun(ctx, late))
		require.Equal(t, "cooldown", get(t, wf).Stage, "its own older writes are still ignored")
	})
	t.Run("a late write of an earlier run cannot take the row back", func(t *testing.T) {
		require.NoError(t, s.PutCustomer(ctx, customer("initech")))
		wf := "ripen/" + f.journey.JourneyID + "/initech"
		old := end(write(wf, "r0", t0.Add(-24*time.Hour), t0.Add(-time.Minute)))
		require.NoError(t, s.UpsertRun(ctx, old))
		register(t, "initech", "r1", t0)
		require.NoError(t, s.UpsertRun(ctx, write(wf, "r1", t0.Add(-time.Second), t0.Add(time.Second))))
		require.NoError(t, s.UpsertRun(ctx, old), "the earlier run's end, retried")
		got := get(t, wf)
		require.Equal(t, wf+"/r1", got.RunKey)
		require.Equal(t, store.RunRunning, got.Status)

		require.NoError(t, s.UpsertRun(ctx, end(write(wf, "r1", t0.Add(-time.Second), t0.Add(2*time.Second)))))
		require.Equal(t, store.RunCompleted, get(t, wf).Status)
	})
	t.Run("a run registered on a clock ahead does not block the next run", func(t *testing.T) {
		// The API registered r1 late on its own clock; r1 was terminated
		// before it wrote; r2 started earlier on Temporal's clock.
		wf := register(t, "umbrella", "r1", t0.Add(30*time.Second))
		r2 := write(wf, "r2", t0.Add(10*time.Second), t0.Add(40*time.Second))
		require.NoError(t, s.UpsertRun(ctx, r2))
		require.Equal(t, wf+"/r2", get(t, wf).RunKey, "the next run's writes take the row")
		require.NoError(t, s.UpsertRun(ctx, end(write(wf, "r2", t0.Add(10*time.Second), t0.Add(50*time.Second)))))
		require.Equal(t, store.RunCompleted, get(t, wf).Status)
	})
}
