// Package devstack assembles the whole of ripen in one process: embedded
// Temporal (or an existing one), Postgres migrations, the local SendGrid
// server, the worker and the API. ripen-dev, the end-to-end tests and the
// benchmarks all start exactly this.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/api"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/devtemporal"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/logging"
	"github.com/ripen/ripen/metrics"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/worker"
	"github.com/ripen/ripen/workflows"
)

// Options shape the stack. Zero ports pick free ones.
type Options struct {
	// DataDir keeps Temporal's SQLite file and the link keys; empty keeps
	// Temporal in memory and makes fresh keys.
	DataDir     string
	DatabaseURL string
	Host        string
	// TemporalAddress uses an existing Temporal instead of the embedded one.
	TemporalAddress string
	TemporalPort    int
	UIPort          int // -1: no Web UI
	SendGridPort    int
	APIPort         int
	// WebhookKey verifies the Event Webhook; empty uses the local SendGrid
	// server's own key.
	WebhookKey   string
	FrequencyCap config.FrequencyCap
	Log          zerolog.Logger
	// NoWorker leaves the worker out (tests that run their own).
	NoWorker bool
	// API overrides the API's tuning (zero fields keep the defaults).
	API api.Config
	// Worker sizes the worker (zero fields keep the SDK's defaults).
	Worker config.WorkerTuning
	// TemporalTuning overrides the embedded server's dynamic config and
	// SQLite settings (ignored with TemporalAddress).
	TemporalTuning devtemporal.Tuning
}

// Stack is a running ripen.
type Stack struct {
	Temporal *devtemporal.Server // nil with TemporalAddress
	Client   client.Client
	Store    *store.Store
	SendGrid *sendgriddev.Server
	API      *api.Server
	Links    *linktoken.Signer
	Worker   sdkworker.Worker
	acts     *activities.Activities
	worker   config.WorkerTuning // what StartWorker builds with

	APIURL, SendGridURL, UIURL, TemporalAddress, DatabaseURL string

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
		return nil, fmt.Errorf("migrate %s: %w", redact(o.DatabaseURL), err)
	}
	if s.Store, err = store.Open(ctx, o.DatabaseURL); err != nil {
		return nil, err
	}
	s.stops = append(s.stops, s.Store.Close)

	// Listeners first, so every part knows every URL before it starts.
	apiLn, err := listen(o.Host, o.APIPort)
	if err != nil {
		return nil, fmt.Errorf("API port: %w", err)
	}
	sgLn, err := listen(o.Host, o.SendGridPort)
	if err != nil {
		apiLn.Close()
		return nil, fmt.Errorf("SendGrid port: %w", err)
	}
	s.APIURL = "http://" + apiLn.Addr().String()
	s.SendGridURL = "http://" + sgLn.Addr().String()

	s.TemporalAddress = o.TemporalAddress
	if s.TemporalAddress == "" {
		port := o.TemporalPort
		if port == 0 {
			if port, err = devtemporal.FreePort(o.Host); err != nil {
				return nil, err
			}
		}
		uiPort := o.UIPort
		if uiPort == 0 {
			if uiPort, err = devtemporal.FreePort(o.Host); err != nil {
				return nil, err
			}
		} else if uiPort < 0 {
			uiPort = 0
		}
		dataFile := ""
		if o.DataDir != "" {
			dataFile = filepath.Join(o.DataDir, "temporal.sqlite")
		}
		s.Temporal, err = devtemporal.Start(ctx, devtemporal.Options{
			DataFile: dataFile, Host: o.Host, Port: port, UIPort: uiPort,
			SearchAttributes: workflows.SearchAttributes(), Log: o.Log, Tuning: o.TemporalTuning,
		})
		if err != nil {
			apiLn.Close()
			sgLn.Close()
			return nil, err
		}
		s.stops = append(s.stops, s.Temporal.Stop)
		s.TemporalAddress, s.UIURL = s.Temporal.Address(), s.Temporal.UIAddress()
	}
	cfg := config.Config{TemporalAddress: s.TemporalAddress, TemporalNamespace: "default"}
	apiMetrics := api.NewMetrics(nil)
	s.Client, err = client.DialContext(ctx, client.Options{
		HostPort: s.TemporalAddress, Namespace: cfg.TemporalNamespace,
		Logger:         logging.Temporal(o.Log.With().Str("component", "temporal-sdk").Logger().Level(zerolog.WarnLevel)),
		MetricsHandler: metrics.NewTemporalHandler(apiMetrics.Registry()),
	})
	if err != nil {
		return nil, fmt.Errorf("dial temporal at %s: %w", s.TemporalAddress, err)
	}
	s.stops = append(s.stops, s.Client.Close)

	if s.Links, err = linkSigner(o.DataDir); err != nil {
		return nil, err
	}

	s.SendGrid, err = sendgriddev.New(sendgriddev.Options{WebhookURL: s.APIURL + "/webhooks/sendgrid", Log: o.Log.With().Str("component", "sendgrid-dev").Logger()})
	if err != nil {
		return nil, err
	}
	s.serve("sendgrid-dev", sgLn, s.SendGrid.Handler())
	s.stops = append(s.stops, func() { _ = s.SendGrid.Close() })

	webhookKey := o.WebhookKey
	if webhookKey == "" {
		webhookKey = s.SendGrid.PublicKeyBase64()
	}
	uiURL := s.UIURL
	if uiURL == "" {
		uiURL = "http://127.0.0.1:8233"
	}
	apiCfg := o.API
	apiCfg.PublicURL, apiCfg.TemporalUIURL, apiCfg.Namespace, apiCfg.WebhookKey = s.APIURL, uiURL, cfg.TemporalNamespace, webhookKey
	s.API = api.New(s.Store, s.Client, s.Links, apiCfg, o.Log.With().Str("component", "api").Logger(), apiMetrics)
	s.serve("api", apiLn, s.API.Handler())

	if !o.NoWorker {
		s.acts = &activities.Activities{
			Store: s.Store,
			Mail:  sendgrid.New(sendgrid.Config{APIKey: "dev", BaseURL: s.SendGridURL, Timeout: 10 * time.Second}),
			Links: s.Links,
			Config: activities.Config{
				From: sendgrid.Address{Email: "nurture@ripen.example", Name: "ripen"}, PublicURL: s.APIURL,
				TemporalUIURL: uiURL, Namespace: cfg.TemporalNamespace,
				FrequencyMax: o.FrequencyCap.Max, FrequencyPer: o.FrequencyCap.Per, LinkTTL: 90 * 24 * time.Hour,
			},
			Log:     o.Log.With().Str("component", "activities").Logger(),
			Metrics: activities.NewMetrics(apiMetrics.Registry()),
		}
		s.worker = o.Worker
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
	if s.Worker != nil || s.acts == nil {
		return nil
	}
	w := worker.New(s.Client, s.acts, s.worker)
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

func redact(url string) string {
	if i := strings.Index(url, "@"); i > 0 {
		if j := strings.Index(url, "://"); j > 0 && j < i {
			return url[:j+3] + "…" + url[i:]
		}
	}
	return url
}
