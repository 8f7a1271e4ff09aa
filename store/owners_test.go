package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// A customer's write may name its owner but never change a known owner:
// hand-offs go to the owner's address, so that changes only through
// PutOwner (an admin's).
func TestACustomerWriteNeverChangesAKnownOwner(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))
	eva := store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"}
	require.NoError(t, s.PutCustomer(ctx, customer("acme")), "a new owner is created with the customer")

	for name, tc := range map[string]struct {
		owner  store.Owner
		fields []string
	}{
		"another email":          {store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "mallory@evil.example"}, []string{"owner.email"}},
		"another name":           {store.Owner{ID: "rep-eva", Name: "Mallory", Email: "eva@seller.example"}, []string{"owner.name"}},
		"both":                   {store.Owner{ID: "rep-eva", Name: "Mallory", Email: "mallory@evil.example"}, []string{"owner.name", "owner.email"}},
		"another email, no name": {store.Owner{ID: "rep-eva", Email: "mallory@evil.example"}, []string{"owner.email"}},
	} {
		t.Run(name, func(t *testing.T) {
			c := customer("acme")
			c.Name = "Acme renamed"
			c.Owner = tc.owner
			err := s.PutCustomer(ctx, c)
			requireKind(t, err, store.ErrForbidden, tc.fields[0])
			var all store.FieldErrors
			require.ErrorAs(t, err, &all)
			var got []string
			for _, e := range all {
				got = append(got, e.Field)
				require.Contains(t, e.Msg, "PUT /v1/owners/rep-eva")
				require.NotContains(t, e.Error(), "@", "no email address in an error")
			}
			require.Equal(t, tc.fields, got)

			owner, err := s.GetOwner(ctx, "rep-eva")
			require.NoError(t, err)
			require.Equal(t, eva, owner, "the owner row is unchanged")
			stored, err := s.GetCustomer(ctx, "acme")
			require.NoError(t, err)
			require.Equal(t, "acme GmbH", stored.Name, "nothing of the refused write is stored")
		})
	}
	for name, given := range map[string]store.Owner{
		"by ID alone":           {ID: "rep-eva"},
		"as it is":              {ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"},
		"by ID and email":       {ID: "rep-eva", Email: "eva@seller.example"},
		"with the email's case": {ID: "rep-eva", Name: "Eva Berger", Email: "Eva@Seller.example"},
	} {
		t.Run("a known owner named "+name+" is fine", func(t *testing.T) {
			c := customer("globex")
			c.Owner = given
			require.NoError(t, s.PutCustomer(ctx, c))
			owner, err := s.GetOwner(ctx, "rep-eva")
			require.NoError(t, err)
			require.Equal(t, eva, owner)
		})
	}
	t.Run("mistakes are named before the owner is compared", func(t *testing.T) {
		c := customer("acme")
		c.Owner.Email = "not-an-email"
		c.Contacts = nil
		requireKind(t, s.PutCustomer(ctx, c), store.ErrInvalid, "owner.email")
	})
}

// Writes racing to create the same new owner with different emails: one
// creates it, the others are refused, and the owner is the winner's.
func TestRacingCustomerWritesCreateANewOwnerOnce(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := customer(fmt.Sprintf("c%d", i))
			c.Owner = store.Owner{ID: "rep-new", Name: "New Rep", Email: fmt.Sprintf("rep%d@seller.example", i)}
			errs[i] = s.PutCustomer(ctx, c)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "two writes created the owner")
			winner = i
			continue
		}
		requireKind(t, err, store.ErrForbidden, "owner.email")
	}
	require.NotEqual(t, -1, winner, "one write created the owner")
	owner, err := s.GetOwner(ctx, "rep-new")
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("rep%d@seller.example", winner), owner.Email)
}

func TestOwners(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))

	t.Run("put creates, put again replaces", func(t *testing.T) {
		eva := store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"}
		require.NoError(t, s.PutOwner(ctx, eva))
		require.NoError(t, s.PutCustomer(ctx, customer("acme")))
		eva.Email = "eva.berger@seller.example"
		require.NoError(t, s.PutOwner(ctx, eva))
		got, err := s.GetOwner(ctx, "rep-eva")
		require.NoError(t, err)
		require.Equal(t, eva, got)
		c, err := s.GetCustomer(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, eva, c.Owner, "the customer's owner is the changed one")
	})
	t.Run("every mistake is named", func(t *testing.T) {
		err := s.PutOwner(ctx, store.Owner{ID: "a b", Name: "", Email: "nope"})
		var all store.FieldErrors
		require.ErrorAs(t, err, &all)
		require.ErrorIs(t, err, store.ErrInvalid)
		var got []string
		for _, e := range all {
			got = append(got, e.Field)
		}
		require.Equal(t, []string{"id", "name", "email"}, got)
		requireKind(t, s.PutOwner(ctx, store.Owner{ID: "rep-x", Name: "X\r\nBcc: all@example.com", Email: "x@seller.example"}), store.ErrInvalid, "name")
		_, err = s.GetOwner(ctx, "rep-x")
		requireKind(t, err, store.ErrNotFound, "")
	})
	t.Run("list pages by ID", func(t *testing.T) {
		require.NoError(t, s.PutOwner(ctx, store.Owner{ID: "rep-ann", Name: "Ann", Email: "ann@seller.example"}))
		page, err := s.ListOwners(ctx, store.Page{Limit: 1})
		require.NoError(t, err)
		require.Equal(t, []store.Owner{{ID: "rep-ann", Name: "Ann", Email: "ann@seller.example"}}, page)
		page, err = s.ListOwners(ctx, store.Page{After: "rep-ann"})
		require.NoError(t, err)
		require.Len(t, page, 1)
		require.Equal(t, "rep-eva", page[0].ID)
	})
	t.Run("the owner of a customer", func(t *testing.T) {
		owner, err := s.OwnerOfCustomer(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, "rep-eva", owner)
		_, err = s.OwnerOfCustomer(ctx, "nobody")
		requireKind(t, err, store.ErrNotFound, "")
	})
}
