package devtemporal

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"

	"github.com/ripen/ripen/internal/freeport"
)

// A port taken between choosing it and the server binding it (CI lost a run
// to this) must come back as an error, not crash the process.
func TestAPortTakenUnderTheServerIsAnError(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Temporal server")
	}
	port, err := freeport.Take("127.0.0.1")
	require.NoError(t, err)
	o := Options{Host: "127.0.0.1", Port: port, Namespace: "default"}
	conf, err := o.serverConfig(context.Background(), log.NewNoopLogger())
	require.NoError(t, err)
	thief, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	require.NoError(t, err)
	defer thief.Close()

	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range conf.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(o.Host, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	logger := &zerologAdapter{log: zerolog.New(zerolog.NewTestWriter(t)), min: zerolog.ErrorLevel}
	srv, err := buildAndStart(temporal.WithConfig(conf), temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts), temporal.WithLogger(logger))
	if srv != nil {
		srv.Stop()
	}
	require.ErrorContains(t, err, "start temporal server")
}

// A data file made by an older ripen lacks a search attribute added since:
// Start adds it and returns once it is usable, so the first run can be
// started with it at once, upserts it and is found by it. (This relied on
// the server re-reading its search attributes on every read, which cost a
// third of its throughput; Start waits for the namespace instead.)
func TestASearchAttributeAddedToAnOldDataFileWorksAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Temporal server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	file := filepath.Join(t.TempDir(), "temporal.db")
	start := func(attrs map[string]enumspb.IndexedValueType) *Server {
		port, err := freeport.Take("127.0.0.1")
		require.NoError(t, err)
		srv, err := Start(ctx, Options{Port: port, DataFile: file, SearchAttributes: attrs, Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
		require.NoError(t, err)
		return srv
	}
	kw := enumspb.INDEXED_VALUE_TYPE_KEYWORD
	start(map[string]enumspb.IndexedValueType{"RipenJourney": kw}).Stop()

	srv := start(map[string]enumspb.IndexedValueType{"RipenJourney": kw, "RipenStage": kw})
	defer srv.Stop()
	c := dial(t, srv)
	defer c.Close()
	w := worker.New(c, "devtemporal-test", worker.Options{})
	w.RegisterWorkflowWithOptions(greetLater, workflow.RegisterOptions{Name: "GreetLater"})
	w.RegisterActivityWithOptions(shout, activity.RegisterOptions{Name: "Shout"})
	require.NoError(t, w.Start())
	defer w.Stop()

	stage := sdktemporal.NewSearchAttributeKeyKeyword("RipenStage")
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "upgraded-run", TaskQueue: "devtemporal-test",
		TypedSearchAttributes: sdktemporal.NewSearchAttributes(stage.ValueSet("new")),
	}, "GreetLater", "hello")
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))
	requireListed(ctx, t, c, `RipenStage = 'done' AND ExecutionStatus = 'Completed'`, "upgraded-run")
}
