package activities_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// recordHandoff publishes journey j and records acme's hand-off with ev.
func (f *fixture) recordHandoff(ev workflows.Evidence) string {
	f.t.Helper()
	ctx := context.Background()
	_, err := f.st.PublishJourney(ctx, store.JourneyVersion{JourneyID: "j", Name: "J",
		Definition: json.RawMessage(`{"id":"j","name":"J","offer":{"kind":"upsell","product":"p"},"steps":[{"id":"a","end":true}]}`)})
	require.NoError(f.t, err)
	rec, err := f.acts.RecordHandoff(ctx, workflows.HandoffRequest{RunKey: "ripen/j/acme/run-1", WorkflowID: "ripen/j/acme", JourneyID: "j", Version: 1,
		CustomerID: "acme", OwnerID: "rep-eva", Cycle: 1, Reason: "score", Score: 42, SLA: 48 * time.Hour, Evidence: ev})
	require.NoError(f.t, err)
	return rec.ID
}

func TestHandoffEmailNamesTheContentAndShowsTheScoreTrailInBothParts(t *testing.T) {
	f := newFixture(t)
	day := func(d int) time.Time { return f.now.Add(time.Duration(d-10) * 24 * time.Hour) }
	id := f.recordHandoff(workflows.Evidence{
		Sends: []workflows.SentStep{
			{StepID: "checklist", ContentID: "checklist", At: day(1)},
			{StepID: "case", ContentID: "case-study", At: day(5)},
		},
		Engagements: []workflows.Engagement{
			{EventID: "e1", Kind: "click", StepID: "checklist", At: day(2), Points: 10}, // content from the step's send
			{EventID: "e2", Kind: "open", StepID: "case", ContentID: "case-study", At: day(6), Points: 1},
		},
		ScoreTrail: []workflows.ScorePoint{{At: day(2), Score: 10}, {At: day(6), Score: 10.8}, {At: day(9), Score: 42}},
	})
	require.NoError(t, f.acts.NotifyOwner(context.Background(), workflows.NotifyRequest{HandoffID: id}))
	m := f.sg.Messages()[0]

	for name, part := range map[string]string{"html": m.HTML, "text": m.Text} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, part, "click on “Automation checklist” (step checklist)", "engagement names the content")
			require.Contains(t, part, "open on “Case study” (step case)")
			require.Contains(t, part, "“Case study” (step case)", "what we sent")
			require.Contains(t, part, "Score over time")
			for _, p := range []string{": 10.0", ": 10.8", ": 42.0"} {
				require.Contains(t, part, p)
			}
		})
	}
	require.Less(t, strings.Index(m.Text, "What we sent"), strings.Index(m.Text, "Score over time"))
}

func TestASuppressedOwnerIsNotMailed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.recordHandoff(workflows.Evidence{})
	require.NoError(t, f.st.Suppress(ctx, "eva@seller.example", "bounce", "sendgrid"))

	err := f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: id})
	app := requireNonRetryable(t, err, "OwnerSuppressed")
	require.NotContains(t, app.Error(), "eva@seller.example", "no address in workflow history")
	require.Empty(t, f.sg.Messages())
	row, err := f.st.ClaimOutbox(ctx, store.OutboxKey{RunKey: "ripen/j/acme/run-1", StepID: "handoff:" + id, Cycle: 1,
		ContactID: "owner:rep-eva", Kind: store.OutboxHandoff, HandoffID: id})
	require.NoError(t, err)
	require.Equal(t, store.OutboxFailed, row.Status, "recorded on the outbox")

	// The reminder is not mailed either, and says so again.
	err = f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: id, Reminder: 1})
	requireNonRetryable(t, err, "OwnerSuppressed")
	require.Empty(t, f.sg.Messages())
}

