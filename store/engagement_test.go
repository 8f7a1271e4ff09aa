package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// A run's first engagement is kept on its row as events arrive: only
// events of its customer while it runs count, an order does not, and a
// new run that takes the row over starts without one while the ended run
// keeps its own.
func TestARunKeepsItsFirstEngagement(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))
	require.NoError(t, s.PutCustomer(ctx, customer("acme")))
	require.NoError(t, s.PutCustomer(ctx, customer("globex")))
	_, err := s.PublishJourney(ctx, journey("j"))
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	first := store.Run{WorkflowID: "ripen/j/acme", RunKey: "ripen/j/acme/r1", JourneyID: "j", Version: 1, CustomerID: "acme",
		OwnerID: "rep-eva", Status: store.RunRunning, Stage: "nurturing", StartedAt: t0, UpdatedAt: t0}
	require.NoError(t, s.UpsertRun(ctx, first))
	engagedAt := func(table, runKey string) *time.Time {
		t.Helper()
		var at *time.Time
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT engaged_at FROM `+table+` WHERE run_key = $1`, runKey).Scan(&at))
		return at
	}
	ev := func(id, customer, typ string, at time.Time) store.Event {
		return store.Event{ID: id, CustomerID: customer, Type: typ, OccurredAt: at, Product: map[bool]string{true: "x"}[typ == "order"]}
	}
	_, _, err = s.InsertEvents(ctx, []store.Event{
		ev("before", "acme", "click", t0.Add(-time.Hour)),
		ev("order", "acme", "order", t0.Add(time.Hour)),
		ev("other", "globex", "click", t0.Add(time.Hour)),
	})
	require.NoError(t, err)
	require.Nil(t, engagedAt("runs", first.RunKey), "an event before the run, an order and another customer's click are no engagement of it")
	_, _, err = s.InsertEvents(ctx, []store.Event{ev("late", "acme", "visit", t0.Add(3*time.Hour)), ev("early", "acme", "open", t0.Add(2*time.Hour))})
	require.NoError(t, err)
	require.Equal(t, t0.Add(2*time.Hour), engagedAt("runs", first.RunKey).UTC(), "the earliest engagement of the batch")
	_, _, err = s.InsertEvents(ctx, []store.Event{ev("later", "acme", "click", t0.Add(5*time.Hour))})
	require.NoError(t, err)
	require.Equal(t, t0.Add(2*time.Hour), engagedAt("runs", first.RunKey).UTC(), "the first stays first")

	ended := first
	ended.Status, ended.Stage, ended.Outcome, ended.UpdatedAt = store.RunCompleted, "done", "not-qualified", t0.Add(24*time.Hour)
	ended.EndedAt = &ended.UpdatedAt
	require.NoError(t, s.UpsertRun(ctx, ended))
	second := store.Run{WorkflowID: "ripen/j/acme", RunKey: "ripen/j/acme/r2", JourneyID: "j", Version: 1, CustomerID: "acme",
		OwnerID: "rep-eva", Status: store.RunRunning, Stage: "nurturing", StartedAt: t0.Add(48 * time.Hour), UpdatedAt: t0.Add(48 * time.Hour)}
	require.NoError(t, s.UpsertRun(ctx, second))
	require.Nil(t, engagedAt("runs", second.RunKey), "a new run starts without engagement")
	require.Equal(t, t0.Add(2*time.Hour), engagedAt("ended_runs", first.RunKey).UTC(), "the ended run keeps its own")
}
