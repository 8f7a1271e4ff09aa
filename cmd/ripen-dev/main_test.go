package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/devstack"
)

func TestFlagsAndTheirDefaults(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("TEMPORAL_NAMESPACE", "")
	f, rest, err := parseFlags("ripen-dev", nil)
	require.NoError(t, err)
	require.Empty(t, rest)
	require.Equal(t, flags{
		dataDir: ".ripen", temporalNamespace: "default", databaseURL: config.DefaultDatabaseURL,
		temporalPort: 7233, uiPort: 8233, sendgridPort: 8025, apiPort: 8080, opsPort: 9090, websitePort: 8090, logLevel: "info",
	}, f)

	t.Setenv("DATABASE_URL", "postgres://me@db/ripen")
	t.Setenv("TEMPORAL_NAMESPACE", "ripen-dev")
	f, _, err = parseFlags("ripen-dev", []string{"--data-dir", "/tmp/x", "--temporal-address", "temporal:7233", "--api-port=9090", "--ops-port=9191"})
	require.NoError(t, err)
	require.Equal(t, "/tmp/x", f.dataDir)
	require.Equal(t, "temporal:7233", f.temporalAddress)
	require.Equal(t, "ripen-dev", f.temporalNamespace)
	require.Equal(t, "postgres://me@db/ripen", f.databaseURL)
	require.Equal(t, 9090, f.apiPort)
	require.Equal(t, 9191, f.opsPort)

	f, _, err = parseFlags("ripen-dev", []string{"--temporal-namespace", "other", "--database-url", "postgres://x@y/z"})
	require.NoError(t, err)
	require.Equal(t, "other", f.temporalNamespace, "the flag wins over the environment")
	require.Equal(t, "postgres://x@y/z", f.databaseURL)

	_, _, err = parseFlags("ripen-dev", []string{"--no-such-flag"})
	require.Error(t, err)
}

func TestUnreachablePostgresSaysWhatToDo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"--data-dir", t.TempDir(), "--database-url", "postgres://ripen:s3cret@127.0.0.1:1/ripen?sslmode=disable"}, &out)
	require.ErrorContains(t, err, "cannot reach PostgreSQL")
	require.ErrorContains(t, err, "Start Postgres")
	require.ErrorContains(t, err, "DATABASE_URL")
	require.NotContains(t, err.Error(), "s3cret")
	require.Empty(t, out.String())
}

func TestUnknownCommand(t *testing.T) {
	err := run(context.Background(), []string{"bogus"}, &bytes.Buffer{})
	require.ErrorContains(t, err, `unknown command "bogus"`)
}

func TestTheAdminKeyIsPrintedOnlyWhenCreated(t *testing.T) {
	st := &devstack.Stack{APIURL: "http://127.0.0.1:8080", OpsURL: "http://127.0.0.1:9090", SendGridURL: "http://127.0.0.1:8025", UIURL: "http://127.0.0.1:8233",
		WebsiteURL: "http://127.0.0.1:8090", TemporalAddress: "127.0.0.1:7233", DatabaseURL: "postgres://postgres:pw@127.0.0.1:5432/ripen?sslmode=disable"}
	f := flags{dataDir: ".ripen", temporalNamespace: "default"}

	var fresh bytes.Buffer
	printWelcome(&fresh, st, f, "rk_secret_key", true, time.Second)
	require.Contains(t, fresh.String(), "rk_secret_key")
	require.Contains(t, fresh.String(), ".ripen/admin-key")

	var again bytes.Buffer
	printWelcome(&again, st, f, "rk_secret_key", false, time.Second)
	require.NotContains(t, again.String(), "rk_secret_key")
	require.Contains(t, again.String(), "kept in .ripen/admin-key")
	require.Contains(t, again.String(), "$(cat .ripen/admin-key)", "the curl example reads the key from its file")

	for _, out := range []string{fresh.String(), again.String()} {
		require.NotContains(t, out, "pw@", "no database password")
		require.Contains(t, out, "postgres://postgres@127.0.0.1:5432/ripen")
		require.Contains(t, out, "http://127.0.0.1:9090/readyz", "where readiness and metrics are")
		require.NotContains(t, out, "8080/readyz", "the API's port does not serve them")
		require.Contains(t, out, "Demo website     http://127.0.0.1:8090", "where the demo emails' links lead")
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://postgres@127.0.0.1:5432/ripen?sslmode=disable":       "postgres://postgres@127.0.0.1:5432/ripen",
		"postgres://ripen:s3cret@db.internal:5432/ripen?sslmode=require": "postgres://ripen@db.internal:5432/ripen",
		"postgres://db/ripen":                         "postgres://db/ripen",
		"host=db user=ripen password=s3cret dbname=x": "host=db user=ripen password=… dbname=x",
		"host=db password='a b\\'c' dbname=x":         "host=db password=… dbname=x",
	} {
		require.Equal(t, want, devstack.RedactURL(in), in)
	}
}
