// Package devtemporal runs an embedded Temporal server (SQLite in a file, or
// PostgreSQL) and its Web UI inside one process, for ripen-dev, tests and
// benchmarks.
//
// It must never be imported by the production binary cmd/ripen: production
// talks to a real Temporal cluster or Temporal Cloud.
package devtemporal

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"

	"github.com/ripen/ripen/internal/freeport"
)

// clusterID is fixed so that a data directory can be reopened: the server
// compares it with the one stored in SQLite, and it must be a UUID.
const clusterID = "6f1c1b7e-5d0a-4c55-9b0e-3f0e2f6a1c01"

// clusterName is the one cluster's name, also the key of its metadata.
const clusterName = "active"

// Options configure the embedded server.
type Options struct {
	// DataFile is the SQLite file; empty keeps everything in memory.
	// Ignored when Postgres.URL is set.
	DataFile string
	// Postgres, when its URL is set, keeps the server's state on a
	// PostgreSQL server instead of SQLite.
	Postgres Postgres
	// NumHistoryShards is fixed when the database is created: 0 takes the
	// database's count, or for a new one 1 on SQLite and 4 on Postgres;
	// another count than the database's is an error (ErrShardCount).
	NumHistoryShards int32
	// Host is the IP all listeners bind to (default 127.0.0.1).
	Host string
	// Port of the frontend gRPC API (default 7233).
	Port int
	// UIPort of the Web UI; 0 disables the UI.
	UIPort int
	// Namespace to create (default "default").
	Namespace string
	// SearchAttributes to register on the namespace.
	SearchAttributes map[string]enumspb.IndexedValueType
	// CodecEndpoint, when set, is given to the Web UI to decode payloads.
	CodecEndpoint string
	// Log receives the server's warnings and errors.
	Log zerolog.Logger
	// Tuning overrides dynamic config and SQLite settings (benchmarks).
	Tuning Tuning
}

// Server is a running embedded Temporal server.
type Server struct {
	opts   Options
	logger *zerologAdapter
	server temporal.Server
	ui     *uiserver.Server
}

// Address is the frontend's host:port.
func (s *Server) Address() string { return net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port)) }

// UIAddress is the Web UI's base URL, or "" when the UI is off.
func (s *Server) UIAddress() string {
	if s.ui == nil {
		return ""
	}
	return "http://" + net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.UIPort))
}

