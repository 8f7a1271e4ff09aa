// Package devstack assembles the whole of ripen in one process: embedded
// Temporal (or an existing one), Postgres migrations, the local SendGrid
// server, the worker, the API and the demo company's website. ripen-dev,
// the end-to-end tests and the benchmarks all start exactly this.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/ripen/ripen/api"
	"github.com/ripen/ripen/app"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/demosite"
	"github.com/ripen/ripen/internal/devtemporal"
	"github.com/ripen/ripen/internal/freeport"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/metrics"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/temporalconn"
	"github.com/ripen/ripen/workflows"
)

// Options shape the stack. Zero ports pick free ones.
type Options struct {
	// DataDir keeps Temporal's SQLite file, the link keys and the local
	// SendGrid inbox; empty keeps them in memory and makes fresh keys.
	DataDir     string
	DatabaseURL string
	Host        string
	// TemporalAddress uses an existing Temporal instead of the embedded one;
	// TemporalAPIKey and TemporalTLS connect to it (TEMPORAL_API_KEY,
	// TEMPORAL_TLS_*). Its namespace must have ripen's search attributes, or
	// let ripen-dev add them.
	TemporalAddress string
	TemporalAPIKey  string
	TemporalTLS     config.TemporalTLS
	// TemporalNamespace is the namespace runs live in (default "default").
	TemporalNamespace string
	TemporalPort      int
	UIPort            int // -1: no Web UI
	SendGridPort      int
	APIPort           int
	// OpsPort serves the API's ops handler (/readyz, /metrics, /healthz),
	// apart from the public API as in production (RIPEN_OPS_ADDR).
	OpsPort int
	// WebsitePort serves the demo company's website (internal/demosite),
	// whose pages embed the API's /t.js; -1: no website.
	WebsitePort int
	// WebhookKey (SENDGRID_WEBHOOK_VERIFICATION_KEY) verifies the Event
	// Webhook, e.g. real SendGrid posting through a tunnel. The local
	// SendGrid server signs with its own key, which is always accepted too,
	// so its posts are never refused.
	WebhookKey   string
	FrequencyCap config.FrequencyCap
	// RateLimitKey and RateLimitPublic bound the API's requests per key and
	// per client address (zero: no limit, as tests and the bench want; the
	// dev stack's whole traffic comes from one address).
	RateLimitKey, RateLimitPublic config.RateLimit
	Log                           zerolog.Logger
	// NoWorker leaves the worker out (tests that run their own).
	NoWorker bool
	// Tuning overrides the use cases' and the API's tuning (zero fields
	// keep the defaults).
	Tuning app.Tuning
	// Worker sizes the worker (zero fields keep the SDK's defaults).
	Worker config.WorkerTuning
	// TemporalTuning overrides the embedded server's dynamic config and
	// SQLite settings (ignored with TemporalAddress).
	TemporalTuning devtemporal.Tuning
	// TemporalStore keeps the embedded server's state in SQLite in DataDir
	// (the default) or on DatabaseURL's Postgres server, in databases
	// named after ripen's (devtemporal.PostgresFor).
	TemporalStore devtemporal.Store
	// TemporalShards is the embedded cluster's history shard count, fixed
	// when its database is created (0: the database's, or the store's
	// default for a new one).
	TemporalShards int32
}

// Stack is a running ripen.
type Stack struct {
	Temporal *devtemporal.Server // nil with TemporalAddress
	Client   client.Client
	Store    *store.Store
	SendGrid *sendgriddev.Server
	API      *api.Server
	Links    *linktoken.Signer
	// App is every part of ripen, built as `ripen api` and `ripen worker`
	// build them.
	App    *app.App
	Worker sdkworker.Worker
	// worker: StartWorker may start one (not with Options.NoWorker).
	worker bool

	APIURL, SendGridURL, UIURL, TemporalAddress, DatabaseURL string
	// OpsURL serves /readyz and /metrics (the worker's metrics too: they
	// share a registry here), which APIURL does not.
	OpsURL string
	// WebsiteURL is the demo company's website ("" without one); the demo
	// seed registers it as a site (demo.Seed).
	WebsiteURL string

	stops []func()
	wg    sync.WaitGroup
	errc  chan error
}

