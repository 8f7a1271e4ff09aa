package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
	"github.com/ripen/ripen/workflows"
)

func TestLoadRunContext(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	load := func(customerID string) (workflows.RunContext, error) {
		return f.acts.LoadRunContext(ctx, workflows.RunContextRequest{CustomerID: customerID})
	}
	require.NoError(t, f.st.PutCustomer(ctx, store.Customer{ID: "globex", Name: "Globex",
		Owner: store.Owner{ID: "rep-eva"},
		Contacts: []store.Contact{
			{ID: "globex-ann", Email: "Ann@Globex.example"},
			{ID: "globex-bob", Email: "bob@globex.example", Timezone: "America/New_York"},
		}}))

	t.Run("the first zone a contact names", func(t *testing.T) {
		rc, err := load("globex")
		require.NoError(t, err)
		require.Equal(t, workflows.RunContext{OwnerID: "rep-eva", Timezone: "America/New_York", Reachable: true,
			Timezones: []string{"America/New_York"}}, rc, "Ann has no zone of her own: she has the customer's")
	})
	t.Run("the distinct zones of the reachable contacts of the audience, sorted", func(t *testing.T) {
		require.NoError(t, f.st.PutPersona(ctx, store.Persona{ID: "it-lead", Name: "IT lead"}))
		require.NoError(t, f.st.PutCustomer(ctx, store.Customer{ID: "initech", Name: "Initech",
			Owner: store.Owner{ID: "rep-eva"},
			Contacts: []store.Contact{
				{ID: "initech-pam", Email: "pam@initech.example", Timezone: "Europe/Berlin"},
				{ID: "initech-sam", Email: "sam@initech.example", Timezone: "America/New_York"},
				{ID: "initech-joe", Email: "joe@initech.example", Timezone: "Asia/Tokyo", Persona: "it-lead"},
				{ID: "initech-ida", Email: "ida@initech.example", Timezone: "Europe/Berlin"},
				{ID: "initech-gone", Email: "gone@initech.example", Timezone: "Europe/Lisbon"},
			}}))
		require.NoError(t, f.st.Suppress(ctx, "gone@initech.example", "unsubscribe", "test"))
		rc, err := load("initech")
		require.NoError(t, err)
		require.Equal(t, []string{"America/New_York", "Asia/Tokyo", "Europe/Berlin"}, rc.Timezones)
		rc, err = f.acts.LoadRunContext(ctx, workflows.RunContextRequest{CustomerID: "initech", Personas: []string{"it-lead"}})
		require.NoError(t, err)
		require.Equal(t, []string{"Asia/Tokyo"}, rc.Timezones)
	})
	t.Run("unreachable once every address is suppressed, in any case", func(t *testing.T) {
		require.NoError(t, f.st.Suppress(ctx, "ann@globex.example", "unsubscribe", "test"))
		require.NoError(t, f.st.Suppress(ctx, "BOB@globex.example", "bounce", "test"))
		rc, err := load("globex")
		require.NoError(t, err)
		require.False(t, rc.Reachable)
		require.Equal(t, "rep-eva", rc.OwnerID)
	})
	t.Run("an unknown customer is a permanent failure", func(t *testing.T) {
		_, err := load("nobody")
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app), "error: %v", err)
		require.True(t, app.NonRetryable())
		require.Equal(t, "UnknownCustomer", app.Type())
	})
}

