package activities_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// buyingGroup makes acme (persona ops-lead) a buying group: Max, an
// English ops lead by the customer's persona; Ina, a German (Austrian) IT
// lead; Olaf, a finance lead. The checklist gets an it-lead/de variant and
// an ops-lead one.
func (f *fixture) buyingGroup() {
	f.t.Helper()
	ctx := context.Background()
	for _, p := range []string{"ops-lead", "it-lead", "cfo"} {
		require.NoError(f.t, f.st.PutPersona(ctx, store.Persona{ID: p, Name: p}))
	}
	require.NoError(f.t, f.st.PutCustomer(ctx, store.Customer{ID: "acme", Name: "Acme GmbH", Persona: "ops-lead",
		Owner: store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"},
		Contacts: []store.Contact{
			{ID: "acme-max", Email: "max@acme.example", FirstName: "Max", Locale: "en"},
			{ID: "acme-ina", Email: "ina@acme.example", FirstName: "Ina", Locale: "de-AT", Persona: "it-lead"},
			{ID: "acme-olaf", Email: "olaf@acme.example", FirstName: "Olaf", Locale: "de", Persona: "cfo"},
		}}))
	c, err := f.st.GetContent(ctx, "checklist")
	require.NoError(f.t, err)
	c.Variants = []store.ContentVariant{
		{Persona: "it-lead", Locale: "de", Email: store.ContentEmail{Subject: "{{.Contact.FirstName}}, Checkliste für die IT", Text: "Lesen: {{.Content.URL}}"}},
		{Persona: "ops-lead", Email: store.ContentEmail{Subject: "{{.Contact.FirstName}}, a checklist for operations", Text: "Read {{.Content.URL}}"}},
	}
	require.NoError(f.t, f.st.PutContent(ctx, c))
}

func (f *fixture) variantOf(contact string) string {
	f.t.Helper()
	var v string
	require.NoError(f.t, f.st.Pool().QueryRow(context.Background(),
		`SELECT variant FROM outbox WHERE contact_id = $1 AND kind = 'content'`, contact).Scan(&v))
	return v
}

func onlyMailTo(t *testing.T, f *fixture, addr string) sendgriddev.Message {
	t.Helper()
	ms := f.mailsTo(addr)
	require.Len(t, ms, 1, "one email to %s", addr)
	return ms[0]
}

func TestEachContactOfTheAudienceGetsTheVariantForItsPersonaAndLocale(t *testing.T) {
	f := newFixture(t)
	f.buyingGroup()
	req := sendReq("checklist", "checklist", 1)
	req.JourneyID, req.Version = "automation", f.publish("automation", map[string]any{"audience": map[string]any{"personas": []string{"ops-lead", "it-lead"}}})

	res, err := f.acts.SendContent(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, workflows.SendSent, res.Status)
	require.Len(t, res.MessageIDs, 2)

	ina := onlyMailTo(t, f, "ina@acme.example")
	require.Equal(t, "Ina, Checkliste für die IT", ina.Subject, "de-AT takes the it-lead/de variant")
	require.Contains(t, ina.Text, "Abmelden", "the footer in her language")
	require.Equal(t, "it-lead/de", f.variantOf("acme-ina"))

	max := onlyMailTo(t, f, "max@acme.example")
	require.Equal(t, "Max, a checklist for operations", max.Subject, "the customer's persona chooses for a contact without one")
	require.Equal(t, "ops-lead", f.variantOf("acme-max"))

	require.Empty(t, f.mailsTo("olaf@acme.example"), "a contact outside the audience gets nothing")
	require.Len(t, f.sg.Messages(), 2)
}

func TestWithoutAnAudienceEveryContactGetsMailAndTheBaseWhenNoVariantFits(t *testing.T) {
	f := newFixture(t)
	f.buyingGroup()
	_, err := f.acts.SendContent(context.Background(), sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	olaf := onlyMailTo(t, f, "olaf@acme.example")
	require.Equal(t, "Olaf, 12 steps for Acme GmbH", olaf.Subject)
	require.Equal(t, "base", f.variantOf("acme-olaf"))
	require.Len(t, f.sg.Messages(), 3)
}

func TestAnAudienceNobodyOfTheAccountIsInMailsNobody(t *testing.T) {
	f := newFixture(t)
	f.buyingGroup()
	req := sendReq("checklist", "checklist", 1)
	req.JourneyID, req.Version = "finance", f.publish("finance", map[string]any{"audience": map[string]any{"personas": []string{"controller"}}})
	res, err := f.acts.SendContent(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, workflows.SendSuppressed, res.Status, "nobody to mail")
	require.Empty(t, f.sg.Messages())
}

func TestContentEmailsGoOutInTheOwnersNameUnlessTheJourneySaysCompany(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.acts.SendContent(ctx, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	m := onlyMailTo(t, f, "max@acme.example")
	require.Equal(t, "nurture@seller.example", m.From, "the configured address, which SPF and DKIM vouch for")
	require.Equal(t, "Eva Berger via Seller", m.FromName)
	require.Equal(t, "eva@seller.example", m.ReplyTo, "a reply reaches the owner")

	req := sendReq("case-study", "case-study", 1)
	req.JourneyID, req.Version = "newsletter", f.publish("newsletter", map[string]any{"sender": "company"})
	_, err = f.acts.SendContent(ctx, req)
	require.NoError(t, err)
	ms := f.mailsTo("max@acme.example")
	require.Len(t, ms, 2)
	require.Equal(t, "nurture@seller.example", ms[1].From)
	require.Equal(t, "Seller", ms[1].FromName)
	require.Empty(t, ms[1].ReplyTo)
}

func TestASendForAJourneyVersionThatDoesNotExistFailsForGood(t *testing.T) {
	f := newFixture(t)
	req := sendReq("checklist", "checklist", 1)
	req.Version = 7
	_, err := f.acts.SendContent(context.Background(), req)
	requireNonRetryable(t, err, "UnknownJourney")
	require.Empty(t, f.sg.Messages())
}
