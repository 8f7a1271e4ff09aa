package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
)

func TestRunlessHandoffs(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	runless := store.Handoff{CustomerID: "acme", OwnerID: "rep-eva", Offer: "demo", Note: "call me",
		EventID: "ev-fast-1", SLADueAt: time.Now().Add(48 * time.Hour)}

	h, err := s.CreateRunlessHandoff(ctx, runless)
	require.NoError(t, err)
	t.Run("a fast lane without a run is an open hand-off without run or journey", func(t *testing.T) {
		require.NotEmpty(t, h.ID)
		require.Equal(t, store.HandoffOpen, h.Status)
		require.Equal(t, store.ReasonFastLane, h.Reason)
		require.Equal(t, "ev-fast-1", h.EventID)
		require.False(t, h.HasRun())
		require.Empty(t, h.JourneyID)
		b, err := json.Marshal(h)
		require.NoError(t, err)
		var js map[string]any
		require.NoError(t, json.Unmarshal(b, &js))
		require.Contains(t, js, "journey_id")
		require.Nil(t, js["journey_id"])
		require.Nil(t, js["workflow_id"])
		require.Equal(t, "demo", js["offer"])
	})
	t.Run("the same event again returns the same hand-off", func(t *testing.T) {
		again, err := s.CreateRunlessHandoff(ctx, runless)
		require.NoError(t, err)
		require.Equal(t, h, again)
	})
	t.Run("it is listed open with the others and can be filtered by customer", func(t *testing.T) {
		hs, err := s.ListHandoffs(ctx, store.HandoffFilter{Status: store.HandoffOpen, CustomerID: "acme"})
		require.NoError(t, err)
		require.Len(t, hs, 1)
		require.Equal(t, h.ID, hs[0].ID)
	})
	t.Run("sales' answer closes it", func(t *testing.T) {
		closed, err := s.CloseHandoff(ctx, h.ID, store.HandoffAccepted, "calling tomorrow")
		require.NoError(t, err)
		require.Equal(t, store.HandoffAccepted, closed.Status)
		require.Equal(t, "calling tomorrow", closed.FeedbackNote)
	})
	t.Run("a hand-off of a run still says its journey", func(t *testing.T) {
		r, err := s.CreateHandoff(ctx, handoff(f, "run-9", 1))
		require.NoError(t, err)
		require.True(t, r.HasRun())
		b, err := json.Marshal(r)
		require.NoError(t, err)
		require.Contains(t, string(b), `"journey_id":"`+f.journey.JourneyID+`"`)
	})
	t.Run("it needs its event", func(t *testing.T) {
		noEvent := runless
		noEvent.EventID = ""
		_, err := s.CreateRunlessHandoff(ctx, noEvent)
		requireKind(t, err, store.ErrInvalid, "event_id")
	})
}