// Start brings the stack up; Stop takes it down in reverse order.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.DatabaseURL == "" {
		o.DatabaseURL = config.DefaultDatabaseURL
	}
	if o.TemporalNamespace == "" {
		o.TemporalNamespace = "default"
	}
	s := &Stack{errc: make(chan error, 4), DatabaseURL: o.DatabaseURL}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()

	if err := store.EnsureDatabase(ctx, o.DatabaseURL); err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, o.DatabaseURL); err != nil {
		return nil, fmt.Errorf("migrate %s: %w", RedactURL(o.DatabaseURL), err)
	}
	if s.Store, err = store.Open(ctx, o.DatabaseURL); err != nil {
		return nil, err
	}
	s.stops = append(s.stops, s.Store.Close)

	// Listeners first, so every part knows every URL before it starts.
	// Closing them is a no-op once their servers have shut down, and frees
	// them when a later step fails.
	apiLn, err := listen(o.Host, o.APIPort)
	if err != nil {
		return nil, fmt.Errorf("API port: %w", err)
	}
	s.stops = append(s.stops, func() { _ = apiLn.Close() })
	sgLn, err := listen(o.Host, o.SendGridPort)
	if err != nil {
		return nil, fmt.Errorf("SendGrid port: %w", err)
	}
	s.stops = append(s.stops, func() { _ = sgLn.Close() })
	opsLn, err := listen(o.Host, o.OpsPort)
	if err != nil {
		return nil, fmt.Errorf("ops port: %w", err)
	}
	s.stops = append(s.stops, func() { _ = opsLn.Close() })
	var siteLn net.Listener
	if o.WebsitePort >= 0 {
		if siteLn, err = listen(o.Host, o.WebsitePort); err != nil {
			return nil, fmt.Errorf("website port: %w", err)
		}
		s.stops = append(s.stops, func() { _ = siteLn.Close() })
		s.WebsiteURL = "http://" + siteLn.Addr().String()
	}
	s.OpsURL = "http://" + opsLn.Addr().String()
	s.APIURL = "http://" + apiLn.Addr().String()
	s.SendGridURL = "http://" + sgLn.Addr().String()

	s.TemporalAddress = o.TemporalAddress
	if s.TemporalAddress == "" {
		port := o.TemporalPort
		if port == 0 {
			if port, err = freeport.Take(o.Host); err != nil {
				return nil, err
			}
		}
		uiPort := o.UIPort
		if uiPort == 0 {
			if uiPort, err = freeport.Take(o.Host); err != nil {
				return nil, err
			}
		} else if uiPort < 0 {
			uiPort = 0
		}
		dataFile := ""
		if o.DataDir != "" {
			dataFile = filepath.Join(o.DataDir, "temporal.sqlite")
		}
		to := devtemporal.Options{
			DataFile: dataFile, Host: o.Host, Port: port, UIPort: uiPort, Namespace: o.TemporalNamespace,
			SearchAttributes: workflows.SearchAttributes(), Log: o.Log, Tuning: o.TemporalTuning,
			NumHistoryShards: o.TemporalShards,
		}
		if o.TemporalStore == devtemporal.StorePostgres {
			if to.Postgres, err = devtemporal.PostgresFor(o.DatabaseURL); err != nil {
				return nil, err
			}
		}
		s.Temporal, err = devtemporal.Start(ctx, to)
		if err != nil {
			return nil, err
		}
		s.stops = append(s.stops, s.Temporal.Stop)
		s.TemporalAddress, s.UIURL = s.Temporal.Address(), s.Temporal.UIAddress()
	}
	// The production defaults (config.FromEnv without a variable set), with
	// the stack's own addresses.
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		return nil, err
	}
	cfg.DatabaseURL, cfg.TemporalAddress, cfg.TemporalNamespace = o.DatabaseURL, s.TemporalAddress, o.TemporalNamespace
	if s.Temporal == nil {
		cfg.TemporalAPIKey, cfg.TemporalTLS = o.TemporalAPIKey, o.TemporalTLS
	}
	reg := app.NewRegistry()
	if s.Client, err = temporalconn.Dial(ctx, cfg, o.Log, temporalconn.Options{MetricsHandler: metrics.NewTemporalHandler(reg)}); err != nil {
		return nil, err
	}
	s.stops = append(s.stops, s.Client.Close)
	if s.Temporal == nil {
		if err := ensureSearchAttributes(ctx, s.Client, cfg.TemporalNamespace, o.Log); err != nil {
			return nil, err
		}
	}

	if s.Links, err = linkSigner(o.DataDir); err != nil {
		return nil, err
	}

	// The inbox lives in the data dir with the runs, so links in emails
	// sent before a restart can still be followed.
	inboxFile := ""
	if o.DataDir != "" {
		inboxFile = filepath.Join(o.DataDir, "sendgrid-inbox.json")
	}
	s.SendGrid, err = sendgriddev.New(sendgriddev.Options{WebhookURL: s.APIURL + "/webhooks/sendgrid", InboxFile: inboxFile, Log: o.Log.With().Str("component", "sendgrid-dev").Logger()})
	if err != nil {
		return nil, err
	}
	s.serve("sendgrid-dev", sgLn, s.SendGrid.Handler())
	s.stops = append(s.stops, func() { _ = s.SendGrid.Close() })

	webhookKey := s.SendGrid.PublicKeyBase64()
	if o.WebhookKey != "" {
		// The local server has no private key for the configured public
		// key, so its posts would all be refused: accept both keys.
		webhookKey = strings.TrimSpace(o.WebhookKey) + "," + webhookKey
		o.Log.Info().Msg("SENDGRID_WEBHOOK_VERIFICATION_KEY is set: the webhook accepts posts signed with it, and the local SendGrid server's posts signed with its own key")
	}
	if s.UIURL != "" {
		cfg.TemporalUIURL = s.UIURL
	}
	cfg.PublicURL, cfg.SendGridWebhookKey = s.APIURL, webhookKey
	cfg.SendGridAPIKey, cfg.SendGridBaseURL = "dev", s.SendGridURL
	cfg.FrequencyCap, cfg.Worker = o.FrequencyCap, o.Worker
	// Receivers on this machine (a local CRM, a test's) are the point of a
	// dev stack's webhooks.
	cfg.WebhooksAllowPrivate = true
	cfg.RateLimitKey, cfg.RateLimitPublic = o.RateLimitKey, o.RateLimitPublic
	s.App = app.New(cfg, app.Deps{Store: s.Store, Temporal: s.Client, Links: s.Links, Registry: reg, Log: o.Log}, o.Tuning)
	s.API = s.App.API
	s.serve("api", apiLn, s.API.Handler())
	s.serve("ops", opsLn, s.API.OpsHandler())
	if siteLn != nil {
		s.serve("website", siteLn, demosite.Handler(s.APIURL))
	}
	pruneCtx, stopPruning := context.WithCancel(context.Background())
	go s.App.Prune(pruneCtx, time.Hour)
	s.stops = append(s.stops, stopPruning)

	if !o.NoWorker {
		s.worker = true
		// As `ripen worker` does (app.App.Run): the worker's schedules.
		if err := s.App.EnsureSchedules(ctx); err != nil {
			return nil, err
		}
		if err := s.StartWorker(); err != nil {
			return nil, err
		}
		s.stops = append(s.stops, s.StopWorker)
	}
	return s, nil
}

