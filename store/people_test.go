package store_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func TestPersonas(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()

	t.Run("put then get returns the same persona", func(t *testing.T) {
		p := store.Persona{ID: "ops-lead", Name: "Head of Operations", Role: "operations",
			Pains: []string{"manual order entry"}, Goals: []string{"lead time -30%"},
			Topics: []string{"process-automation"}}
		require.NoError(t, s.PutPersona(ctx, p))
		got, err := s.GetPersona(ctx, "ops-lead")
		require.NoError(t, err)
		require.Equal(t, p, got)
	})
	t.Run("put again replaces it", func(t *testing.T) {
		require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "COO"}))
		got, err := s.GetPersona(ctx, "ops-lead")
		require.NoError(t, err)
		require.Equal(t, store.Persona{ID: "ops-lead", Name: "COO", Pains: []string{}, Goals: []string{}, Topics: []string{}}, got)
	})
	t.Run("unknown persona is not found", func(t *testing.T) {
		_, err := s.GetPersona(ctx, "nobody")
		se := requireKind(t, err, store.ErrNotFound, "")
		require.Equal(t, `persona "nobody" not found`, se.Error())
	})
	t.Run("a persona needs a name", func(t *testing.T) {
		err := s.PutPersona(ctx, store.Persona{ID: "anon"})
		se := requireKind(t, err, store.ErrInvalid, "name")
		require.Equal(t, `persona "anon": invalid name: is required`, se.Error())
	})
	t.Run("an ID with a slash is refused", func(t *testing.T) {
		err := s.PutPersona(ctx, store.Persona{ID: "a/b", Name: "A"})
		requireKind(t, err, store.ErrInvalid, "id")
	})
	t.Run("list pages by ID", func(t *testing.T) {
		for i := range 5 {
			require.NoError(t, s.PutPersona(ctx, store.Persona{ID: fmt.Sprintf("p%d", i), Name: "P"}))
		}
		first, err := s.ListPersonas(ctx, store.Page{Limit: 4})
		require.NoError(t, err)
		require.Equal(t, []string{"ops-lead", "p0", "p1", "p2"}, personaIDs(first))
		rest, err := s.ListPersonas(ctx, store.Page{After: "p2", Limit: 4})
		require.NoError(t, err)
		require.Equal(t, []string{"p3", "p4"}, personaIDs(rest))
	})
}

func personaIDs(ps []store.Persona) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

func TestContent(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "cfo", Name: "CFO"}))
	checklist := store.Content{
		ID: "automation-checklist", Title: "Automation checklist", Topic: "process-automation",
		Stage: "awareness", Personas: []string{"ops-lead", "cfo"}, URL: "https://example.com/automation-checklist",
		Email: store.ContentEmail{Subject: "{{.Contact.FirstName}}, 12 steps", HTML: "<p>Read</p>", Text: "Read"},
	}

	t.Run("put then get returns the same content, personas in order", func(t *testing.T) {
		require.NoError(t, s.PutContent(ctx, checklist))
		got, err := s.GetContent(ctx, checklist.ID)
		require.NoError(t, err)
		require.Equal(t, checklist, got)
	})
	t.Run("put again replaces the personas", func(t *testing.T) {
		c := checklist
		c.Personas = []string{"cfo"}
		require.NoError(t, s.PutContent(ctx, c))
		got, err := s.GetContent(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"cfo"}, got.Personas)
	})
	t.Run("an unknown persona is refused and nothing changes", func(t *testing.T) {
		c := checklist
		c.Title = "Changed"
		c.Personas = []string{"ops-lead", "ghost"}
		err := s.PutContent(ctx, c)
		se := requireKind(t, err, store.ErrInvalid, "personas")
		require.Contains(t, se.Error(), "unknown persona")
		got, err := s.GetContent(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Automation checklist", got.Title)
	})
	t.Run("a persona listed twice is refused", func(t *testing.T) {
		c := checklist
		c.Personas = []string{"cfo", "cfo"}
		requireKind(t, s.PutContent(ctx, c), store.ErrInvalid, "personas")
	})
	t.Run("content without an email body or template is refused", func(t *testing.T) {
		c := checklist
		c.ID = "no-email"
		c.Email = store.ContentEmail{Subject: "Hi"}
		requireKind(t, s.PutContent(ctx, c), store.ErrInvalid, "email")
		c.Email = store.ContentEmail{TemplateID: "d-123"}
		require.NoError(t, s.PutContent(ctx, c))
	})
	t.Run("a non-http URL is refused", func(t *testing.T) {
		c := checklist
		c.URL = "javascript:alert(1)"
		requireKind(t, s.PutContent(ctx, c), store.ErrInvalid, "url")
	})
	t.Run("missing content is not found and listed", func(t *testing.T) {
		_, err := s.GetContent(ctx, "nope")
		requireKind(t, err, store.ErrNotFound, "")
		missing, err := s.MissingContent(ctx, []string{"zz", checklist.ID, "aa"})
		require.NoError(t, err)
		require.Equal(t, []string{"zz", "aa"}, missing)
	})
	t.Run("list pages by ID", func(t *testing.T) {
		all, err := s.ListContent(ctx, store.Page{})
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, "automation-checklist", all[0].ID)
		rest, err := s.ListContent(ctx, store.Page{After: all[0].ID})
		require.NoError(t, err)
		require.Len(t, rest, 1)
		require.Equal(t, "no-email", rest[0].ID)
	})
}

