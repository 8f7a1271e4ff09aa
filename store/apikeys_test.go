package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func TestAPIKeysBoundToAnOwnerAndExpiring(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutOwner(ctx, store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"}))

	t.Run("a sales key bound to an owner says so", func(t *testing.T) {
		expires := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Microsecond)
		plain, key, err := s.CreateAPIKeyWith(ctx, store.NewAPIKey{Role: store.RoleSales, Label: "Eva", OwnerID: "rep-eva", ExpiresAt: &expires})
		require.NoError(t, err)
		require.Equal(t, "rep-eva", key.OwnerID)
		got, err := s.AuthenticateAPIKey(ctx, plain)
		require.NoError(t, err)
		require.Equal(t, "rep-eva", got.OwnerID)
		require.NotNil(t, got.ExpiresAt)
		require.True(t, expires.Equal(*got.ExpiresAt))
	})
	t.Run("a key of no owner has none", func(t *testing.T) {
		plain, _, err := s.CreateAPIKey(ctx, store.RoleMarketing, "Mia")
		require.NoError(t, err)
		got, err := s.AuthenticateAPIKey(ctx, plain)
		require.NoError(t, err)
		require.Empty(t, got.OwnerID)
		require.Nil(t, got.ExpiresAt)
	})
	t.Run("an expired key is refused like a revoked one", func(t *testing.T) {
		past := time.Now().Add(-time.Minute)
		plain, _, err := s.CreateAPIKeyWith(ctx, store.NewAPIKey{Role: store.RoleAdmin, Label: "old", ExpiresAt: &past})
		require.NoError(t, err)
		_, err = s.AuthenticateAPIKey(ctx, plain)
		requireKind(t, err, store.ErrNotFound, "")
	})
	t.Run("the owner must exist and binds sales keys only", func(t *testing.T) {
		_, _, err := s.CreateAPIKeyWith(ctx, store.NewAPIKey{Role: store.RoleSales, Label: "x", OwnerID: "rep-nobody"})
		se := requireKind(t, err, store.ErrInvalid, "owner")
		require.Contains(t, se.Error(), "unknown account owner")
		_, _, err = s.CreateAPIKeyWith(ctx, store.NewAPIKey{Role: store.RoleMarketing, Label: "x", OwnerID: "rep-eva"})
		se = requireKind(t, err, store.ErrInvalid, "owner")
		require.Contains(t, se.Error(), "only a sales key")
		_, err = s.Pool().Exec(ctx, `INSERT INTO api_keys (role, prefix, hash, owner_id) VALUES ('admin', 'rpn_x', sha256('x'), 'rep-eva')`)
		requirePgCode(t, err, "23514")
	})
}
