package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func TestSchemaStatusComparesTheDatabaseWithTheBinary(t *testing.T) {
	ctx := t.Context()
	url := storetest.NewDatabase(t)
	st, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer st.Close()

	status, err := st.SchemaStatus(ctx)
	require.NoError(t, err)
	newest := status.Binary // the newest embedded migration: ApplyMigrations reaches it below
	require.GreaterOrEqual(t, newest, int64(10))
	require.Equal(t, store.SchemaStatus{Database: 0, Binary: newest}, status, "never migrated")
	require.True(t, status.Behind())
	require.Contains(t, status.String(), "run `ripen migrate`")
	var tables int
	require.NoError(t, st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'goose_db_version'`).Scan(&tables))
	require.Zero(t, tables, "reading the version creates nothing")

	_, version, err := store.ApplyMigrations(ctx, url)
	require.NoError(t, err)
	require.Equal(t, newest, version)
	status, err = st.SchemaStatus(ctx)
	require.NoError(t, err)
	require.False(t, status.Behind())
	require.False(t, status.Ahead())

	// A newer release migrated further.
	_, err = st.Pool().Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, newest+1)
	require.NoError(t, err)
	status, err = st.SchemaStatus(ctx)
	require.NoError(t, err)
	require.True(t, status.Ahead())
	require.Contains(t, status.String(), "newer than this ripen")
}