func TestCustomers(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))

	t.Run("put then get returns customer, owner and contacts", func(t *testing.T) {
		c := customer("acme")
		c.Contacts = append(c.Contacts, store.Contact{ID: "acme-anna", Email: "anna@acme.example", FirstName: "Anna"})
		c.Products = []store.Product{} // owns nothing: GET says so with an empty list
		require.NoError(t, s.PutCustomer(ctx, c))
		got, err := s.GetCustomer(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, c, got)

		owner, err := s.GetOwner(ctx, "rep-eva")
		require.NoError(t, err)
		require.Equal(t, c.Owner, owner)
		contact, customerID, err := s.GetContact(ctx, "acme-anna")
		require.NoError(t, err)
		require.Equal(t, "acme", customerID)
		require.Equal(t, c.Contacts[1], contact)
	})
	t.Run("contacts no longer listed are removed", func(t *testing.T) {
		c := customer("acme")
		c.Contacts[0].FirstName = "Maximilian"
		require.NoError(t, s.PutCustomer(ctx, c))
		got, err := s.GetCustomer(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, c.Contacts, got.Contacts)
		_, _, err = s.GetContact(ctx, "acme-anna")
		requireKind(t, err, store.ErrNotFound, "")
	})
	t.Run("an owner given by ID alone must exist", func(t *testing.T) {
		c := customer("globex")
		c.Owner = store.Owner{ID: "rep-eva"}
		require.NoError(t, s.PutCustomer(ctx, c))
		got, err := s.GetCustomer(ctx, "globex")
		require.NoError(t, err)
		require.Equal(t, "eva@seller.example", got.Owner.Email)

		c.Owner = store.Owner{ID: "rep-nobody"}
		se := requireKind(t, s.PutCustomer(ctx, c), store.ErrInvalid, "owner.id")
		require.Equal(t, `customer "globex": invalid owner.id: unknown account owner`, se.Error())
	})
	t.Run("a contact of another customer is a conflict", func(t *testing.T) {
		c := customer("initech")
		c.Contacts = []store.Contact{{ID: "acme-max", Email: "max@initech.example"}}
		requireKind(t, s.PutCustomer(ctx, c), store.ErrConflict, "contacts[0].id")
		_, err := s.GetCustomer(ctx, "initech")
		requireKind(t, err, store.ErrNotFound, "") // the whole put rolled back
		contact, customerID, err := s.GetContact(ctx, "acme-max")
		require.NoError(t, err)
		require.Equal(t, "acme", customerID)
		require.Equal(t, "max@acme.example", contact.Email)
	})
	t.Run("mistakes name the field", func(t *testing.T) {
		for name, tc := range map[string]struct {
			edit  func(*store.Customer)
			field string
		}{
			"no name":              {func(c *store.Customer) { c.Name = "" }, "name"},
			"unknown persona":      {func(c *store.Customer) { c.Persona = "ghost" }, "persona"},
			"no owner":             {func(c *store.Customer) { c.Owner = store.Owner{} }, "owner.id"},
			"bad owner email":      {func(c *store.Customer) { c.Owner.Email = "eva" }, "owner.email"},
			"no contacts":          {func(c *store.Customer) { c.Contacts = nil }, "contacts"},
			"bad contact email":    {func(c *store.Customer) { c.Contacts[0].Email = "max at acme" }, "contacts[0].email"},
			"unknown timezone":     {func(c *store.Customer) { c.Contacts[0].Timezone = "Mars/Olympus" }, "contacts[0].timezone"},
			"contact listed twice": {func(c *store.Customer) { c.Contacts = append(c.Contacts, c.Contacts[0]) }, "contacts[1].id"},
			"bad contact ID": {func(c *store.Customer) {
				c.Contacts = append(c.Contacts, store.Contact{ID: "a b", Email: "a@b.example"})
			}, "contacts[1].id"},
		} {
			t.Run(name, func(t *testing.T) {
				c := customer("umbrella")
				tc.edit(&c)
				requireKind(t, s.PutCustomer(ctx, c), store.ErrInvalid, tc.field)
			})
		}
		_, err := s.GetCustomer(ctx, "umbrella")
		requireKind(t, err, store.ErrNotFound, "")
	})
	t.Run("an orphan contact is refused by the schema", func(t *testing.T) {
		_, err := s.Pool().Exec(ctx, `INSERT INTO contacts (id, customer_id, email) VALUES ('orphan', 'no-such-customer', 'o@x.example')`)
		requirePgCode(t, err, "23503")
	})
	t.Run("list pages by ID with contacts", func(t *testing.T) {
		cs, err := s.ListCustomers(ctx, store.Page{Limit: 1})
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.Equal(t, "acme", cs[0].ID)
		require.Len(t, cs[0].Contacts, 1)
		cs, err = s.ListCustomers(ctx, store.Page{After: "acme"})
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.Equal(t, "globex", cs[0].ID)
		require.Equal(t, "globex-max", cs[0].Contacts[0].ID)
	})
	t.Run("missing customers are listed once each", func(t *testing.T) {
		missing, err := s.MissingCustomers(ctx, []string{"acme", "zeta", "beta", "zeta"})
		require.NoError(t, err)
		require.Equal(t, []string{"beta", "zeta"}, missing)
	})
}
