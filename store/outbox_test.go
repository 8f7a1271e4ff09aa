package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
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

func TestDeliveryNewsMovesTheOutboxForwardOnly(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	n := 0
	sent := func(t *testing.T) string {
		t.Helper()
		n++
		row, err := s.ClaimOutbox(ctx, store.OutboxKey{RunKey: "ripen/j/acme@run-1", StepID: fmt.Sprintf("step-%d", n), Cycle: 1, ContactID: "acme-max"})
		require.NoError(t, err)
		id := fmt.Sprintf("news-%d", n)
		require.NoError(t, s.MarkOutboxSent(ctx, row.ID, id))
		return id
	}
	tests := []struct {
		name string
		news []string // in the order they arrive
		want string
	}{
		{"deferred, then delivered", []string{"deferred", "deferred", "delivered"}, store.OutboxDelivered},
		{"a late deferred never takes back a delivery", []string{"delivered", "deferred"}, store.OutboxDelivered},
		{"deferred, then dropped", []string{"deferred", "dropped"}, store.OutboxDropped},
		{"dropped is final", []string{"dropped", "deferred", "delivered"}, store.OutboxDropped},
		{"deferred, then bounced", []string{"deferred", "bounced", "deferred"}, store.OutboxBounced},
		{"a delivered email may still bounce", []string{"delivered", "bounced", "delivered"}, store.OutboxBounced},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := sent(t)
			var row store.OutboxRow
			for _, status := range tt.news {
				var err error
				row, err = s.UpdateOutboxDelivery(ctx, id+".filterdrecv-1", status)
				require.NoError(t, err, status)
			}
			require.Equal(t, tt.want, row.Status)
			require.Equal(t, id, row.MessageID)
		})
	}
	t.Run("a pending email takes no delivery news", func(t *testing.T) {
		row, err := s.ClaimOutbox(ctx, store.OutboxKey{RunKey: "ripen/j/acme@run-1", StepID: "unsent", Cycle: 1, ContactID: "acme-max"})
		require.NoError(t, err)
		_, err = s.Pool().Exec(ctx, `UPDATE outbox SET status = 'deferred' WHERE id = $1`, row.ID)
		requirePgCode(t, err, "23514") // outbox_sent_check: news is about sent emails
	})
}

