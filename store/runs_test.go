package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
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
		rs, err := s.ListRunsByCustomer(ctx, "acme")
		require.NoError(t, err)
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
		_, ok, err := s.LastRunEnd(ctx, acme.JourneyID, "acme")
		require.NoError(t, err)
		require.False(t, ok, "the new run has not ended")
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