// What the store refuses, or does not have, it refuses on every retry: the
// run learns it at once instead of after its retry deadline. A store that
// cannot be reached is retried.
func TestStoreErrorsARetryCannotCureFailAtOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.recordHandoff(workflows.Evidence{})
	handoff := workflows.HandoffRequest{RunKey: "ripen/j/acme/run-2", WorkflowID: "ripen/j/acme", JourneyID: "j", Version: 1,
		CustomerID: "ghost", OwnerID: "rep-nobody", Cycle: 1, Reason: "score", Score: 42, SLA: 48 * time.Hour}
	snap := workflows.RunSnapshot{WorkflowID: "ripen/j/acme", RunKey: "ripen/j/acme/run-1", JourneyID: "j", Version: 1,
		CustomerID: "acme", OwnerID: "rep-eva", Status: workflows.StatusRunning, Stage: "nurturing", At: f.now}

	t.Run("closing an unknown hand-off", func(t *testing.T) {
		err := f.acts.CloseHandoff(ctx, workflows.CloseHandoffRequest{HandoffID: "no-such-handoff", Outcome: store.HandoffWon})
		requireNonRetryable(t, err, "UnknownHandoff")
	})
	t.Run("closing with an outcome the store refuses", func(t *testing.T) {
		err := f.acts.CloseHandoff(ctx, workflows.CloseHandoffRequest{HandoffID: id, Outcome: "maybe"})
		requireNonRetryable(t, err, "InvalidHandoff")
	})
	t.Run("a hand-off of an unknown customer to an unknown owner", func(t *testing.T) {
		_, err := f.acts.RecordHandoff(ctx, handoff)
		app := requireNonRetryable(t, err, "InvalidHandoff")
		require.ErrorIs(t, app, store.ErrInvalid, "the store's error is the cause")
	})
	t.Run("a snapshot without the run's start", func(t *testing.T) {
		requireNonRetryable(t, f.acts.SyncRun(ctx, snap), "InvalidRun")
	})
	t.Run("an unreachable store is retried", func(t *testing.T) {
		pool, err := pgxpool.New(ctx, "postgres://ripen@127.0.0.1:1/ripen?connect_timeout=2")
		require.NoError(t, err)
		defer pool.Close()
		acts := *f.acts
		acts.Store = store.New(pool)
		requireRetryable(t, acts.CloseHandoff(ctx, workflows.CloseHandoffRequest{HandoffID: id, Outcome: store.HandoffWon}))
		_, err = acts.RecordHandoff(ctx, handoff)
		requireRetryable(t, err)
		snap.StartedAt = f.now
		requireRetryable(t, acts.SyncRun(ctx, snap))
	})
}

// An account given to another rep after its run started is handed off to
// that rep: the hand-off row (the inbox) and the email name the same owner,
// the customer's when the hand-off was recorded, also on retries and
// reminders after the account moved on again.
func TestAHandoffGoesToTheCustomersOwnerWhenItIsRecorded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.st.PublishJourney(ctx, store.JourneyVersion{JourneyID: "j", Name: "J",
		Definition: json.RawMessage(`{"id":"j","name":"J","offer":{"kind":"upsell","product":"p"},"steps":[{"id":"a","end":true}]}`)})
	require.NoError(t, err)
	giveTo := func(o store.Owner) {
		t.Helper()
		c, err := f.st.GetCustomer(ctx, "acme")
		require.NoError(t, err)
		c.Owner = o
		require.NoError(t, f.st.PutCustomer(ctx, c))
	}
	tom := store.Owner{ID: "rep-tom", Name: "Tom Brandt", Email: "tom@seller.example"}
	ann := store.Owner{ID: "rep-ann", Name: "Ann Kluge", Email: "ann@seller.example"}

	// The run started when rep-eva owned acme; then acme went to rep-tom.
	giveTo(tom)
	req := workflows.HandoffRequest{RunKey: "ripen/j/acme/run-1", WorkflowID: "ripen/j/acme", JourneyID: "j", Version: 1,
		CustomerID: "acme", OwnerID: "rep-eva", Cycle: 1, Reason: "score", Score: 42, SLA: 48 * time.Hour}
	rec, err := f.acts.RecordHandoff(ctx, req)
	require.NoError(t, err)
	h, err := f.st.GetHandoff(ctx, rec.ID)
	require.NoError(t, err)
	require.Equal(t, "rep-tom", h.OwnerID, "the customer's owner now, not the run's")
	inbox, err := f.st.ListHandoffs(ctx, store.HandoffFilter{OwnerID: "rep-tom", Status: store.HandoffOpen})
	require.NoError(t, err)
	require.Len(t, inbox, 1, "in the new owner's inbox")
	inbox, err = f.st.ListHandoffs(ctx, store.HandoffFilter{OwnerID: "rep-eva"})
	require.NoError(t, err)
	require.Empty(t, inbox, "not in the old owner's")

	// The account moves on again before a retry and before the email.
	giveTo(ann)
	again, err := f.acts.RecordHandoff(ctx, req)
	require.NoError(t, err)
	require.Equal(t, rec.ID, again.ID, "a retry is the same hand-off")
	h, err = f.st.GetHandoff(ctx, rec.ID)
	require.NoError(t, err)
	require.Equal(t, "rep-tom", h.OwnerID, "a retry keeps the owner recorded first")

	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: rec.ID}))
	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: rec.ID}), "a retry sends nothing more")
	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: rec.ID, Reminder: 1}))
	msgs := f.sg.Messages()
	require.Len(t, msgs, 2)
	for _, m := range msgs {
		require.Equal(t, []string{"tom@seller.example"}, m.To, "the owner whose inbox lists it: %s", m.Subject)
	}
}

