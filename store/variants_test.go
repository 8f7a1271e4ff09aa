package store_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// fieldsOf lists the fields an invalid write names, in order.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	require.ErrorIs(t, err, store.ErrInvalid, "error: %v", err)
	var fe store.FieldErrors
	require.True(t, errors.As(err, &fe), "error: %v", err)
	var out []string
	for _, e := range fe {
		out = append(out, e.Field)
	}
	return out
}

func TestContactPersonas(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	require.NoError(t, f.s.PutPersona(ctx, store.Persona{ID: "it-lead", Name: "Head of IT"}))
	c := f.customer
	c.Contacts = append(c.Contacts,
		store.Contact{ID: "acme-ina", Email: "ina@acme.example", FirstName: "Ina", Locale: "de-AT", Persona: "it-lead"})

	t.Run("a contact's persona is stored with it; one without takes the customer's", func(t *testing.T) {
		require.NoError(t, f.s.PutCustomer(ctx, c))
		got, err := f.s.GetCustomer(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "", got.Contacts[0].Persona)
		require.Equal(t, "it-lead", got.Contacts[1].Persona)
		require.Equal(t, "ops-lead", got.PersonaOf(got.Contacts[0]))
		require.Equal(t, "it-lead", got.PersonaOf(got.Contacts[1]))

		list, err := f.s.ListCustomers(ctx, store.Page{})
		require.NoError(t, err)
		require.Equal(t, "it-lead", list[0].Contacts[1].Persona)
		ct, _, err := f.s.GetContact(ctx, "acme-ina")
		require.NoError(t, err)
		require.Equal(t, "it-lead", ct.Persona)
	})
	t.Run("an unknown persona is named at its contact, with the other mistakes", func(t *testing.T) {
		bad := c
		bad.Contacts = []store.Contact{c.Contacts[0], c.Contacts[1], c.Contacts[1]}
		bad.Contacts[1].Persona = "ghost"
		bad.Contacts[2] = store.Contact{ID: "acme-olaf", Email: "not an email", Persona: "it-lead"}
		err := f.s.PutCustomer(ctx, bad)
		require.Equal(t, []string{"contacts[2].email", "contacts[1].persona"}, fieldsOf(t, err))
		require.Contains(t, err.Error(), `unknown persona "ghost"`)
	})
	t.Run("a persona can be taken away again", func(t *testing.T) {
		c2 := c
		c2.Contacts = []store.Contact{c.Contacts[0], c.Contacts[1]}
		c2.Contacts[1].Persona = ""
		require.NoError(t, f.s.PutCustomer(ctx, c2))
		got, err := f.s.GetCustomer(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "", got.Contacts[1].Persona)
	})
}

func TestMissingPersonas(t *testing.T) {
	f := newFixture(t)
	missing, err := f.s.MissingPersonas(t.Context(), []string{"ghost", "ops-lead", "cfo", "ghost"})
	require.NoError(t, err)
	require.Equal(t, []string{"cfo", "ghost"}, missing)
}

func TestContentVariants(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "it-lead", Name: "Head of IT"}))
	email := func(subject string) store.ContentEmail {
		return store.ContentEmail{Subject: subject, HTML: "<p>" + subject + "</p>", Text: subject}
	}
	checklist := store.Content{
		ID: "checklist", Title: "Automation checklist", Topic: "process-automation", Personas: []string{},
		URL: "https://example.com/checklist", Email: email("Base"),
		Variants: []store.ContentVariant{
			{Persona: "it-lead", Locale: "de", Email: email("IT auf Deutsch")},
			{Persona: "it-lead", Email: email("IT")},
			{Locale: "de-AT", Email: store.ContentEmail{TemplateID: "d-at"}},
		},
	}

	t.Run("variants come back as they were put, in order", func(t *testing.T) {
		require.NoError(t, s.PutContent(ctx, checklist))
		got, err := s.GetContent(ctx, checklist.ID)
		require.NoError(t, err)
		require.Equal(t, checklist, got)
		list, err := s.ListContent(ctx, store.Page{})
		require.NoError(t, err)
		require.Equal(t, checklist.Variants, list[0].Variants)
	})
	t.Run("a locale is kept in canonical form", func(t *testing.T) {
		c := checklist
		c.Variants = []store.ContentVariant{{Locale: "DE_at", Email: email("AT")}}
		require.NoError(t, s.PutContent(ctx, c))
		got, err := s.GetContent(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "de-AT", got.Variants[0].Locale)
	})
	t.Run("put without variants removes them", func(t *testing.T) {
		c := checklist
		c.Variants = nil
		require.NoError(t, s.PutContent(ctx, c))
		got, err := s.GetContent(ctx, c.ID)
		require.NoError(t, err)
		require.Empty(t, got.Variants)
	})
	t.Run("every bad variant field is named, and nothing changes", func(t *testing.T) {
		require.NoError(t, s.PutContent(ctx, checklist))
		c := checklist
		c.Title = "Changed"
		c.Variants = []store.ContentVariant{
			{Persona: "it-lead", Locale: "de", Email: email("ok")},
			{Persona: "it-lead", Locale: "deutsch!", Email: email("bad locale")},
			{Email: email("for nobody")},
			{Locale: "en", Email: store.ContentEmail{Subject: "no body"}},
			{Persona: "it-lead", Locale: "DE", Email: email("same as the first")},
			{Persona: "ghost", Email: email("unknown persona")},
		}
		err := s.PutContent(ctx, c)
		require.Equal(t, []string{"variants[1].locale", "variants[2]", "variants[3].email", "variants[4]", "variants[5].persona"}, fieldsOf(t, err))
		require.Contains(t, err.Error(), `"deutsch!" is not a BCP 47 language tag`)
		require.Contains(t, err.Error(), "same persona and locale as variants[0]")
		got, err := s.GetContent(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, checklist, got)
	})
	t.Run("too many variants are refused", func(t *testing.T) {
		c := checklist
		c.Variants = make([]store.ContentVariant, store.MaxVariants+1)
		require.Equal(t, []string{"variants"}, fieldsOf(t, s.PutContent(ctx, c)))
	})
}

