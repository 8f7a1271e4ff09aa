package devtemporal

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/freeport"
	"github.com/ripen/ripen/workflows"
)

func TestParseStore(t *testing.T) {
	for in, want := range map[string]Store{"": StoreSQLite, "sqlite": StoreSQLite, "postgres": StorePostgres} {
		got, err := ParseStore(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := ParseStore("cassandra")
	require.ErrorContains(t, err, "want sqlite or postgres")
}

func TestPostgresConfigComesFromTheServerURL(t *testing.T) {
	p := Postgres{URL: "postgres://ripen:s3cret@db.local:6543/ignored?sslmode=disable", Database: "x_temporal"}
	conf, err := p.sqlConfig(p.VisibilityDatabase())
	require.NoError(t, err)
	require.Equal(t, "db.local:6543", conf.ConnectAddr)
	require.Equal(t, "ripen", conf.User)
	require.Equal(t, "s3cret", conf.Password)
	require.Equal(t, "x_temporal_visibility", conf.DatabaseName)
	require.Equal(t, "disable", conf.ConnectAttributes["sslmode"])

	require.ErrorContains(t, Postgres{URL: p.URL, Database: "Bad-Name"}.check(), "database name")

	p, err = PostgresFor("postgres://postgres@127.0.0.1:5432/ripen_bench_1765100000?sslmode=disable")
	require.NoError(t, err)
	require.Equal(t, "ripen_bench_1765100000_temporal", p.Database)
	require.Equal(t, "ripen_bench_1765100000_temporal_visibility", p.VisibilityDatabase())
	long := "ripen_test_" + strings.Repeat("x", 32) + "_0123456789ab"
	p, err = PostgresFor("postgres://postgres@127.0.0.1:5432/" + long)
	require.NoError(t, err)
	require.LessOrEqual(t, len(p.VisibilityDatabase()), 63)
	other, err := PostgresFor("postgres://postgres@127.0.0.1:5432/" + long[:len(long)-1] + "c")
	require.NoError(t, err)
	require.NotEqual(t, p.Database, other.Database, "long names stay apart")
}

// A run with an activity and a timer completes on Postgres persistence, is
// found through SQL visibility by a ripen search attribute, and is still
// there after the server restarts on the same databases.
func TestPostgresStoreKeepsRunsAcrossARestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Temporal server on Postgres")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := postgresOptions(t)

	srv, err := Start(ctx, o)
	require.NoError(t, err)
	c := dial(t, srv)
	w := worker.New(c, "devtemporal-test", worker.Options{})
	w.RegisterWorkflowWithOptions(greetLater, workflow.RegisterOptions{Name: "GreetLater"})
	w.RegisterActivityWithOptions(shout, activity.RegisterOptions{Name: "Shout"})
	require.NoError(t, w.Start())

	journey := temporal.NewSearchAttributeKeyKeyword("RipenJourney")
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "pg-run", TaskQueue: "devtemporal-test",
		TypedSearchAttributes: temporal.NewSearchAttributes(journey.ValueSet("pg-journey")),
	}, "GreetLater", "hello")
	require.NoError(t, err)
	var out string
	require.NoError(t, run.Get(ctx, &out))
	require.Equal(t, "HELLO", out)
	query := `RipenJourney = 'pg-journey' AND RipenStage = 'done' AND ExecutionStatus = 'Completed'`
	requireListed(ctx, t, c, query, "pg-run")
	w.Stop()
	c.Close()
	srv.Stop()

	srv, err = Start(ctx, o)
	require.NoError(t, err)
	defer srv.Stop()
	c = dial(t, srv)
	defer c.Close()
	requireListed(ctx, t, c, query, "pg-run")
	desc, err := c.DescribeWorkflowExecution(ctx, "pg-run", "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, desc.GetWorkflowExecutionInfo().GetStatus())
}

// The shard count is fixed when the cluster is created: asking for another
// is a clear error before the server starts, and 0 takes the stored one.
func TestPostgresShardCountIsFixedAtCreation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Temporal server on Postgres")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := postgresOptions(t)
	o.NumHistoryShards = 2
	srv, err := Start(ctx, o)
	require.NoError(t, err)
	srv.Stop()

	o.NumHistoryShards = 3
	_, err = Start(ctx, o)
	require.ErrorIs(t, err, ErrShardCount)
	require.ErrorContains(t, err, "created with 2 history shards, asked for 3")

	main, err := o.Postgres.sqlConfig(o.Postgres.Database)
	require.NoError(t, err)
	n, err := historyShards(ctx, main, 0, DefaultPostgresShards, &zerologAdapter{log: zerolog.Nop()})
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
}

// postgresOptions are a server on fresh, uniquely named databases on the
// local Postgres, dropped when the test ends; the test is skipped when
// there is no Postgres.
func postgresOptions(t *testing.T) Options {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, config.DefaultDatabaseURL)
	if err != nil && !strings.Contains(err.Error(), "does not exist") {
		t.Skipf("no local Postgres: %v", err)
	}
	if conn != nil {
		_ = conn.Close(ctx)
	}
	pg := Postgres{URL: config.DefaultDatabaseURL, Database: "ripen_test_" + strconv.FormatInt(time.Now().UnixNano(), 36) + "_temporal", MaxConns: 4}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, DropPostgres(ctx, pg))
	})
	port, err := freeport.Take("127.0.0.1")
	require.NoError(t, err)
	return Options{
		Host: "127.0.0.1", Port: port, Namespace: "default", Postgres: pg,
		SearchAttributes: workflows.SearchAttributes(), Log: zerolog.New(zerolog.NewTestWriter(t)),
	}
}

func dial(t *testing.T, srv *Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: "default", Logger: nopLogger{}})
	require.NoError(t, err)
	return c
}

// requireListed waits for visibility, which the server updates after the
// run's own transaction.
func requireListed(ctx context.Context, t *testing.T, c client.Client, query, workflowID string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query})
		if err != nil {
			last = err.Error()
			continue
		}
		var ids []string
		for _, e := range resp.GetExecutions() {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		if len(ids) == 1 && ids[0] == workflowID {
			return
		}
		last = fmt.Sprint(ids)
	}
	t.Fatalf("list %q: want [%s], last saw %s", query, workflowID, last)
}

// greetLater runs an activity, sleeps on a timer and marks itself done in a
// ripen search attribute.
func greetLater(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var loud string
	if err := workflow.ExecuteActivity(ctx, "Shout", name).Get(ctx, &loud); err != nil {
		return "", err
	}
	if err := workflow.Sleep(ctx, time.Second); err != nil {
		return "", err
	}
	stage := temporal.NewSearchAttributeKeyKeyword("RipenStage")
	if err := workflow.UpsertTypedSearchAttributes(ctx, stage.ValueSet("done")); err != nil {
		return "", err
	}
	return loud, nil
}

func shout(_ context.Context, s string) (string, error) { return strings.ToUpper(s), nil }
