package devstack

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/operatorservice/v1"

	"github.com/ripen/ripen/internal/devtemporal"
	"github.com/ripen/ripen/store/storetest"
	"github.com/ripen/ripen/workflows"
)

// With the Postgres store the embedded server keeps its state in databases
// named after ripen's, and the namespace has ripen's search attributes.
func TestTemporalOnPostgresGoesWithRipensDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the stack")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dbURL := storetest.NewDatabase(t)
	pg, err := devtemporal.PostgresFor(dbURL)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, devtemporal.DropPostgres(ctx, pg))
	})
	st, err := Start(ctx, Options{DatabaseURL: dbURL, TemporalStore: devtemporal.StorePostgres, TemporalShards: 2,
		UIPort: -1, WebsitePort: -1, NoWorker: true, Log: zerolog.Nop()})
	require.NoError(t, err)
	defer st.Stop()

	resp, err := st.Client.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	require.NoError(t, err)
	for name, typ := range workflows.SearchAttributes() {
		require.Equal(t, typ, resp.GetCustomAttributes()[name], name)
	}
	var n int
	require.NoError(t, st.Store.Pool().QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname IN ($1, $2)",
		pg.Database, pg.VisibilityDatabase()).Scan(&n))
	require.Equal(t, 2, n)
}
