package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
)

func TestOutbox(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	key := store.OutboxKey{RunKey: "ripen/j/acme@run-1", StepID: "checklist", Cycle: 1, ContactID: "acme-max"}

	var first store.OutboxRow
	t.Run("the first claim inserts a pending row", func(t *testing.T) {
		var err error
		first, err = s.ClaimOutbox(ctx, key)
		require.NoError(t, err)
		require.Equal(t, store.OutboxPending, first.Status)
		require.Equal(t, store.OutboxContent, first.Kind)
		require.NotZero(t, first.ID)
	})
	t.Run("claiming again returns the same row", func(t *testing.T) {
		again, err := s.ClaimOutbox(ctx, key)
		require.NoError(t, err)
		require.Equal(t, first, again)
	})
	t.Run("concurrent claims share one row", func(t *testing.T) {
		k := key
		k.StepID = "case-study"
		var wg sync.WaitGroup
		ids := make([]int64, 6)
		errs := make([]error, 6)
		for i := range ids {
			wg.Go(func() {
				row, err := s.ClaimOutbox(ctx, k)
				ids[i], errs[i] = row.ID, err
			})
		}
		wg.Wait()
		for i := range ids {
			require.NoError(t, errs[i])
			require.Equal(t, ids[0], ids[i])
		}
	})
	t.Run("the schema stores a key once", func(t *testing.T) {
		_, err := s.Pool().Exec(ctx, `
INSERT INTO outbox (run_key, step_id, cycle, contact_id, kind)
VALUES ($1, $2, $3, $4, 'content')`, key.RunKey, key.StepID, key.Cycle, key.ContactID)
		requirePgCode(t, err, "23505")
	})
	t.Run("another cycle is another email", func(t *testing.T) {
		k := key
		k.Cycle = 2
		row, err := s.ClaimOutbox(ctx, k)
		require.NoError(t, err)
		require.NotEqual(t, first.ID, row.ID)
	})
	t.Run("a key claimed as another kind is a conflict", func(t *testing.T) {
		k := key
		k.Kind = store.OutboxReminder
		k.HandoffID = "h"
		_, err := s.ClaimOutbox(ctx, k)
		requireKind(t, err, store.ErrConflict, "kind")
	})
	t.Run("sent once, with one message ID", func(t *testing.T) {
		require.NoError(t, s.MarkOutboxSent(ctx, first.ID, "msg-1"))
		require.NoError(t, s.MarkOutboxSent(ctx, first.ID, "msg-1"), "marking again is a no-op")
		requireKind(t, s.MarkOutboxSent(ctx, first.ID, "msg-2"), store.ErrConflict, "message_id")
		row, err := s.ClaimOutbox(ctx, key)
		require.NoError(t, err)
		require.Equal(t, store.OutboxSent, row.Status)
		require.Equal(t, "msg-1", row.MessageID)
		require.NotNil(t, row.SentAt)

		requireKind(t, s.MarkOutboxFailed(ctx, first.ID, "too late"), store.ErrConflict, "status")
		requireKind(t, s.MarkOutboxSent(ctx, 999999, "msg-x"), store.ErrNotFound, "")
	})
	t.Run("a message ID belongs to one email", func(t *testing.T) {
		k := key
		k.StepID = "case-study"
		row, err := s.ClaimOutbox(ctx, k)
		require.NoError(t, err)
		requireKind(t, s.MarkOutboxSent(ctx, row.ID, "msg-1"), store.ErrConflict, "message_id")
	})
	t.Run("a failure is recorded with its reason", func(t *testing.T) {
		k := key
		k.StepID = "bad-address"
		row, err := s.ClaimOutbox(ctx, k)
		require.NoError(t, err)
		require.NoError(t, s.MarkOutboxFailed(ctx, row.ID, "400 invalid to address"))
		row, err = s.ClaimOutbox(ctx, k)
		require.NoError(t, err)
		require.Equal(t, store.OutboxFailed, row.Status)
		require.Equal(t, "400 invalid to address", row.Error)
	})
	t.Run("delivery news moves forward only", func(t *testing.T) {
		row, err := s.UpdateOutboxDelivery(ctx, "msg-1.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0", store.OutboxDelivered)
		require.NoError(t, err)
		require.Equal(t, store.OutboxDelivered, row.Status)
		require.Equal(t, first.ID, row.ID)

		row, err = s.UpdateOutboxDelivery(ctx, "msg-1", store.OutboxBounced)
		require.NoError(t, err)
		require.Equal(t, store.OutboxBounced, row.Status)
		row, err = s.UpdateOutboxDelivery(ctx, "msg-1", store.OutboxDelivered)
		require.NoError(t, err)
		require.Equal(t, store.OutboxBounced, row.Status, "a late delivered does not undo a bounce")

		_, err = s.UpdateOutboxDelivery(ctx, "unknown-msg", store.OutboxDelivered)
		requireKind(t, err, store.ErrNotFound, "")
		_, err = s.UpdateOutboxDelivery(ctx, "msg-1", "opened")
		requireKind(t, err, store.ErrInvalid, "status")
	})
	t.Run("hand-off emails need their hand-off, content emails none", func(t *testing.T) {
		k := key
		k.StepID, k.ContactID, k.Kind = "handoff", "rep-eva", store.OutboxHandoff
		_, err := s.ClaimOutbox(ctx, k)
		requireKind(t, err, store.ErrInvalid, "handoff_id")
		k.HandoffID = "no-such-handoff"
		_, err = s.ClaimOutbox(ctx, k)
		requireKind(t, err, store.ErrInvalid, "handoff_id")
		k.Kind = "postcard"
		_, err = s.ClaimOutbox(ctx, k)
		requireKind(t, err, store.ErrInvalid, "kind")
	})
}

