package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

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
