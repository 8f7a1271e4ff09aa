package devtemporal

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
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
