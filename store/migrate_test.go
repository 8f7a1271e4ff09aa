package store_test

import (
	"context"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func TestMigrateTwiceIsANoOp(t *testing.T) {
	url := storetest.NewDatabase(t)
	ctx := t.Context()

	applied, version, err := store.ApplyMigrations(ctx, url)
	require.NoError(t, err)
	require.NotEmpty(t, applied)
	require.Equal(t, "00001_people_and_content.sql", applied[0])

	again, versionAgain, err := store.ApplyMigrations(ctx, url)
	require.NoError(t, err)
	require.Empty(t, again)
	require.Equal(t, version, versionAgain)
}

func TestMigrateFromThreeProcessesAtOnce(t *testing.T) {
	url := storetest.NewDatabase(t)
	ctx := t.Context()

	var wg sync.WaitGroup
	errs := make([]error, 3)
	applied := make([][]string, 3)
	for i := range errs {
		wg.Go(func() { applied[i], _, errs[i] = store.ApplyMigrations(ctx, url) })
	}
	wg.Wait()
	total := 0
	for i, err := range errs {
		require.NoError(t, err, "migrator %d", i)
		total += len(applied[i])
	}
	files, err := fsCount()
	require.NoError(t, err)
	require.Equal(t, files, total, "every migration applied exactly once")

	s, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "p", Name: "P"}))
}

func fsCount() (int, error) {
	n := 0
	entries, err := fs.ReadDir(store.Migrations, ".")
	for _, e := range entries {
		if !e.IsDir() {
			n++
		}
	}
	return n, err
}

func TestEnsureDatabaseCreatesAMissingDatabaseOnce(t *testing.T) {
	ctx := t.Context()
	// Dropped, so EnsureDatabase has something to create; the cleanup
	// drops it again.
	url, _ := missingDatabase(t)

	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = store.EnsureDatabase(ctx, url) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, store.EnsureDatabase(ctx, url))
	require.NoError(t, store.Migrate(ctx, url))
}

func TestUnreachablePostgresSaysSo(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	url := "postgres://postgres@127.0.0.1:1/ripen?sslmode=disable&connect_timeout=2"

	err := store.EnsureDatabase(ctx, url)
	require.ErrorContains(t, err, "cannot reach PostgreSQL at 127.0.0.1:1")
	_, err = store.Open(ctx, url)
	require.ErrorContains(t, err, "cannot reach PostgreSQL at 127.0.0.1:1/ripen")
	err = store.Migrate(ctx, url)
	require.ErrorContains(t, err, "cannot reach PostgreSQL at 127.0.0.1:1/ripen")
}

func TestMigratingAMissingDatabaseSuggestsCreatingIt(t *testing.T) {
	ctx := t.Context()
	url, name := missingDatabase(t)

	err := store.Migrate(ctx, url)
	require.ErrorContains(t, err, `database "`+name+`" does not exist`)
	require.ErrorContains(t, err, "ripen migrate --create-database")
	_, err = store.Open(ctx, url)
	require.ErrorContains(t, err, "ripen migrate --create-database")
}

// Every constraint in the schema has a message for users, so a new
// migration cannot add one that surfaces as raw Postgres text.
func TestEveryConstraintIsExplained(t *testing.T) {
	s := storetest.NewDB(t)
	rows, _ := s.Pool().Query(t.Context(), `
SELECT conname FROM pg_constraint
WHERE connamespace = 'public'::regnamespace AND contype IN ('c', 'f', 'u', 'p')
  AND conrelid <> 'goose_db_version'::regclass
UNION
SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indisunique AND c.relnamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = i.indexrelid)
  AND i.indrelid <> 'goose_db_version'::regclass`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, name := range names {
		require.True(t, store.ExplainsConstraint(name), "constraint %s has no message in errors.go", name)
	}
}

// missingDatabase names a database that does not exist (yet): its URL and
// name. The test's cleanup drops it if the test creates it.
func missingDatabase(t *testing.T) (url, name string) {
	t.Helper()
	url = storetest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	admin, err := pgx.Connect(t.Context(), storetest.ServerURL())
	require.NoError(t, err)
	defer admin.Close(context.Background())
	_, err = admin.Exec(t.Context(), "DROP DATABASE "+pgx.Identifier{cfg.Database}.Sanitize())
	require.NoError(t, err)
	return url, cfg.Database
}