func TestOutboxRecordsTheVariant(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	row, err := f.s.ClaimOutbox(ctx, store.OutboxKey{RunKey: "ripen/j/acme/r1", StepID: "checklist", Cycle: 1, ContactID: "acme-max"})
	require.NoError(t, err)
	v, err := f.s.OutboxVariant(ctx, row.ID)
	require.NoError(t, err)
	require.Equal(t, "", v)
	require.NoError(t, f.s.NoteOutboxVariant(ctx, row.ID, "it-lead/de"))
	v, err = f.s.OutboxVariant(ctx, row.ID)
	require.NoError(t, err)
	require.Equal(t, "it-lead/de", v)
	requireKind(t, f.s.NoteOutboxVariant(ctx, row.ID+1000, "base"), store.ErrNotFound, "")
}

func TestEmailForChoosesTheMostSpecificVariant(t *testing.T) {
	email := func(s string) store.ContentEmail { return store.ContentEmail{Subject: s, Text: s} }
	c := store.Content{ID: "c", Email: email("base"), Variants: []store.ContentVariant{
		{Persona: "it-lead", Locale: "de", Email: email("it-lead/de")},
		{Persona: "it-lead", Locale: "en-GB", Email: email("it-lead/en-GB")},
		{Persona: "it-lead", Email: email("it-lead")},
		{Locale: "de", Email: email("de")},
		{Locale: "de-AT", Email: email("de-AT")},
		{Persona: "cfo", Locale: "fr", Email: email("cfo/fr")},
	}}
	cases := []struct {
		name, persona, locale, want string
	}{
		{"persona and locale both match", "it-lead", "de", "it-lead/de"},
		{"a region matches its language's variant", "it-lead", "de-CH", "it-lead/de"},
		{"a language matches a regional variant when it is the only one", "it-lead", "en-US", "it-lead/en-GB"},
		{"the persona alone when no locale of it fits", "it-lead", "fr", "it-lead"},
		{"the persona alone for a contact without a locale", "it-lead", "", "it-lead"},
		{"the persona alone when the locale is no tag", "it-lead", "klingon!", "it-lead"},
		{"the locale alone for another persona", "ops-lead", "de", "de"},
		{"the exact region before the language", "ops-lead", "de-AT", "de-AT"},
		{"the locale alone for a contact without a persona", "", "de-DE", "de"},
		{"base when nothing fits", "ops-lead", "en", "base"},
		{"base for nobody in particular", "", "", "base"},
		{"a persona's variant for another locale does not fit", "cfo", "de", "de"},
		{"nor a language that merely resembles", "cfo", "it", "base"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, label := c.EmailFor(tc.persona, tc.locale)
			require.Equal(t, tc.want, label)
			require.Equal(t, tc.want, got.Subject, "the email is the one the label names")
		})
	}
	t.Run("content without variants is always base", func(t *testing.T) {
		got, label := store.Content{Email: email("base")}.EmailFor("it-lead", "de")
		require.Equal(t, "base", label)
		require.Equal(t, "base", got.Subject)
	})
}