func TestSyncRunClosesTheHandoffsOfAnEndedRun(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.st.PublishJourney(ctx, store.JourneyVersion{JourneyID: "j", Name: "J",
		Definition: json.RawMessage(`{"id":"j","name":"J","offer":{"kind":"upsell","product":"p"},"steps":[{"id":"a","end":true}]}`)})
	require.NoError(t, err)
	record := func(runKey string) string {
		rec, err := f.acts.RecordHandoff(ctx, workflows.HandoffRequest{RunKey: runKey, WorkflowID: "ripen/j/acme", JourneyID: "j",
			Version: 1, CustomerID: "acme", OwnerID: "rep-eva", Cycle: 1, Reason: "score", Score: 41, SLA: 48 * time.Hour})
		require.NoError(t, err)
		return rec.ID
	}
	snap := func(runKey, status string, at time.Time) workflows.RunSnapshot {
		return workflows.RunSnapshot{WorkflowID: "ripen/j/acme", RunKey: runKey, JourneyID: "j", Version: 1,
			CustomerID: "acme", OwnerID: "rep-eva", Status: status, Stage: "handoff", Cycle: 1,
			StartedAt: f.now, At: at}
	}
	status := func(id string) store.Handoff {
		h, err := f.st.GetHandoff(ctx, id)
		require.NoError(t, err)
		return h
	}

	// The first run is stopped while waiting for sales.
	stopped := record("ripen/j/acme/run-1")
	require.NoError(t, f.acts.SyncRun(ctx, snap("ripen/j/acme/run-1", workflows.StatusRunning, f.now.Add(time.Minute))))
	require.Equal(t, store.HandoffOpen, status(stopped).Status, "a running run keeps its hand-off open")
	end := snap("ripen/j/acme/run-1", workflows.StatusCompleted, f.now.Add(time.Hour))
	end.Stage, end.Outcome = "done", "stopped"
	require.NoError(t, f.acts.SyncRun(ctx, end))
	require.NoError(t, f.acts.SyncRun(ctx, end), "a retry is harmless")
	h := status(stopped)
	require.Equal(t, store.HandoffWithdrawn, h.Status)
	require.Empty(t, h.Feedback)

	// The customer is enrolled again; sales answered its hand-off just as
	// it was unsubscribed.
	answered := record("ripen/j/acme/run-2")
	_, err = f.st.ClaimAnswer(ctx, answered, store.HandoffWon, "signed")
	require.NoError(t, err)
	end = snap("ripen/j/acme/run-2", workflows.StatusCompleted, f.now.Add(2*time.Hour))
	end.Stage, end.Outcome = "done", "unsubscribed"
	require.NoError(t, f.acts.SyncRun(ctx, end))
	h = status(answered)
	require.Equal(t, store.HandoffWon, h.Status, "closed as the answer sales gave")
	require.Equal(t, "signed", h.FeedbackNote)
	require.Equal(t, store.HandoffWithdrawn, status(stopped).Status)
}

func TestSyncRunKeepsTheEndedRunItTakesOver(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.st.PublishJourney(ctx, store.JourneyVersion{JourneyID: "j", Name: "J",
		Definition: json.RawMessage(`{"id":"j","name":"J","offer":{"kind":"upsell","product":"p"},"steps":[{"id":"a","end":true}]}`)})
	require.NoError(t, err)
	snap := func(runKey, status string, started, at time.Time) workflows.RunSnapshot {
		s := workflows.RunSnapshot{WorkflowID: "ripen/j/acme", RunKey: runKey, JourneyID: "j", Version: 1,
			CustomerID: "acme", OwnerID: "rep-eva", Status: status, Stage: "nurturing", Cycle: 1,
			StartedAt: started, At: at}
		if status == workflows.StatusCompleted {
			s.Stage, s.Outcome, s.Score, s.Cycle = "done", "won", 61, 3
		}
		return s
	}
	runs := func() []string {
		var out []string
		for _, r := range storetest.Runs(t, f.st, "acme") {
			out = append(out, r.RunKey+" "+r.Status+" "+r.Outcome)
		}
		return out
	}

	require.NoError(t, f.acts.SyncRun(ctx, snap("ripen/j/acme/run-1", workflows.StatusRunning, f.now, f.now)))
	end := snap("ripen/j/acme/run-1", workflows.StatusCompleted, f.now, f.now.Add(time.Hour))
	require.NoError(t, f.acts.SyncRun(ctx, end))
	require.NoError(t, f.acts.SyncRun(ctx, end), "a retry is harmless")
	require.Equal(t, []string{"ripen/j/acme/run-1 completed won"}, runs())

	// Enrolled again: the new run's first write takes the row over.
	again := snap("ripen/j/acme/run-2", workflows.StatusRunning, f.now.Add(2*time.Hour), f.now.Add(2*time.Hour))
	require.NoError(t, f.acts.SyncRun(ctx, again))
	require.NoError(t, f.acts.SyncRun(ctx, again), "a retry is harmless")
	require.Equal(t, []string{"ripen/j/acme/run-2 running ", "ripen/j/acme/run-1 completed won"}, runs())
	rs := storetest.Runs(t, f.st, "acme")
	require.Equal(t, 61.0, rs[1].Score)
	require.Equal(t, 3, rs[1].Cycle)
}
