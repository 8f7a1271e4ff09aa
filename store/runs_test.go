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
