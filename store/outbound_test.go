package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
)

// outboundData reads the data of outbound event id, failing when it is
// missing.
func outboundData(t *testing.T, s *store.Store, id string) map[string]any {
	t.Helper()
	e, err := s.GetOutboundEvent(t.Context(), id)
	require.NoError(t, err, "outbound event %s", id)
	var data map[string]any
	require.NoError(t, json.Unmarshal(e.Data, &data))
	return data
}

// outboundIDs lists every outbound event's ID, oldest first.
func outboundIDs(t *testing.T, s *store.Store) []string {
	t.Helper()
	es, err := s.ListOutboundEvents(t.Context(), time.Time{})
	require.NoError(t, err)
	ids := []string{}
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

// subscribeAll registers a webhook for every event type: outbound events
// are only written while one subscribes.
func subscribeAll(t *testing.T, s *store.Store) {
	t.Helper()
	_, _, err := s.PutWebhook(t.Context(), store.Webhook{ID: "all", URL: "https://all.example/hook",
		Events: store.OutboundEventTypes, Format: store.WebhookFormatStandard, Secret: "whsec_MDEyMzQ1Njc4OWFiY2RlZg=="})
	require.NoError(t, err)
}

func TestFactsWriteTheirOutboundEventOnce(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	subscribeAll(t, s)

	t.Run("a hand-off created, retried and answered is created once and answered once", func(t *testing.T) {
		h, err := s.CreateHandoff(ctx, handoff(f, "ripen/j/acme/r1", 1))
		require.NoError(t, err)
		_, err = s.CreateHandoff(ctx, handoff(f, "ripen/j/acme/r1", 1))
		require.NoError(t, err)
		data := outboundData(t, s, "handoff.created:"+h.ID)
		require.Equal(t, h.ID, data["handoff_id"])
		require.Equal(t, "acme", data["customer_id"])
		require.Equal(t, "rep-eva", data["owner_id"])
		require.Equal(t, "demo", data["offer"])
		require.NotContains(t, data, "event_id", "a run's hand-off has no fast-lane event")

		_, err = s.CloseHandoff(ctx, h.ID, store.HandoffNotReady, "budget next year")
		require.NoError(t, err)
		_, err = s.CloseHandoff(ctx, h.ID, store.HandoffNotReady, "")
		require.NoError(t, err)
		data = outboundData(t, s, "handoff.answered:"+h.ID)
		require.Equal(t, "not-ready", data["outcome"])
		require.Equal(t, "budget next year", data["feedback_note"])
	})
	t.Run("a withdrawn hand-off is no answer", func(t *testing.T) {
		h, err := s.CreateHandoff(ctx, handoff(f, "ripen/j/acme/r2", 1))
		require.NoError(t, err)
		_, err = s.CloseHandoffsOfRun(ctx, "ripen/j/acme/r2")
		require.NoError(t, err)
		_, err = s.GetOutboundEvent(ctx, "handoff.answered:"+h.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("an answer claimed and applied at the run's end is an answer", func(t *testing.T) {
		h, err := s.CreateHandoff(ctx, handoff(f, "ripen/j/acme/r3", 1))
		require.NoError(t, err)
		_, err = s.ClaimAnswer(ctx, h.ID, store.HandoffWon, "signed")
		require.NoError(t, err)
		_, err = s.CloseHandoffsOfRun(ctx, "ripen/j/acme/r3")
		require.NoError(t, err)
		require.Equal(t, "won", outboundData(t, s, "handoff.answered:"+h.ID)["outcome"])
	})
	t.Run("a hand-off without a run names its fast-lane event", func(t *testing.T) {
		h, err := s.CreateRunlessHandoff(ctx, store.Handoff{CustomerID: "acme", OwnerID: "rep-eva", Offer: "demo",
			Note: "call me", EventID: "ev-fl-1", SLADueAt: time.Now().Add(time.Hour)})
		require.NoError(t, err)
		data := outboundData(t, s, "handoff.created:"+h.ID)
		require.Equal(t, "ev-fl-1", data["event_id"])
		require.Equal(t, "call me", data["note"])
		require.NotContains(t, data, "workflow_id")
	})
	t.Run("a fast-lane request stored once is requested once; other events are none", func(t *testing.T) {
		ev := store.Event{ID: "ev-fl-2", CustomerID: "acme", ContactID: "acme-max", Type: store.FastLaneType,
			Topic: "demo", Note: "Tuesday morning", OccurredAt: time.Now()}
		click := store.Event{ID: "ev-click", CustomerID: "acme", Type: "click", OccurredAt: time.Now()}
		_, _, err := s.InsertEvents(ctx, []store.Event{ev, click})
		require.NoError(t, err)
		_, _, err = s.InsertEvents(ctx, []store.Event{ev})
		require.NoError(t, err)
		data := outboundData(t, s, "fast_lane.requested:ev-fl-2")
		require.Equal(t, "demo", data["offer"])
		require.Equal(t, "Tuesday morning", data["note"])
		require.Equal(t, "acme-max", data["contact_id"])
		require.Equal(t, "rep-eva", data["owner_id"])
		require.NotContains(t, outboundIDs(t, s), "fast_lane.requested:ev-click")
	})
}

func TestRunsStartAndEndOnceEach(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	subscribeAll(t, s)
	now := time.Now().Truncate(time.Millisecond)
	wf := "ripen/" + f.journey.JourneyID + "/acme"

	_, err := s.RegisterRuns(ctx, now, []store.RunStart{{WorkflowID: wf, RunKey: wf + "/r1",
		JourneyID: f.journey.JourneyID, Version: f.journey.Version, CustomerID: "acme", OwnerID: "rep-eva"}})
	require.NoError(t, err)
	r := run(wf, f.journey, "acme", now.Add(time.Second))
	r.RunKey, r.StartedAt = wf+"/r1", now
	require.NoError(t, s.UpsertRun(ctx, r), "the run's own first write")
	r.UpdatedAt, r.Stage = now.Add(2*time.Second), "handoff"
	require.NoError(t, s.UpsertRun(ctx, r))
	require.Equal(t, []string{"run.started:" + wf + "/r1"}, outboundIDs(t, s))
	require.Equal(t, "acme", outboundData(t, s, "run.started:"+wf+"/r1")["customer_id"])

	end := now.Add(3 * time.Second)
	r.Status, r.Stage, r.Outcome, r.UpdatedAt, r.EndedAt = store.RunCompleted, "done", "won", end, &end
	require.NoError(t, s.EndRun(ctx, r, r.RunKey))
	require.NoError(t, s.EndRun(ctx, r, r.RunKey), "a retry")
	data := outboundData(t, s, "run.ended:"+wf+"/r1")
	require.Equal(t, "completed", data["status"])
	require.Equal(t, "won", data["outcome"])

	t.Run("a newer run taking over a row still running ends the older one unrecorded", func(t *testing.T) {
		next := run(wf, f.journey, "acme", now.Add(time.Hour))
		next.RunKey, next.StartedAt = wf+"/r2", now.Add(time.Hour)
		require.NoError(t, s.UpsertRun(ctx, next))
		later := run(wf, f.journey, "acme", now.Add(2*time.Hour))
		later.RunKey, later.StartedAt = wf+"/r3", now.Add(2*time.Hour)
		require.NoError(t, s.UpsertRun(ctx, later))
		require.Equal(t, "unrecorded", outboundData(t, s, "run.ended:"+wf+"/r2")["status"])
		outboundData(t, s, "run.started:"+wf+"/r3")
	})
}

func TestRunStartedTakesTheEnrolmentEventsBeforeDispatch(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	_, _, err := s.PutWebhook(ctx, store.Webhook{ID: "crm", URL: "https://crm.example/hook",
		Events: store.OutboundEventTypes, Format: store.WebhookFormatStandard, Secret: "whsec_MDEyMzQ1Njc4OWFiY2RlZg=="})
	require.NoError(t, err)

	require.NoError(t, s.AddRunStartedData(ctx, "wf/r1", json.RawMessage(`{"run_key": "wf/r1", "enrolled_by": [{"event_id": "ev-1"}]}`)))
	require.NoError(t, s.AddRunStartedData(ctx, "wf/r1", json.RawMessage(`{"journey_id": "j"}`)))
	data := outboundData(t, s, "run.started:wf/r1")
	require.Equal(t, "j", data["journey_id"])
	require.Len(t, data["enrolled_by"], 1)

	n, err := s.DispatchOutboundEvents(ctx, 10, func(context.Context, []store.Dispatch) error { return nil })
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoError(t, s.AddRunStartedData(ctx, "wf/r1", json.RawMessage(`{"late": true}`)))
	require.NotContains(t, outboundData(t, s, "run.started:wf/r1"), "late", "dispatched: every attempt posts the same data")

	require.Error(t, s.AddRunStartedData(ctx, "wf/r2", json.RawMessage(`[1]`)))
}

func TestDispatchFansOutToSubscribedWebhooksOnce(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	put := func(id string, events ...string) {
		_, created, err := s.PutWebhook(ctx, store.Webhook{ID: id, URL: "https://" + id + ".example/hook",
			Events: events, Format: store.WebhookFormatStandard, Secret: "whsec_MDEyMzQ1Njc4OWFiY2RlZg=="})
		require.NoError(t, err)
		require.True(t, created)
	}
	put("crm", store.OutboundFastLaneRequested, store.OutboundHandoffCreated)
	put("chat", store.OutboundHandoffCreated)
	_, _, err := s.InsertEvents(ctx, []store.Event{
		{ID: "fl-1", CustomerID: "acme", Type: store.FastLaneType, Topic: "demo", OccurredAt: time.Now()},
	})
	require.NoError(t, err)
	h, err := s.CreateHandoff(ctx, handoff(f, "ripen/j/acme/r1", 1))
	require.NoError(t, err)
	_, err = s.CloseHandoff(ctx, h.ID, store.HandoffLost, "")
	require.NoError(t, err)

	boom := errors.New("temporal is down")
	_, err = s.DispatchOutboundEvents(ctx, 10, func(context.Context, []store.Dispatch) error { return boom })
	require.ErrorIs(t, err, boom)

	var got []store.Dispatch
	n, err := s.DispatchOutboundEvents(ctx, 10, func(_ context.Context, ds []store.Dispatch) error {
		got = append(got, ds...)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 2, n, "a failed start left every event due")
	require.ElementsMatch(t, []store.Dispatch{
		{WebhookID: "crm", EventID: "fast_lane.requested:fl-1"},
		{WebhookID: "chat", EventID: "handoff.created:" + h.ID},
		{WebhookID: "crm", EventID: "handoff.created:" + h.ID},
	}, got)
	_, err = s.GetOutboundEvent(ctx, "handoff.answered:"+h.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "no webhook subscribes to handoff.answered: it is not written")

	n, err = s.DispatchOutboundEvents(ctx, 10, func(context.Context, []store.Dispatch) error {
		t.Fatal("nothing is left to dispatch")
		return nil
	})
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestWebhooksAndTheirDeliveries(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	w := store.Webhook{ID: "crm", URL: "https://crm.example/hook", Events: []string{store.OutboundRunEnded, store.OutboundHandoffCreated},
		Format: store.WebhookFormatSlack, Secret: "whsec_MDEyMzQ1Njc4OWFiY2RlZg=="}
	first, created, err := s.PutWebhook(ctx, w)
	require.NoError(t, err)
	require.True(t, created)

	w.URL, w.Secret = "https://crm.example/v2", "whsec_b3RoZXJvdGhlcm90aGVyb3RoZXI="
	again, created, err := s.PutWebhook(ctx, w)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, "https://crm.example/v2", again.URL)
	require.Equal(t, first.Secret, again.Secret, "a change keeps the secret its receiver knows")
	require.Equal(t, first.CreatedAt, again.CreatedAt)

	_, _, err = s.PutWebhook(ctx, store.Webhook{ID: "bad", URL: "https://x.example", Events: []string{"run.paused"},
		Format: "standard", Secret: w.Secret})
	requireKind(t, err, store.ErrInvalid, "events")

	h, err := s.CreateHandoff(ctx, handoff(f, "ripen/j/acme/r1", 1))
	require.NoError(t, err)
	ev := "handoff.created:" + h.ID
	for i := 1; i <= 3; i++ {
		require.NoError(t, s.RecordDelivery(ctx, store.Delivery{WebhookID: "crm", EventID: ev, MessageID: "msg_1",
			Attempt: i, At: time.Now(), StatusCode: 500 + i - 1, DurationMS: 12}))
	}
	page, err := s.ListDeliveries(ctx, "crm", 0, 2)
	require.NoError(t, err)
	require.Len(t, page, 2)
	require.Equal(t, 3, page[0].Attempt, "newest first")
	require.Equal(t, store.OutboundHandoffCreated, page[0].EventType)
	rest, err := s.ListDeliveries(ctx, "crm", page[1].ID, 2)
	require.NoError(t, err)
	require.Len(t, rest, 1)
	require.Equal(t, 1, rest[0].Attempt)

	require.NoError(t, s.DeleteWebhook(ctx, "crm"))
	require.ErrorIs(t, s.DeleteWebhook(ctx, "crm"), store.ErrNotFound)
	_, err = s.GetWebhook(ctx, "crm")
	require.ErrorIs(t, err, store.ErrNotFound)
	err = s.RecordDelivery(ctx, store.Delivery{WebhookID: "crm", EventID: ev, MessageID: "msg_1", Attempt: 4, At: time.Now()})
	requireKind(t, err, store.ErrInvalid, "webhook_id")
	gone, err := s.ListDeliveries(ctx, "crm", 0, 10)
	require.NoError(t, err)
	require.Empty(t, gone)
}