// The API shows when the owner was last reminded of an open hand-off:
// each SLA reminder SendGrid accepted moves reminded_at, once, however
// often the activity is retried.
func TestAnSLAReminderIsRecordedOnTheHandoff(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.recordHandoff(workflows.Evidence{})
	remindedAt := func() *time.Time {
		t.Helper()
		h, err := f.st.GetHandoff(ctx, id)
		require.NoError(t, err)
		return h.RemindedAt
	}

	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: id}))
	require.Nil(t, remindedAt(), "the hand-off email is no reminder")

	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: id, Reminder: 1}))
	require.Len(t, f.sg.Messages(), 2)
	require.Equal(t, "Reminder: Acme GmbH is waiting for your answer", f.sg.Messages()[1].Subject)
	first := remindedAt()
	require.NotNil(t, first, "the reminder is recorded")

	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: id, Reminder: 1}), "a retry does not fail")
	require.Len(t, f.sg.Messages(), 2, "a retry sends nothing more")
	require.Equal(t, *first, *remindedAt(), "a retry does not move it")

	// An attempt stopped after SendGrid took reminder 2 and the outbox
	// recorded it, before the hand-off did: the retry records it.
	row, err := f.st.ClaimOutbox(ctx, store.OutboxKey{RunKey: "ripen/j/acme/run-1", StepID: "handoff:" + id + ":reminder-2", Cycle: 1,
		ContactID: "owner:rep-eva", Kind: store.OutboxReminder, HandoffID: id})
	require.NoError(t, err)
	require.NoError(t, f.st.MarkOutboxSent(ctx, row.ID, "sent-by-an-earlier-attempt"))
	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: id, Reminder: 2}))
	require.Len(t, f.sg.Messages(), 2, "not sent again")
	second := remindedAt()
	require.True(t, second.After(*first), "reminder 2 moved it: %s, then %s", first, second)

	// Answered: no reminder goes, and none is recorded.
	require.NoError(t, f.acts.CloseHandoff(ctx, workflows.CloseHandoffRequest{HandoffID: id, Outcome: store.HandoffAccepted}))
	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: id, Reminder: 3}))
	require.Len(t, f.sg.Messages(), 2)
	require.Equal(t, *second, *remindedAt())
}

func TestAHandoffNamesWhoEngagedMostAndTheJourneyByName(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.st.PutCustomer(ctx, store.Customer{ID: "acme", Name: "Acme GmbH",
		Owner: store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"},
		Contacts: []store.Contact{
			{ID: "acme-max", Email: "max@acme.example", FirstName: "Max", LastName: "Muster"},
			{ID: "acme-ina", Email: "ina@acme.example", FirstName: "Ina", LastName: "Kraus", Phone: "+49 30 1234-56"},
		}}))
	id := f.recordHandoff(workflows.Evidence{Engagements: []workflows.Engagement{
		{EventID: "e1", Kind: "click", ContactID: "acme-max", At: f.now, Points: 10},
		{EventID: "e2", Kind: "visit", ContactID: "acme-ina", At: f.now, Points: 5},
		{EventID: "e3", Kind: "download", ContactID: "acme-ina", At: f.now, Points: 15},
	}})
	h, err := f.st.GetHandoff(ctx, id)
	require.NoError(t, err)
	require.Equal(t, "acme-ina", h.ContactID, "20 points against 10")

	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: id}))
	m := f.sg.Messages()[0]
	for name, part := range map[string]string{"html": m.HTML, "text": m.Text} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, part, "Most engaged")
			require.Contains(t, part, "Ina Kraus")
			require.Contains(t, part, "ina@acme.example")
			require.Contains(t, part, "49 30 1234-56")
		})
	}
	require.Contains(t, m.Text, "+49 30 1234-56")
	require.Contains(t, m.Text, "Journey: J\n", "the journey by its name, not its ID")
	require.Contains(t, m.HTML, "<td>J</td>")
}

func TestAFastLaneHandoffNamesWhoAsked(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, _, err := f.st.InsertEvents(ctx, []store.Event{{ID: "fl-1", CustomerID: "acme", ContactID: "acme-max", Type: "fast-lane", Topic: "demo", OccurredAt: f.now}})
	require.NoError(t, err)
	_, err = f.st.PublishJourney(ctx, store.JourneyVersion{JourneyID: "j", Name: "J",
		Definition: json.RawMessage(`{"id":"j","name":"J","offer":{"kind":"upsell","product":"p"},"steps":[{"id":"a","end":true}]}`)})
	require.NoError(t, err)
	rec, err := f.acts.RecordHandoff(ctx, workflows.HandoffRequest{RunKey: "ripen/j/acme/run-1", WorkflowID: "ripen/j/acme", JourneyID: "j", Version: 1,
		CustomerID: "acme", OwnerID: "rep-eva", Cycle: 1, Reason: "fast-lane", Offer: "demo", FastLaneEventID: "fl-1", SLA: time.Hour,
		Evidence: workflows.Evidence{Engagements: []workflows.Engagement{{EventID: "e9", Kind: "download", ContactID: "someone-else", Points: 50}}}})
	require.NoError(t, err)
	h, err := f.st.GetHandoff(ctx, rec.ID)
	require.NoError(t, err)
	require.Equal(t, "acme-max", h.ContactID, "who asked, over who engaged most")
	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: rec.ID}))
	require.Contains(t, f.sg.Messages()[0].Text, "Who asked: Max Muster · max@acme.example")
}
