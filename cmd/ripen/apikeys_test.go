package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// TestAPIKeysCreateListRevoke drives `ripen apikeys` against a fresh
// database: create prints the key and nothing else (scripts capture it with
// $(...)), list shows it without the secret, revoke makes it useless.
func TestAPIKeysCreateListRevoke(t *testing.T) {
	url := storetest.NewDatabase(t)
	ctx := context.Background()
	require.NoError(t, store.Migrate(ctx, url))
	t.Setenv("DATABASE_URL", url)
	st, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(st.Close)

	out, errOut, code := runCLI(t, "apikeys", "create", "--role", "sales", "--label", "CRM sync")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^rpn_\S+\n$`, out, "only the key, on one line")
	key := strings.TrimSpace(out)
	got, err := st.AuthenticateAPIKey(ctx, key)
	require.NoError(t, err, "the printed key authenticates")
	require.Equal(t, "sales", got.Role)
	require.Equal(t, "CRM sync", got.Label)

	out, errOut, code = runCLI(t, "apikeys", "list")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	require.Regexp(t, `^ID\s+ROLE\s+LABEL\s+PREFIX`, lines[0])
	require.Regexp(t, regexp.MustCompile(`^\d+\s+sales\s+CRM sync\s+rpn_`), lines[1])
	require.NotContains(t, out, key, "list never shows a whole key")
	require.True(t, strings.HasSuffix(lines[1], "-"), "not revoked: %q", lines[1])
	id := strings.Fields(lines[1])[0]

	out, errOut, code = runCLI(t, "apikeys", "revoke", id)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "revoked key "+id+"\n", out)
	_, err = st.AuthenticateAPIKey(ctx, key)
	require.ErrorIs(t, err, store.ErrNotFound, "a revoked key no longer authenticates")
	out, _, _ = runCLI(t, "apikeys", "list")
	require.False(t, strings.HasSuffix(strings.TrimSpace(out), "-"), "list shows when it was revoked: %s", out)

	t.Run("mistakes", func(t *testing.T) {
		_, errOut, code := runCLI(t, "apikeys", "create", "--role", "sales")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "--role and --label are required")
		out, errOut, code := runCLI(t, "apikeys", "create", "--role", "boss", "--label", "x")
		require.Equal(t, 1, code)
		require.Empty(t, out, "no key for a bad role")
		require.Contains(t, errOut, "role")
		_, errOut, code = runCLI(t, "apikeys", "revoke", "abc")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "ripen apikeys list")
		_, _, code = runCLI(t, "apikeys")
		require.Equal(t, 2, code)
	})
}

// A sales key may be bound to an account owner that exists, and may expire;
// list shows both.
func TestAPIKeysCreateForAnOwnerWithAnExpiry(t *testing.T) {
	url := storetest.NewDatabase(t)
	ctx := context.Background()
	require.NoError(t, store.Migrate(ctx, url))
	t.Setenv("DATABASE_URL", url)
	st, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	require.NoError(t, st.PutOwner(ctx, store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"}))

	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"an unknown owner":            {[]string{"--role", "sales", "--label", "x", "--owner", "rep-nobody"}, "--owner rep-nobody: no such account owner"},
		"an owner of a marketing key": {[]string{"--role", "marketing", "--label", "x", "--owner", "rep-eva"}, "--owner binds sales keys only"},
		"a bad expiry":                {[]string{"--role", "sales", "--label", "x", "--expires", "soon"}, `--expires "soon"`},
		"a negative expiry":           {[]string{"--role", "sales", "--label", "x", "--expires", "0d"}, `--expires "0d"`},
	} {
		t.Run(name+" is refused", func(t *testing.T) {
			out, errOut, code := runCLI(t, append([]string{"apikeys", "create"}, tc.args...)...)
			require.Equal(t, 1, code, errOut)
			require.Empty(t, out, "no key")
			require.Contains(t, errOut, tc.want)
		})
	}
	keys, err := st.ListAPIKeys(ctx)
	require.NoError(t, err)
	require.Empty(t, keys, "nothing was created")

	out, errOut, code := runCLI(t, "apikeys", "create", "--role", "sales", "--label", "Eva", "--owner", "rep-eva", "--expires", "90d")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^rpn_\S+\n$`, out)
	got, err := st.AuthenticateAPIKey(ctx, strings.TrimSpace(out))
	require.NoError(t, err)
	require.Equal(t, "rep-eva", got.OwnerID)
	require.NotNil(t, got.ExpiresAt)
	require.WithinDuration(t, time.Now().Add(90*24*time.Hour), *got.ExpiresAt, time.Hour)

	out, errOut, code = runCLI(t, "apikeys", "list")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	require.Regexp(t, `^ID\s+ROLE\s+LABEL\s+PREFIX\s+OWNER\s+CREATED\s+EXPIRES\s+LAST USED\s+REVOKED$`, lines[0])
	require.Regexp(t, `^\d+\s+sales\s+Eva\s+rpn_\S+\s+rep-eva\s+\S+ \S+\s+`+regexp.QuoteMeta(got.ExpiresAt.Format("2006-01-02")), lines[1])
}
