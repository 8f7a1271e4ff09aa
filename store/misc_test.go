package store_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func TestSuppressions(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()

	require.NoError(t, s.Suppress(ctx, " Max@Acme.example ", "unsubscribe", "link"))
	require.NoError(t, s.Suppress(ctx, "max@acme.example", "bounce", "webhook"), "suppressing again is fine")
	for _, email := range []string{"max@acme.example", "MAX@ACME.EXAMPLE"} {
		ok, err := s.IsSuppressed(ctx, email)
		require.NoError(t, err)
		require.True(t, ok, email)
	}
	ok, err := s.IsSuppressed(ctx, "anna@acme.example")
	require.NoError(t, err)
	require.False(t, ok)

	var listed, reason string
	var rows int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT email, reason, count(*) OVER () FROM suppressions`).Scan(&listed, &reason, &rows))
	require.Equal(t, 1, rows, "one address, however it was written")
	require.Equal(t, "max@acme.example", listed)
	require.Equal(t, "unsubscribe", reason, "the first reason stays")

	requireKind(t, s.Suppress(ctx, "not an address", "manual", "api"), store.ErrInvalid, "email")
	requireKind(t, s.Suppress(ctx, "a@b.example", "", "api"), store.ErrInvalid, "reason")
	_, err = s.Pool().Exec(ctx, `INSERT INTO suppressions (email, reason) VALUES ('Upper@Case.example', 'manual')`)
	requirePgCode(t, err, "23514")

	require.NoError(t, s.Unsuppress(ctx, "MAX@acme.example"))
	ok, err = s.IsSuppressed(ctx, "max@acme.example")
	require.NoError(t, err)
	require.False(t, ok)
}

func TestMarkWebhookEvents(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()

	fresh, err := s.MarkWebhookEvents(ctx, []string{"sg-3", "sg-1", "sg-2", "sg-1"})
	require.NoError(t, err)
	require.Equal(t, []string{"sg-3", "sg-1", "sg-2"}, fresh)

	fresh, err = s.MarkWebhookEvents(ctx, []string{"sg-2", "sg-4"})
	require.NoError(t, err)
	require.Equal(t, []string{"sg-4"}, fresh)

	t.Run("concurrent deliveries hand each event to one caller", func(t *testing.T) {
		var ids []string
		for i := range 200 {
			ids = append(ids, fmt.Sprintf("c-%03d", i))
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				batch := append([]string(nil), ids...)
				if w%2 == 1 { // overlapping batches in opposite orders
					for i, j := 0, len(batch)-1; i < j; i, j = i+1, j-1 {
						batch[i], batch[j] = batch[j], batch[i]
					}
				}
				got, err := s.MarkWebhookEvents(ctx, batch)
				require.NoError(t, err)
				mu.Lock()
				defer mu.Unlock()
				for _, id := range got {
					seen[id]++
				}
			})
		}
		wg.Wait()
		require.Len(t, seen, len(ids))
		for id, n := range seen {
			require.Equal(t, 1, n, id)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()

	plaintext, key, err := s.CreateAPIKey(ctx, store.RoleSales, "eva's laptop")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(plaintext, "rpn_"))
	require.Len(t, plaintext, 4+43)
	require.True(t, strings.HasPrefix(plaintext, key.Prefix))
	require.Equal(t, store.RoleSales, key.Role)

	t.Run("only the hash is stored", func(t *testing.T) {
		var row string
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT k::text FROM api_keys k WHERE id = $1`, key.ID).Scan(&row))
		require.NotContains(t, row, plaintext[len(key.Prefix):])
		var stored []byte
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT hash FROM api_keys WHERE id = $1`, key.ID).Scan(&stored))
		sum := sha256.Sum256([]byte(plaintext))
		require.Equal(t, sum[:], stored)
	})
	t.Run("the key authenticates and records its use", func(t *testing.T) {
		got, err := s.AuthenticateAPIKey(ctx, plaintext)
		require.NoError(t, err)
		require.Equal(t, key.ID, got.ID)
		require.Equal(t, store.RoleSales, got.Role)
		keys, err := s.ListAPIKeys(ctx)
		require.NoError(t, err)
		require.Len(t, keys, 1)
		require.NotNil(t, keys[0].LastUsedAt)
	})
	t.Run("unknown keys are not found", func(t *testing.T) {
		for _, k := range []string{"", "rpn_nope", "Bearer " + plaintext, plaintext + "x"} {
			_, err := s.AuthenticateAPIKey(ctx, k)
			requireKind(t, err, store.ErrNotFound, "")
		}
	})
	t.Run("a revoked key is not found", func(t *testing.T) {
		require.NoError(t, s.RevokeAPIKey(ctx, key.ID))
		require.NoError(t, s.RevokeAPIKey(ctx, key.ID), "revoking again is a no-op")
		_, err := s.AuthenticateAPIKey(ctx, plaintext)
		requireKind(t, err, store.ErrNotFound, "")
		requireKind(t, s.RevokeAPIKey(ctx, 424242), store.ErrNotFound, "")
		keys, err := s.ListAPIKeys(ctx)
		require.NoError(t, err)
		require.NotNil(t, keys[0].RevokedAt)
	})
	t.Run("a bad role is refused", func(t *testing.T) {
		_, _, err := s.CreateAPIKey(ctx, "superuser", "x")
		se := requireKind(t, err, store.ErrInvalid, "role")
		require.Contains(t, se.Error(), "must be marketing, sales or admin")
	})
}

func TestErrorsReadWellAndMatchTheirKind(t *testing.T) {
	for _, tc := range []struct {
		err  *store.Error
		kind error
		text string
	}{
		{&store.Error{Kind: store.ErrNotFound, Record: "customer", ID: "acme"}, store.ErrNotFound,
			`customer "acme" not found`},
		{&store.Error{Kind: store.ErrInvalid, Record: "customer", ID: "acme", Field: "owner.email", Msg: "must be an email address"},
			store.ErrInvalid, `customer "acme": invalid owner.email: must be an email address`},
		{&store.Error{Kind: store.ErrConflict, Record: "hand-off", ID: "h1", Msg: "already closed as won"},
			store.ErrConflict, `hand-off "h1": conflict: already closed as won`},
	} {
		require.Equal(t, tc.text, tc.err.Error())
		var err error = fmt.Errorf("api: %w", tc.err)
		require.ErrorIs(t, err, tc.kind)
		for _, other := range []error{store.ErrNotFound, store.ErrInvalid, store.ErrConflict} {
			if other != tc.kind {
				require.NotErrorIs(t, err, other)
			}
		}
	}
}