// StopWorker stops the worker, as when its process dies; runs wait for the
// next StartWorker.
func (s *Stack) StopWorker() {
	if s.Worker != nil {
		s.Worker.Stop()
		s.Worker = nil
	}
}

// StartWorker starts a worker if none runs.
func (s *Stack) StartWorker() error {
	if s.Worker != nil || !s.worker {
		return nil
	}
	w := s.App.NewWorker()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	s.Worker = w
	return nil
}

// Err reports a part that stopped on its own.
func (s *Stack) Err() <-chan error { return s.errc }

// Stop stops every part, newest first.
func (s *Stack) Stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
	s.wg.Wait()
}

func (s *Stack) serve(name string, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			select {
			case s.errc <- fmt.Errorf("%s: %w", name, err):
			default:
			}
		}
	}()
	s.stops = append(s.stops, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
}

func listen(host string, port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("port %d is busy: %w", port, err)
	}
	return ln, nil
}

// linkSigner keeps the dev link key in the data dir, so links in emails
// already sent keep working after a restart.
func linkSigner(dataDir string) (*linktoken.Signer, error) {
	if dataDir == "" {
		k, err := linktoken.GenerateKey("dev")
		if err != nil {
			return nil, err
		}
		return linktoken.NewSigner(k)
	}
	path := filepath.Join(dataDir, "link-keys")
	if b, err := os.ReadFile(path); err == nil {
		return linktoken.ParseKeys(strings.TrimSpace(string(b)))
	}
	k, err := linktoken.GenerateKey("dev1")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(linktoken.FormatKeys(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("keep link key: %w", err)
	}
	return linktoken.NewSigner(k)
}

// ensureSearchAttributes makes sure an existing Temporal's namespace has
// ripen's search attributes: it adds the missing ones (as the embedded
// server does), and when it may not, says how to.
func ensureSearchAttributes(ctx context.Context, c client.Client, namespace string, log zerolog.Logger) error {
	err := temporalconn.CheckSearchAttributes(ctx, c, namespace, workflows.SearchAttributes())
	var sae *temporalconn.SearchAttributesError
	var nsNotFound *serviceerror.NamespaceNotFound
	if errors.As(err, &nsNotFound) {
		return fmt.Errorf("%w\ncreate it first: temporal operator namespace create --namespace %s (or pass --temporal-namespace)", err, namespace)
	}
	if err == nil || !errors.As(err, &sae) {
		if err != nil {
			log.Warn().Err(err).Msg("could not check the namespace's search attributes; visibility queries may fail")
		}
		return nil
	}
	if len(sae.Mistyped) > 0 {
		return sae // a type cannot change: the operator must decide
	}
	if _, addErr := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: sae.Missing,
	}); addErr != nil {
		return fmt.Errorf("%w\n(ripen-dev tried to add them and could not: %v)", sae, addErr)
	}
	log.Info().Str("namespace", namespace).Strs("added", slices.Sorted(maps.Keys(sae.Missing))).Msg("added ripen's search attributes to the namespace")
	return nil
}

// RedactURL hides the password of a database URL (or key=value DSN) and
// drops its query, so it can be printed.
func RedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && u.Host != "" {
		if u.User != nil {
			u.User = url.User(u.User.Username())
		}
		u.RawQuery, u.Fragment = "", ""
		return u.String()
	}
	return dsnPassword.ReplaceAllString(raw, "${1}…")
}

var dsnPassword = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)
