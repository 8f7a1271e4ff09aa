package store_test

import (
	"cmp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func TestRunContexts(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "it-lead", Name: "Head of IT"}))
	contact := func(id, email, tz string) store.Contact {
		return store.Contact{ID: id, Email: email, FirstName: "X", Timezone: tz}
	}
	itLead := func(c store.Contact) store.Contact {
		c.Persona = "it-lead"
		return c
	}
	put := func(id, owner string, contacts ...store.Contact) {
		t.Helper()
		c := customer(id)
		c.Owner = store.Owner{ID: owner, Name: owner, Email: owner + "@seller.example"}
		c.Contacts = contacts
		require.NoError(t, s.PutCustomer(ctx, c))
	}
	put("acme", "rep-eva", contact("acme-max", "max@acme.example", "Europe/Berlin"))
	// The first contact names no zone: the first one that does counts.
	put("globex", "rep-tom",
		contact("globex-ann", "ann@globex.example", ""),
		contact("globex-bob", "Bob@Globex.example", "America/New_York"),
		itLead(contact("globex-cid", "cid@globex.example", "Asia/Tokyo")))
	// Every contact suppressed, one by an address in another case.
	put("initech", "rep-eva",
		itLead(contact("initech-pam", "PAM@initech.example", "Europe/Vienna")),
		contact("initech-sam", "sam@initech.example", ""))
	put("umbrella", "rep-tom", contact("umbrella-joe", "joe@umbrella.example", ""))
	for _, email := range []string{"pam@initech.example", "Sam@Initech.example", "ann@globex.example"} {
		require.NoError(t, s.Suppress(ctx, email, "unsubscribe", "test"))
	}

	got, err := s.RunContexts(ctx, []string{"acme", "globex", "initech", "umbrella", "nobody", "acme"})
	require.NoError(t, err)
	require.Equal(t, map[string]store.RunContext{
		"acme": {CustomerID: "acme", OwnerID: "rep-eva", Timezone: "Europe/Berlin", Reachable: true, Timezones: []string{"Europe/Berlin"},
			Personas: []string{"ops-lead"}, ReachablePersonas: []string{"ops-lead"}},
		"globex": {CustomerID: "globex", OwnerID: "rep-tom", Timezone: "America/New_York", Reachable: true, Timezones: []string{"America/New_York", "Asia/Tokyo"},
			Personas: []string{"it-lead", "ops-lead"}, ReachablePersonas: []string{"it-lead", "ops-lead"}},
		"initech": {CustomerID: "initech", OwnerID: "rep-eva", Timezone: "Europe/Vienna", Reachable: false,
			Personas: []string{"it-lead", "ops-lead"}},
		"umbrella": {CustomerID: "umbrella", OwnerID: "rep-tom", Timezone: "", Reachable: true, Timezones: []string{"UTC"},
			Personas: []string{"ops-lead"}, ReachablePersonas: []string{"ops-lead"}},
	}, got, "unknown customers are absent; the zones and reachable personas are the reachable contacts' (Ann is suppressed)")

	t.Run("agrees with GetCustomer and IsSuppressed", func(t *testing.T) {
		for id, rc := range got {
			c, err := s.GetCustomer(ctx, id)
			require.NoError(t, err)
			want := store.RunContext{CustomerID: id, OwnerID: c.Owner.ID}
			for _, ct := range c.Contacts {
				if want.Timezone == "" {
					want.Timezone = ct.Timezone
				}
			}
			for _, ct := range c.Contacts {
				sup, err := s.IsSuppressed(ctx, ct.Email)
				require.NoError(t, err)
				want.Reachable = want.Reachable || !sup
				zone := cmp.Or(ct.Timezone, want.Timezone, "UTC")
				if !sup && !slices.Contains(want.Timezones, zone) {
					want.Timezones = append(want.Timezones, zone)
				}
				persona := c.PersonaOf(ct)
				if !slices.Contains(want.Personas, persona) {
					want.Personas = append(want.Personas, persona)
				}
				if !sup && !slices.Contains(want.ReachablePersonas, persona) {
					want.ReachablePersonas = append(want.ReachablePersonas, persona)
				}
			}
			slices.Sort(want.Timezones)
			slices.Sort(want.Personas)
			slices.Sort(want.ReachablePersonas)
			require.Equal(t, want, rc, id)
		}
	})
	t.Run("contact order follows position, not ID", func(t *testing.T) {
		put("hooli", "rep-eva",
			contact("hooli-z", "z@hooli.example", "Europe/Paris"),
			contact("hooli-a", "a@hooli.example", "Europe/Madrid"))
		rcs, err := s.RunContexts(ctx, []string{"hooli"})
		require.NoError(t, err)
		require.Equal(t, "Europe/Paris", rcs["hooli"].Timezone)
	})
	t.Run("unsuppressing makes a customer reachable again", func(t *testing.T) {
		require.NoError(t, s.Unsuppress(ctx, "sam@initech.example"))
		rcs, err := s.RunContexts(ctx, []string{"initech"})
		require.NoError(t, err)
		require.True(t, rcs["initech"].Reachable)
	})
	t.Run("no IDs, no contexts", func(t *testing.T) {
		rcs, err := s.RunContexts(ctx, nil)
		require.NoError(t, err)
		require.Empty(t, rcs)
	})
}
