// Command ripen-dev is the whole of ripen in one process for newcomers and
// tests: embedded Temporal (SQLite in --data-dir) with its Web UI, the local
// SendGrid server, the worker, the API, migrations and demo data.
//
//	go run ./cmd/ripen-dev            # the whole stack
//	go run ./cmd/ripen-dev temporal   # only Temporal and its Web UI
//
// It links go.temporal.io/server, which the production binary cmd/ripen
// must not.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/bench"
	"github.com/ripen/ripen/internal/demo"
	"github.com/ripen/ripen/internal/devstack"
	"github.com/ripen/ripen/internal/devtemporal"
	"github.com/ripen/ripen/logging"
	"github.com/ripen/ripen/workflows"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "ripen-dev:", err)
		os.Exit(1)
	}
}

type flags struct {
	dataDir, temporalAddress, temporalNamespace, databaseURL string
	temporalPort, uiPort, sendgridPort, apiPort, opsPort     int
	websitePort                                              int
	logLevel                                                 string
	// temporalStore "" is SQLite; temporalShards 0 the store's default.
	temporalStore  devtemporal.Store
	temporalShards int32
}

func parseFlags(name string, args []string) (flags, []string, error) {
	var f flags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&f.dataDir, "data-dir", ".ripen", "where Temporal's SQLite file, the dev keys and the local inbox live")
	fs.StringVar(&f.temporalAddress, "temporal-address", "", "use this Temporal instead of the embedded one (TLS and API key from TEMPORAL_TLS_* and TEMPORAL_API_KEY)")
	fs.StringVar(&f.temporalNamespace, "temporal-namespace", "", "Temporal namespace (default $TEMPORAL_NAMESPACE or default)")
	fs.StringVar(&f.databaseURL, "database-url", "", "Postgres URL (default $DATABASE_URL or the local server's ripen database)")
	fs.IntVar(&f.temporalPort, "temporal-port", 7233, "embedded Temporal frontend port")
	fs.IntVar(&f.uiPort, "ui-port", 8233, "Temporal Web UI port")
	fs.IntVar(&f.sendgridPort, "sendgrid-port", 8025, "local SendGrid server port (inbox at /)")
	fs.IntVar(&f.apiPort, "api-port", 8080, "ripen API port")
	fs.IntVar(&f.opsPort, "ops-port", 9090, "the API's ops port: /readyz and /metrics, which the API port does not serve")
	fs.IntVar(&f.websitePort, "website-port", 8090, "the demo company's website, with ripen's script on every page (-1: none)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.Func("temporal-store", "where embedded Temporal keeps its state: sqlite (default, in --data-dir) or postgres (databases <ripen database>_temporal and _temporal_visibility on --database-url's server)", func(s string) (err error) {
		f.temporalStore, err = devtemporal.ParseStore(s)
		return err
	})
	fs.Func("temporal-shards", "embedded Temporal's history shards, fixed when its database is created (default the database's, or 1 on sqlite and 4 on postgres)", func(s string) (err error) {
		f.temporalShards, err = devtemporal.ParseShards(s)
		return err
	})
	err := fs.Parse(args)
	if f.temporalNamespace == "" {
		f.temporalNamespace = os.Getenv("TEMPORAL_NAMESPACE")
	}
	if f.temporalNamespace == "" {
		f.temporalNamespace = "default"
	}
	if f.databaseURL == "" {
		f.databaseURL = os.Getenv("DATABASE_URL")
	}
	if f.databaseURL == "" {
		f.databaseURL = config.DefaultDatabaseURL
	}
	return f, fs.Args(), err
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "temporal":
			return runTemporal(ctx, args[1:], out)
		case "bench":
			return runBench(ctx, args[1:], out)
		case "chaos":
			return runChaos(ctx, args[1:], out)
		case "bench-report":
			return runBenchReport(ctx, args[1:], out)
		case "capacity":
			return runCapacity(args[1:], out)
		case "bench-worker":
			// Hidden: an extra worker process of `ripen-dev bench --workers N`.
			return bench.RunWorkerProcess(ctx)
		default:
			return fmt.Errorf("unknown command %q (try: ripen-dev, ripen-dev temporal, ripen-dev bench, ripen-dev bench-report, ripen-dev chaos, ripen-dev capacity)", args[0])
		}
	}
	f, _, err := parseFlags("ripen-dev", args)
	if err != nil {
		return err
	}
	log := logging.New("console", f.logLevel)
	start := time.Now()
	opts := devstack.Options{
		DataDir: f.dataDir, DatabaseURL: f.databaseURL, TemporalAddress: f.temporalAddress, TemporalNamespace: f.temporalNamespace,
		TemporalPort: f.temporalPort, UIPort: f.uiPort, SendGridPort: f.sendgridPort, APIPort: f.apiPort, OpsPort: f.opsPort, WebsitePort: f.websitePort,
		WebhookKey: os.Getenv("SENDGRID_WEBHOOK_VERIFICATION_KEY"), Log: log,
		TemporalStore: f.temporalStore, TemporalShards: f.temporalShards,
		// Production's limits, so a newcomer meets them where they are.
		RateLimitKey: config.DefaultRateLimitKey, RateLimitPublic: config.DefaultRateLimitPublic,
	}
	if f.temporalAddress != "" {
		if opts.TemporalTLS, err = config.TemporalTLSFromEnv(nil); err != nil {
			return err
		}
		opts.TemporalAPIKey = os.Getenv("TEMPORAL_API_KEY")
	}
	st, err := devstack.Start(ctx, opts)
	if err != nil {
		if strings.Contains(err.Error(), "cannot reach PostgreSQL") {
			return fmt.Errorf("%w\n\nStart Postgres (e.g. pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set DATABASE_URL", err)
		}
		return err
	}
	defer st.Stop()
	if err := demo.Seed(ctx, st.Store, st.WebsiteURL); err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	key, fresh, err := adminKey(ctx, st, f.dataDir)
	if err != nil {
		return err
	}
	printWelcome(out, st, f, key, fresh, time.Since(start))
	select {
	case <-ctx.Done():
		log.Info().Msg("stopping")
	case err := <-st.Err():
		return err
	}
	return nil
}