func TestFrequencyCapCountsContentEmailsAcrossJourneys(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	h, err := s.CreateHandoff(ctx, handoff(f, "ripen/j/acme@run-1", 1))
	require.NoError(t, err)
	const week = 7 * 24 * time.Hour

	claim := func(k store.OutboxKey) store.OutboxRow {
		t.Helper()
		row, err := s.ClaimOutbox(ctx, k)
		require.NoError(t, err)
		return row
	}
	// sentAt marks a row sent at a given time (the store stamps now()).
	sentAt := func(row store.OutboxRow, msg string, at time.Time) {
		t.Helper()
		require.NoError(t, s.MarkOutboxSent(ctx, row.ID, msg))
		_, err := s.Pool().Exec(ctx, `UPDATE outbox SET sent_at = $2 WHERE id = $1`, row.ID, at)
		require.NoError(t, err)
	}
	now := time.Now()
	t1, t2, t3 := now.Add(-6*24*time.Hour), now.Add(-5*24*time.Hour), now.Add(-4*24*time.Hour)
	sentAt(claim(store.OutboxKey{RunKey: "ripen/j/acme@run-1", StepID: "a", Cycle: 1, ContactID: "acme-max"}), "m1", t1)
	sentAt(claim(store.OutboxKey{RunKey: "ripen/k/acme@run-7", StepID: "a", Cycle: 1, ContactID: "acme-max"}), "m2", t2)
	sentAt(claim(store.OutboxKey{RunKey: "ripen/k/acme@run-7", StepID: "b", Cycle: 1, ContactID: "acme-max"}), "m3", t3)
	sentAt(claim(store.OutboxKey{RunKey: "ripen/k/acme@run-7", StepID: "a", Cycle: 1, ContactID: "acme-anna"}), "m4", now)
	sentAt(claim(store.OutboxKey{RunKey: "ripen/j/acme@run-1", StepID: "handoff", Cycle: 1, ContactID: "acme-max",
		Kind: store.OutboxHandoff, HandoffID: h.ID}), "m5", now)
	old := claim(store.OutboxKey{RunKey: "ripen/j/acme@run-1", StepID: "old", Cycle: 1, ContactID: "acme-max"})
	sentAt(old, "m0", now.Add(-8*24*time.Hour))
	failed := claim(store.OutboxKey{RunKey: "ripen/j/acme@run-1", StepID: "refused", Cycle: 1, ContactID: "acme-max"})
	require.NoError(t, s.MarkOutboxFailed(ctx, failed.ID, "400 bad address"))
	next := claim(store.OutboxKey{RunKey: "ripen/l/acme@run-9", StepID: "a", Cycle: 1, ContactID: "acme-max"})

	t.Run("under the cap the email is reserved", func(t *testing.T) {
		ok, _, err := s.ReserveUnderCap(ctx, next.ID, "acme-max", 4, week, now)
		require.NoError(t, err)
		require.True(t, ok, "three content emails of two journeys this week; hand-offs, failures and older ones do not count")
		row, err := s.GetOutbox(ctx, next.ID)
		require.NoError(t, err)
		require.Equal(t, store.OutboxPending, row.Status, "reserved, not sent")
		ok, _, err = s.ReserveUnderCap(ctx, next.ID, "acme-max", 4, week, now)
		require.NoError(t, err)
		require.True(t, ok, "a retry does not count against itself")
	})
	t.Run("the reservation counts for the others", func(t *testing.T) {
		other := claim(store.OutboxKey{RunKey: "ripen/m/acme@run-2", StepID: "a", Cycle: 1, ContactID: "acme-max"})
		ok, notBefore, err := s.ReserveUnderCap(ctx, other.ID, "acme-max", 4, week, now)
		require.NoError(t, err)
		require.False(t, ok)
		// Four in the window (t1, t2, t3 and the reservation), four allowed:
		// the next may go when the oldest leaves.
		require.WithinDuration(t, t1.Add(week), notBefore, time.Second)
	})
	t.Run("not before is when the email keeping the contact at the cap leaves", func(t *testing.T) {
		other := claim(store.OutboxKey{RunKey: "ripen/m/acme@run-2", StepID: "b", Cycle: 1, ContactID: "acme-max"})
		// Four in the window, two allowed: t1 and t2 must both leave.
		ok, notBefore, err := s.ReserveUnderCap(ctx, other.ID, "acme-max", 2, week, now)
		require.NoError(t, err)
		require.False(t, ok)
		require.WithinDuration(t, t3.Add(week), notBefore, time.Second)
		row, err := s.GetOutbox(ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, store.OutboxPending, row.Status)
	})
	t.Run("no cap reserves nothing", func(t *testing.T) {
		ok, _, err := s.ReserveUnderCap(ctx, 999999, "acme-max", 0, week, now)
		require.NoError(t, err)
		require.True(t, ok)
	})
	t.Run("only a content email of the contact is reserved", func(t *testing.T) {
		_, _, err := s.ReserveUnderCap(ctx, next.ID, "acme-anna", 4, week, now)
		requireKind(t, err, store.ErrNotFound, "")
	})
}

func TestFrequencyCapHoldsUnderConcurrentClaims(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, t.Context()
	const runs, limit = 8, 2
	var wg sync.WaitGroup
	passed := make([]bool, runs)
	errs := make([]error, runs)
	for i := range runs {
		wg.Go(func() {
			row, err := s.ClaimOutbox(ctx, store.OutboxKey{RunKey: fmt.Sprintf("ripen/j%d/acme@run-1", i), StepID: "a", Cycle: 1, ContactID: "acme-max"})
			if err != nil {
				errs[i] = err
				return
			}
			passed[i], _, errs[i] = s.ReserveUnderCap(ctx, row.ID, "acme-max", limit, 7*24*time.Hour, time.Now())
		})
	}
	wg.Wait()
	n := 0
	for i := range runs {
		require.NoError(t, errs[i])
		if passed[i] {
			n++
		}
	}
	require.Equal(t, limit, n, "exactly the cap's share passes")
}

func TestPruneWebhookEventsForgetsOnlyOldEvents(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	_, err := s.MarkWebhookEvents(ctx, []string{"old-1", "old-2", "new-1"})
	require.NoError(t, err)
	_, err = s.Pool().Exec(ctx, `UPDATE webhook_events SET seen_at = now() - interval '73 hours' WHERE id LIKE 'old-%'`)
	require.NoError(t, err)

	n, err := s.PruneWebhookEvents(ctx, time.Now().Add(-72*time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	fresh, err := s.MarkWebhookEvents(ctx, []string{"old-1", "new-1"})
	require.NoError(t, err)
	require.Equal(t, []string{"old-1"}, fresh, "a pruned event is new again; a recent one is still known")
}