// Start builds and starts the server, then makes sure the namespace carries
// the search attributes (an existing database only gets them this way).
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = 7233
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	// The server and the UI call os.Exit on a busy port; fail politely first.
	ports := []int{o.Port}
	if o.UIPort != 0 {
		ports = append(ports, o.UIPort)
	}
	if err := o.Tuning.Check(); err != nil {
		return nil, err
	}
	if o.NumHistoryShards < 0 {
		return nil, fmt.Errorf("history shards %d: want a positive number", o.NumHistoryShards)
	}
	for _, p := range ports {
		if err := checkFree(o.Host, p); err != nil {
			return nil, err
		}
	}
	logger := &zerologAdapter{log: o.Log.With().Str("component", "temporal").Logger(), min: zerolog.WarnLevel, quiet: &atomic.Bool{}}
	conf, err := o.serverConfig(ctx, logger)
	if err != nil {
		return nil, err
	}
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("temporal authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("temporal claim mapper: %w", err)
	}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range conf.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(o.Host, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	dyn := o.Tuning.dynamicConfigClient()
	srv, err := buildAndStart(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dyn),
	)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, server: srv, logger: logger}
	if o.UIPort != 0 {
		s.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
			Host:                o.Host,
			Port:                o.UIPort,
			TemporalGRPCAddress: s.Address(),
			EnableUI:            true,
			DefaultNamespace:    o.Namespace,
			Codec:               uiconfig.Codec{Endpoint: o.CodecEndpoint},
			CORS:                uiconfig.CORS{CookieInsecure: true},
			HideLogs:            true,
			DisableNewsFetch:    true,
		}))
		go func() {
			if err := s.ui.Start(); err != nil {
				o.Log.Error().Err(err).Msg("temporal web ui stopped")
			}
		}()
	}
	if err := s.ensureSearchAttributes(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop stops the UI and the server.
func (s *Server) Stop() {
	s.logger.quiet.Store(true)
	if s.ui != nil {
		s.ui.Stop()
	}
	if err := s.server.Stop(); err != nil {
		s.opts.Log.Warn().Err(err).Msg("stop temporal server")
	}
}

// ensureSearchAttributes adds the search attributes a store made by an
// older ripen lacks, and returns once they can be used: the server maps
// them onto its SQL slots in the namespace, which its services cache and
// reread only every few seconds.
func (s *Server) ensureSearchAttributes(ctx context.Context) error {
	if len(s.opts.SearchAttributes) == 0 {
		return nil
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: s.Address(), Namespace: s.opts.Namespace, Logger: nopLogger{}})
	if err != nil {
		return fmt.Errorf("dial embedded temporal: %w", err)
	}
	defer c.Close()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s.opts.Namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range s.opts.SearchAttributes {
		if _, ok := resp.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: s.opts.Namespace, SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return s.awaitSearchAttributes(ctx, c, slices.Sorted(maps.Keys(missing)))
}

// awaitSearchAttributes waits until a visibility query may name each of
// names, which is when a run may be started with them too.
func (s *Server) awaitSearchAttributes(ctx context.Context, c client.Client, names []string) error {
	query := strings.Join(names, " IS NULL AND ") + " IS NULL"
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		_, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.opts.Namespace, Query: query, PageSize: 1})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("search attributes %s added, but not usable after a minute: %w", strings.Join(names, ", "), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// buildAndStart builds and starts the server. A service that cannot bind its
// port logs at fatal level and the server's wiring then panics on the nil
// listener (v1.32.1); that becomes an error here, so a caller (a test, or
// ripen-dev) gets a message instead of a crash.
func buildAndStart(opts ...temporal.ServerOption) (srv temporal.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			srv, err = nil, fmt.Errorf("start temporal server: it panicked (a port taken? see the log above): %v", r)
		}
	}()
	srv, err = temporal.NewServer(opts...)
	if err != nil {
		return nil, fmt.Errorf("build temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	return srv, nil
}

func (o Options) serverConfig(ctx context.Context, logger log.Logger) (*config.Config, error) {
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = o.Host
	if err := o.persistence(ctx, &conf.Persistence, logger); err != nil {
		return nil, err
	}
	httpPort, err := freeport.Take(o.Host)
	if err != nil {
		return nil, err
	}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             net.JoinHostPort(o.Host, strconv.Itoa(o.Port)),
				HTTPAddress:            net.JoinHostPort(o.Host, strconv.Itoa(httpPort)),
				ClusterID:              clusterID,
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		var svc config.Service
		svc.RPC.BindOnIP = o.Host
		if name == "frontend" {
			svc.RPC.GRPCPort = o.Port
			svc.RPC.HTTPPort = httpPort
		} else if svc.RPC.GRPCPort, err = freeport.Take(o.Host); err != nil {
			return nil, err
		}
		conf.Services[name] = svc
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = net.JoinHostPort(o.Host, strconv.Itoa(o.Port))
	return &conf, nil
}

// persistence sets up the stores and decides the shard count.
func (o Options) persistence(ctx context.Context, conf *config.Persistence, logger log.Logger) error {
	if o.Postgres.URL != "" {
		main, visibility, err := o.Postgres.setUp(ctx, logger)
		if err != nil {
			return err
		}
		if conf.NumHistoryShards, err = historyShards(ctx, main, o.NumHistoryShards, DefaultPostgresShards, logger); err != nil {
			return err
		}
		if err := createNamespace(main, o.Namespace, o.SearchAttributes); err != nil {
			return err
		}
		conf.DefaultStore, conf.VisibilityStore = "postgres", "postgres-visibility"
		conf.DataStores = map[string]config.DataStore{"postgres": {SQL: main}, "postgres-visibility": {SQL: visibility}}
		return nil
	}
	sqlConf, err := o.sqlConfig()
	if err != nil {
		return err
	}
	conf.NumHistoryShards = max(o.NumHistoryShards, 1)
	if o.DataFile != "" {
		if conf.NumHistoryShards, err = historyShards(ctx, sqlConf, o.NumHistoryShards, 1, logger); err != nil {
			return err
		}
	}
	conf.DefaultStore, conf.VisibilityStore = "sqlite", "sqlite"
	conf.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConf}}
	return nil
}

func (o Options) sqlConfig() (*config.SQL, error) {
	conf := &config.SQL{PluginName: sqliteplugin.PluginName}
	if o.DataFile == "" {
		conf.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		conf.DatabaseName = "ripen-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	} else {
		conf.ConnectAttributes = map[string]string{"mode": "rwc"}
		conf.DatabaseName = o.DataFile
	}
	// Every other attribute becomes a pragma run on each connection. (This
	// used to pass "_journal_mode" and "_synchronous", which the plugin
	// turned into pragmas SQLite does not know and silently ignored: the
	// file was never in WAL mode.)
	if o.DataFile != "" {
		for name, value := range o.Tuning.EffectiveSQLitePragmas() {
			conf.ConnectAttributes[name] = value
		}
	}
	// More than one connection gave SQLITE_BUSY under load (without WAL).
	conf.MaxConns = 1
	if o.Tuning.SQLiteMaxConns > 0 {
		conf.MaxConns = o.Tuning.SQLiteMaxConns
	}
	conf.MaxIdleConns = conf.MaxConns
	if o.DataFile != "" {
		if _, err := os.Stat(o.DataFile); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(o.DataFile), 0o755); err != nil {
				return nil, fmt.Errorf("create data dir: %w", err)
			}
			if err := sqliteschema.SetupSchema(conf); err != nil {
				return nil, fmt.Errorf("set up temporal schema in %s: %w", o.DataFile, err)
			}
		}
	}
	if err := createNamespace(conf, o.Namespace, o.SearchAttributes); err != nil {
		return nil, err
	}
	return conf, nil
}

// createNamespace writes the namespace, with its search attributes mapped
// to the SQL visibility's fixed slots, into the store before the server
// starts, unless it exists. The SQLite package's helper only uses the
// server's generic SQL plugin interface, so it serves Postgres too: SQL
// visibility has the same slots on both.
func createNamespace(conf *config.SQL, namespace string, attrs map[string]enumspb.IndexedValueType) error {
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, attrs)
	if err != nil {
		return fmt.Errorf("namespace config: %w", err)
	}
	if err := sqliteschema.CreateNamespaces(conf, ns); err != nil {
		return fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	return nil
}

func checkFree(host string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d on %s is busy (is another Temporal or ripen-dev running?): %w", port, host, err)
	}
	return l.Close()
}
