package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func TestConsoleSignInOpensOneSessionWhoseRoleIsReadFromItsSubject(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutConsoleUser(ctx, store.ConsoleUser{ID: "ina", Email: "Ina@Ripen.example", Name: "Ina Weber", Role: store.RoleMarketing}))
	u, err := s.ConsoleUserByEmail(ctx, "ina@ripen.EXAMPLE")
	require.NoError(t, err)
	require.Equal(t, "ina", u.ID, "case does not matter")
	now := time.Now()

	token, err := s.CreateConsoleSignIn(ctx, store.ConsoleSubject{UserID: "ina"}, now.Add(15*time.Minute))
	require.NoError(t, err)
	ok, err := s.ConsoleSignInValid(ctx, token, now)
	require.NoError(t, err)
	require.True(t, ok, "looking does not use it")
	ok, err = s.ConsoleSignInValid(ctx, token, now.Add(16*time.Minute))
	require.NoError(t, err)
	require.False(t, ok, "expired")

	sess, err := s.UseConsoleSignIn(ctx, token, now, 12*time.Hour)
	require.NoError(t, err)
	require.Equal(t, "ina", sess.UserID)
	require.Equal(t, store.RoleMarketing, sess.Role)
	require.Equal(t, "Ina Weber", sess.Name)
	_, err = s.UseConsoleSignIn(ctx, token, now, 12*time.Hour)
	require.ErrorIs(t, err, store.ErrNotFound, "a sign-in link works once")

	// The role is the user's now, not when they signed in.
	require.NoError(t, s.PutConsoleUser(ctx, store.ConsoleUser{ID: "ina", Email: "ina@ripen.example", Role: store.RoleAdmin}))
	sess, err = s.GetConsoleSession(ctx, sess.Token, now)
	require.NoError(t, err)
	require.Equal(t, store.RoleAdmin, sess.Role)
	require.Equal(t, "ina@ripen.example", sess.Name, "without a name, the address")
	_, err = s.GetConsoleSession(ctx, sess.Token, now.Add(13*time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound, "expired")
	require.NoError(t, s.RevokeConsoleSession(ctx, sess.Token, now))
	_, err = s.GetConsoleSession(ctx, sess.Token, now)
	require.ErrorIs(t, err, store.ErrNotFound, "revoked")

	// An owner signs in as sales bound to their book.
	require.NoError(t, s.PutOwner(ctx, store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"}))
	ot, err := s.CreateConsoleSignIn(ctx, store.ConsoleSubject{OwnerID: "rep-eva"}, now.Add(time.Minute))
	require.NoError(t, err)
	osess, err := s.UseConsoleSignIn(ctx, ot, now, time.Hour)
	require.NoError(t, err)
	require.Equal(t, store.RoleSales, osess.Role)
	require.Equal(t, "rep-eva", osess.OwnerID)
	require.Equal(t, "Eva Berger", osess.Name)

	// Removing a user ends their sessions.
	it, err := s.CreateConsoleSignIn(ctx, store.ConsoleSubject{UserID: "ina"}, now.Add(time.Minute))
	require.NoError(t, err)
	is, err := s.UseConsoleSignIn(ctx, it, now, time.Hour)
	require.NoError(t, err)
	require.NoError(t, s.DeleteConsoleUser(ctx, "ina"))
	_, err = s.GetConsoleSession(ctx, is.Token, now)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.DeleteConsoleUser(ctx, "ina"), store.ErrNotFound)
}

func TestConsoleSessionOfAnAPIKeyEndsWithTheKey(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutOwner(ctx, store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"}))
	_, key, err := s.CreateAPIKeyWith(ctx, store.NewAPIKey{Role: store.RoleSales, Label: "eva's key", OwnerID: "rep-eva"})
	require.NoError(t, err)
	now := time.Now()
	sess, err := s.CreateConsoleSession(ctx, store.ConsoleSubject{APIKeyID: key.ID}, now, time.Hour)
	require.NoError(t, err)
	require.Equal(t, store.RoleSales, sess.Role)
	require.Equal(t, "rep-eva", sess.OwnerID, "the key's owner binding holds")
	require.Equal(t, "eva's key", sess.Name)
	require.NoError(t, s.RevokeAPIKey(ctx, key.ID))
	_, err = s.GetConsoleSession(ctx, sess.Token, now)
	require.ErrorIs(t, err, store.ErrNotFound, "a revoked key's session ends")
}

func TestConsoleUsersAreCheckedFieldByField(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	err := s.PutConsoleUser(ctx, store.ConsoleUser{ID: "a b", Email: "nope", Name: "x\ny", Role: "boss"})
	var fe store.FieldErrors
	require.ErrorAs(t, err, &fe)
	require.Len(t, fe, 4)
	require.NoError(t, s.PutConsoleUser(ctx, store.ConsoleUser{ID: "ina", Email: "ina@ripen.example", Role: store.RoleSales}))
	err = s.PutConsoleUser(ctx, store.ConsoleUser{ID: "tom", Email: "INA@ripen.example", Role: store.RoleSales})
	require.ErrorIs(t, err, store.ErrConflict, "one address, one user")
	users, err := s.ListConsoleUsers(ctx, store.Page{})
	require.NoError(t, err)
	require.Len(t, users, 1)
}