// adminKey creates the dev admin key once and keeps it in the data dir.
func adminKey(ctx context.Context, st *devstack.Stack, dataDir string) (string, bool, error) {
	path := filepath.Join(dataDir, "admin-key")
	if b, err := os.ReadFile(path); err == nil {
		key := strings.TrimSpace(string(b))
		if _, err := st.Store.AuthenticateAPIKey(ctx, key); err == nil {
			return key, false, nil
		}
	}
	key, _, err := st.Store.CreateAPIKey(ctx, "admin", "ripen-dev")
	if err != nil {
		return "", false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", false, err
	}
	return key, true, os.WriteFile(path, []byte(key+"\n"), 0o600)
}

func printWelcome(out io.Writer, st *devstack.Stack, f flags, key string, fresh bool, took time.Duration) {
	keyFile := filepath.Join(f.dataDir, "admin-key")
	// The key is printed once, when it is created; after that it is only
	// in the data dir (README: "printed at first start").
	keyLine := "kept in " + keyFile + "  (cat it; printed only when it was created)"
	if fresh {
		keyLine = key + "  (new; printed once, kept in " + keyFile + ")"
	}
	ui := st.UIURL
	if ui == "" {
		ui = "(your Temporal's own UI)"
	}
	website := st.WebsiteURL
	if website == "" {
		website = "(none: --website-port -1)"
	}
	kept := f.dataDir
	if f.temporalStore == devtemporal.StorePostgres {
		kept = "Postgres (Temporal's own databases beside ripen's) and " + f.dataDir
	}
	fmt.Fprintf(out, `
ripen is running (started in %s)

  API              %s
  Ops              %s          (%s/readyz, %s/metrics)
  Temporal         %s
  Temporal Web UI  %s
  Mail inbox       %s          (local SendGrid server; JSON at /api/messages)
  Demo website     %s          (the demo emails' links lead here)
  Postgres         %s
  Admin API key    %s

Demo data: personas ops-lead, it-lead and finance-lead, journeys %s,
customers acme, globex and initech. Enrol one:

  curl -s -X POST %s/v1/journeys/erp-automation-crosssell/enrollments \
    -H "Authorization: Bearer $(cat %s)" -d '{"customer_ids":["acme"]}'

Then open the inbox, follow a link, ask for a demo; README.md has the tour.
Ctrl-C stops everything; runs survive in %s.
`, took.Round(10*time.Millisecond), st.APIURL, st.OpsURL, st.OpsURL, st.OpsURL, st.TemporalAddress+"  (namespace "+f.temporalNamespace+")", ui, st.SendGridURL, website, devstack.RedactURL(st.DatabaseURL),
		keyLine, strings.Join(demo.Journeys, ", "), st.APIURL, keyFile, kept)
}

// runTemporal runs only the embedded Temporal server and its Web UI, for
// setups where worker and API run as separate processes.
func runTemporal(ctx context.Context, args []string, out io.Writer) error {
	f, _, err := parseFlags("ripen-dev temporal", args)
	if err != nil {
		return err
	}
	log := logging.New("console", f.logLevel)
	o := devtemporal.Options{
		DataFile: filepath.Join(f.dataDir, "temporal.sqlite"), Port: f.temporalPort, UIPort: f.uiPort, Namespace: f.temporalNamespace,
		SearchAttributes: workflows.SearchAttributes(), Log: log, NumHistoryShards: f.temporalShards,
	}
	where := f.dataDir
	if f.temporalStore == devtemporal.StorePostgres {
		if o.Postgres, err = devtemporal.PostgresFor(f.databaseURL); err != nil {
			return err
		}
		where = "Postgres databases " + o.Postgres.Database + " and " + o.Postgres.VisibilityDatabase()
	}
	srv, err := devtemporal.Start(ctx, o)
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Fprintf(out, "Temporal on %s, Web UI on %s, data in %s\n", srv.Address(), srv.UIAddress(), where)
	<-ctx.Done()
	return nil
}