func TestCountSentSinceCountsContentEmailsAcrossJourneys(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	h, err := s.CreateHandoff(ctx, handoff(f, "ripen/j/acme@run-1", 1))
	require.NoError(t, err)

	send := func(k store.OutboxKey, msg string) {
		t.Helper()
		row, err := s.ClaimOutbox(ctx, k)
		require.NoError(t, err)
		require.NoError(t, s.MarkOutboxSent(ctx, row.ID, msg))
	}
	start := time.Now().Add(-time.Minute)
	send(store.OutboxKey{RunKey: "ripen/j/acme@run-1", StepID: "a", Cycle: 1, ContactID: "acme-max"}, "m1")
	send(store.OutboxKey{RunKey: "ripen/k/acme@run-7", StepID: "a", Cycle: 1, ContactID: "acme-max"}, "m2")
	send(store.OutboxKey{RunKey: "ripen/k/acme@run-7", StepID: "a", Cycle: 1, ContactID: "acme-anna"}, "m3")
	send(store.OutboxKey{RunKey: "ripen/j/acme@run-1", StepID: "handoff", Cycle: 1, ContactID: "acme-max",
		Kind: store.OutboxHandoff, HandoffID: h.ID}, "m4")
	// Without its HandoffID, a reminder belongs to the run's hand-off of the cycle.
	reminder, err := s.ClaimOutbox(ctx, store.OutboxKey{RunKey: "ripen/j/acme@run-1", StepID: "reminder-1", Cycle: 1,
		ContactID: "owner:rep-eva", Kind: store.OutboxReminder})
	require.NoError(t, err)
	require.Equal(t, h.ID, reminder.HandoffID)
	require.NoError(t, s.MarkOutboxSent(ctx, reminder.ID, "m5"))
	_, err = s.ClaimOutbox(ctx, store.OutboxKey{RunKey: "ripen/j/acme@run-1", StepID: "b", Cycle: 1, ContactID: "acme-max"})
	require.NoError(t, err) // pending: not sent yet

	n, oldest, err := s.CountSentSince(ctx, "acme-max", start)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.WithinDuration(t, time.Now(), oldest, time.Minute)

	n, oldest, err = s.CountSentSince(ctx, "acme-max", time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, n)
	require.True(t, oldest.IsZero())
}
