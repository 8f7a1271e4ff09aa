package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func TestASignInOpensOneSessionOnceAndOnlyBeforeItExpires(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutOwner(ctx, store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "Eva@Seller.example"}))
	owners, err := s.OwnersByEmail(ctx, "eva@seller.EXAMPLE")
	require.NoError(t, err)
	require.Len(t, owners, 1, "case does not matter")
	now := time.Now()

	token, err := s.CreateSignIn(ctx, "rep-eva", now.Add(15*time.Minute))
	require.NoError(t, err)
	owner, err := s.SignInOwner(ctx, token, now)
	require.NoError(t, err)
	require.Equal(t, "rep-eva", owner, "looking does not use it")
	_, err = s.SignInOwner(ctx, token, now.Add(16*time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound, "expired")

	sess, err := s.UseSignIn(ctx, token, now, 12*time.Hour)
	require.NoError(t, err)
	require.Equal(t, "rep-eva", sess.OwnerID)
	require.NotEmpty(t, sess.Token)
	_, err = s.UseSignIn(ctx, token, now, 12*time.Hour)
	require.ErrorIs(t, err, store.ErrNotFound, "a sign-in link works once")

	late, err := s.CreateSignIn(ctx, "rep-eva", now.Add(15*time.Minute))
	require.NoError(t, err)
	_, err = s.UseSignIn(ctx, late, now.Add(15*time.Minute), 12*time.Hour)
	require.ErrorIs(t, err, store.ErrNotFound, "not once expired")
	_, err = s.UseSignIn(ctx, "made-up", now, 12*time.Hour)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestASessionEndsWhenItExpiresOrIsRevoked(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutOwner(ctx, store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"}))
	now := time.Now()
	open := func() store.Session {
		token, err := s.CreateSignIn(ctx, "rep-eva", now.Add(time.Minute))
		require.NoError(t, err)
		sess, err := s.UseSignIn(ctx, token, now, 12*time.Hour)
		require.NoError(t, err)
		return sess
	}
	sess := open()
	got, err := s.GetSession(ctx, sess.Token, now.Add(11*time.Hour))
	require.NoError(t, err)
	require.Equal(t, "rep-eva", got.OwnerID)
	_, err = s.GetSession(ctx, sess.Token, now.Add(12*time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound, "expired")

	other := open()
	require.NoError(t, s.RevokeSession(ctx, other.Token, now))
	_, err = s.GetSession(ctx, other.Token, now)
	require.ErrorIs(t, err, store.ErrNotFound, "revoked")
	require.NoError(t, s.RevokeSession(ctx, other.Token, now), "revoking twice changes nothing")

	n, err := s.PruneSignIns(ctx, now.Add(13*time.Hour))
	require.NoError(t, err)
	require.Equal(t, int64(4), n, "two sign-ins, two sessions")
}

func TestPhoneNumbersAreCheckedLoosely(t *testing.T) {
	for _, ok := range []string{"", "+49 (0)30 1234-56", "030/123 456"} {
		require.True(t, store.ValidPhone(ok), ok)
	}
	for _, bad := range []string{"call me", "+49 30 1234\n", "1234567890123456789012345678901234567890123"} {
		require.False(t, store.ValidPhone(bad), bad)
	}
}

func TestAContactKeepsItsPhoneAndABadOneIsNamed(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	c := store.Customer{ID: "acme", Name: "Acme GmbH", Owner: store.Owner{ID: "rep-eva", Email: "eva@seller.example"},
		Contacts: []store.Contact{{ID: "acme-max", Email: "max@acme.example", Phone: "+49 30 1234-56"}}}
	require.NoError(t, s.PutCustomer(ctx, c))
	got, err := s.GetCustomer(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, "+49 30 1234-56", got.Contacts[0].Phone)
	ct, _, err := s.GetContact(ctx, "acme-max")
	require.NoError(t, err)
	require.Equal(t, "+49 30 1234-56", ct.Phone)

	c.Contacts[0].Phone = "ring ring"
	err = s.PutCustomer(ctx, c)
	require.ErrorIs(t, err, store.ErrInvalid)
	var fe store.FieldErrors
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "contacts[0].phone", fe[0].Field)
}
