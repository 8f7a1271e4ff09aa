package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// putBuyingGroup gives initech an ops lead (by the customer's persona) and
// an IT lead, and a finance contact outside the audience.
func (f *fixture) putBuyingGroup() {
	f.t.Helper()
	ctx := context.Background()
	for _, p := range []string{"ops-lead", "it-lead", "finance"} {
		require.NoError(f.t, f.st.PutPersona(ctx, store.Persona{ID: p, Name: p}))
	}
	require.NoError(f.t, f.st.PutCustomer(ctx, store.Customer{ID: "initech", Name: "Initech", Persona: "ops-lead",
		Owner: store.Owner{ID: "rep-eva"},
		Contacts: []store.Contact{
			{ID: "initech-pia", Email: "pia@initech.example"},
			{ID: "initech-tom", Email: "tom@initech.example", Persona: "it-lead"},
			{ID: "initech-fin", Email: "fin@initech.example", Persona: "finance"},
		}}))
}

func TestLoadRunContextCountsOnlyTheJourneysAudience(t *testing.T) {
	f := newFixture(t)
	f.putBuyingGroup()
	ctx := context.Background()
	reachable := func(personas ...string) bool {
		t.Helper()
		rc, err := f.acts.LoadRunContext(ctx, workflows.RunContextRequest{CustomerID: "initech", Personas: personas})
		require.NoError(t, err)
		return rc.Reachable
	}
	require.True(t, reachable("ops-lead", "it-lead"))
	require.NoError(t, f.st.Suppress(ctx, "pia@initech.example", "unsubscribe", "test"))
	require.True(t, reachable("ops-lead", "it-lead"), "the IT lead is left")
	require.False(t, reachable("ops-lead"), "the one ops lead (by the customer's persona) is gone")
	require.NoError(t, f.st.Suppress(ctx, "tom@initech.example", "unsubscribe", "test"))
	require.False(t, reachable("ops-lead", "it-lead"), "nobody of the audience is left")
	require.True(t, reachable(), "without an audience the finance contact still counts")
}

func enrolmentNotice(f *fixture) workflows.EnrolmentNotice {
	return workflows.EnrolmentNotice{RunKey: "ripen/j/acme/run-1", WorkflowID: "ripen/j/acme", JourneyID: "j", Version: 1,
		CustomerID: "acme", OwnerID: "rep-eva", Offer: "automation-suite",
		Engagements: []workflows.Engagement{
			{EventID: "e1", Kind: "visit", Topic: "process-automation", ContentID: "checklist", ContactID: "acme-max", At: f.now.Add(-26 * time.Hour)},
			{EventID: "e2", Kind: "download", Topic: "process-automation", ContactID: "acme-gone", At: f.now.Add(-2 * time.Hour)},
		}}
}

func TestNotifyEnrolmentTellsTheOwnerWhoReadWhatAndWhenOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := enrolmentNotice(f)
	require.NoError(t, f.acts.NotifyEnrolment(ctx, req))
	require.NoError(t, f.acts.NotifyEnrolment(ctx, req), "a retry")
	msgs := f.sg.Messages()
	require.Len(t, msgs, 1, "once through the outbox")
	m := msgs[0]
	require.Equal(t, []string{"eva@seller.example"}, m.To)
	require.Equal(t, "Acme GmbH entered j: call them now?", m.Subject)
	require.Equal(t, "enrolment", m.CustomArgs["ripen_kind"], "the webhook ignores the owner's clicks")
	var kind string
	require.NoError(t, f.st.Pool().QueryRow(ctx, `SELECT kind FROM outbox WHERE step_id = 'enrolment:owner'`).Scan(&kind))
	require.Equal(t, store.OutboxNotice, kind, "a notice: no contact's content, no frequency cap")
	for name, part := range map[string]string{"html": m.HTML, "text": m.Text} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, part, "2026-11-25 08:00, Max Muster: visit on “Automation checklist”, topic process-automation",
				"when, the contact's name (read here) and the content's title")
			require.Contains(t, part, "2026-11-26 08:00, a contact (acme-gone): download, topic process-automation")
			require.Contains(t, part, "automation-suite")
			require.Contains(t, part, "http://ui.example/namespaces/default/workflows/ripen%2Fj%2Facme")
		})
	}
}

func TestNotifyEnrolmentDoesNotMailASuppressedOwner(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.st.Suppress(ctx, "eva@seller.example", "bounce", "test"))
	err := f.acts.NotifyEnrolment(ctx, enrolmentNotice(f))
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app), "error: %v", err)
	require.True(t, app.NonRetryable())
	require.Equal(t, "OwnerSuppressed", app.Type())
	require.Empty(t, f.sg.Messages())
}
