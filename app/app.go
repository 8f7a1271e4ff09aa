// Package app is ripen's one wiring: it builds every part (the use cases,
// the activities, the API, the worker) from config.Config and the
// connections to Postgres and Temporal, and runs them under one errgroup.
// `ripen api`, `ripen worker` and the dev stack all build through New, so a
// part is configured in one place; the dev stack only brings its own
// addresses and embedded servers.
package app

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/api"
	"github.com/ripen/ripen/codec"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/console"
	"github.com/ripen/ripen/engagement"
	"github.com/ripen/ripen/journeys"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/metrics"
	"github.com/ripen/ripen/reports"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/sales"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/webhooks"
	"github.com/ripen/ripen/worker"
)

// Deps are the connections and keys the parts share.
type Deps struct {
	Store    *store.Store
	Temporal client.Client
	// Links signs and verifies public links (nil: no link is valid, and
	// sends that need one fail).
	Links *linktoken.Signer
	// Codec, when set, serves /codec for the Web UI.
	Codec *codec.Codec
	// Registry takes every part's metrics (nil: a new one with the Go and
	// process collectors).
	Registry *prometheus.Registry
	Log      zerolog.Logger
}

// Tuning overrides what config.Config does not carry, for tests and
// benchmarks; zero fields keep the defaults.
type Tuning struct {
	Runs runs.Config
	API  api.Config
}

// App is ripen's parts, built once.
type App struct {
	Config config.Config
	Deps
	Journeys   *journeys.Service
	Runs       *runs.Service
	Engagement *engagement.Service
	Sales      *sales.Service
	Console    *console.Service
	Activities *activities.Activities
	// Renewals is the renewal detector's activity (RenewalSchedule).
	Renewals *activities.Renewals
	// Webhooks are the outbound webhooks' use cases; the Dispatcher starts
	// their deliveries, in every worker (NewWorker).
	Webhooks   *webhooks.Service
	Dispatcher *webhooks.Dispatcher
	API        *api.Server
}

// NewRegistry is a metrics registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// New builds every part on d from cfg.
func New(cfg config.Config, d Deps, t Tuning) *App {
	if d.Registry == nil {
		d.Registry = NewRegistry()
	}
	a := &App{Config: cfg, Deps: d}
	a.Journeys = journeys.New(d.Store)
	rc := t.Runs
	if rc.Namespace == "" {
		rc.Namespace = cfg.TemporalNamespace
	}
	a.Runs = runs.New(d.Store, d.Temporal, a.Journeys, rc, d.Log.With().Str("component", "runs").Logger(), d.Registry)
	// The API's enrolments and the worker's sends count on one set.
	journeyMetrics := metrics.NewJourneys(d.Registry)
	a.Runs.JourneyMetrics = journeyMetrics
	a.Engagement = engagement.New(d.Store, a.Runs, a.Journeys, engagement.Config{PublicURL: cfg.PublicURL},
		d.Log.With().Str("component", "engagement").Logger(), d.Registry)
	a.Activities = &activities.Activities{
		Store: d.Store,
		Mail:  sendgrid.New(sendgrid.Config{APIKey: cfg.SendGridAPIKey, BaseURL: cfg.SendGridBaseURL}),
		Links: d.Links,
		Config: activities.Config{
			From: sendgrid.Address{Email: cfg.FromEmail, Name: cfg.FromName}, ASMGroupID: cfg.ASMGroupID,
			PublicURL: cfg.PublicURL, TemporalUIURL: cfg.TemporalUIURL, Namespace: cfg.TemporalNamespace,
			FrequencyMax: cfg.FrequencyCap.Max, FrequencyPer: cfg.FrequencyCap.Per, LinkTTL: cfg.LinkTTL,
			HandoffLinkTTL: cfg.HandoffLinkTTL, EventsRetention: cfg.EventsRetention,
		},
		Log:     d.Log.With().Str("component", "activities").Logger(),
		Metrics: activities.NewMetrics(d.Registry, journeyMetrics),
	}
	a.Sales = sales.New(d.Store, a.Runs, a.Journeys, d.Links, a.Activities.Mail, sales.Config{
		PublicURL: cfg.PublicURL, From: sendgrid.Address{Email: cfg.FromEmail, Name: cfg.FromName}, HandoffLinkTTL: cfg.HandoffLinkTTL,
	}, d.Log.With().Str("component", "sales").Logger())
	guard := webhooks.Guard{AllowPrivate: cfg.WebhooksAllowPrivate}
	a.Webhooks = webhooks.New(d.Store, guard)
	a.Activities.Outbound = activities.Outbound{Client: guard.Client()}
	a.Dispatcher = &webhooks.Dispatcher{Store: d.Store, Temporal: d.Temporal, Log: d.Log.With().Str("component", "webhooks").Logger()}
	a.Renewals = &activities.Renewals{Store: d.Store, Journeys: a.Journeys, Runs: a.Runs,
		Log: d.Log.With().Str("component", "renewals").Logger()}
	ac := t.API
	ac.PublicURL, ac.TemporalUIURL, ac.Namespace = cfg.PublicURL, cfg.TemporalUIURL, cfg.TemporalNamespace
	ac.WebhookKey, ac.LinkTTL = cfg.SendGridWebhookKey, cfg.LinkTTL
	ac.RateLimitKey, ac.RateLimitPublic = api.RateLimit(cfg.RateLimitKey), api.RateLimit(cfg.RateLimitPublic)
	ac.TrustedProxies = cfg.TrustedProxies
	ac.Codec, ac.CodecCORSOrigin, ac.CodecAuthNone = d.Codec, cfg.CodecCORSOrigin, cfg.CodecAuth == config.CodecAuthNone
	a.Console = console.New(d.Store, a.Journeys, reports.New(d.Store), a.Runs, a.Activities.Mail, console.Config{
		PublicURL: cfg.PublicURL, From: sendgrid.Address{Email: cfg.FromEmail, Name: cfg.FromName},
	}, d.Log.With().Str("component", "console").Logger())
	a.API = api.New(api.UseCases{
		Store: d.Store, Journeys: a.Journeys, Runs: a.Runs, Engagement: a.Engagement, Sales: a.Sales, Links: d.Links,
		Webhooks: a.Webhooks, Console: a.Console,
		TemporalReady: func(ctx context.Context) error {
			_, err := d.Temporal.CheckHealth(ctx, nil)
			return err
		},
	}, ac, d.Log.With().Str("component", "api").Logger(), api.NewMetrics(d.Registry))
	return a
}

// NewWorker builds a worker for the journey workflow and its activities,
// sized by cfg.Worker; the caller starts and stops it.
// While it runs it dispatches outbound webhook events too.
func (a *App) NewWorker() sdkworker.Worker {
	return &dispatchingWorker{Worker: worker.New(a.Temporal, a.Activities, a.Renewals, a.Config.Worker), dispatcher: a.Dispatcher}
}

// Prune forgets, every interval until ctx ends, what ripen keeps only for a
// while: the SendGrid webhook's event IDs older than its replay window, and
// sales' notes left for hand-offs that never closed with their answer. It
// prunes once at once; any number of processes may run it.
func (a *App) Prune(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		a.pruneOnce(ctx, "old webhook events", a.Engagement.PruneWebhookEvents)
		a.pruneOnce(ctx, "stale feedback notes", a.Runs.PruneNotes)
		a.pruneOnce(ctx, "old outbound webhook events", func(ctx context.Context) (int64, error) {
			return a.Store.PruneOutbound(ctx, time.Now().Add(-webhooks.KeepEvents))
		})
		a.pruneOnce(ctx, "ended inbox sessions", a.Sales.PruneSessions)
		a.pruneOnce(ctx, "ended console sessions", a.Console.PruneSessions)
		a.pruneOnce(ctx, "anonymous page views", a.Engagement.PruneWebViews)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pruneOnce logs how a prune went (nothing when ctx ended: the process is
// stopping).
func (a *App) pruneOnce(ctx context.Context, what string, prune func(context.Context) (int64, error)) {
	n, err := prune(ctx)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		a.Log.Warn().Err(err).Msg(what + " not pruned; trying again later")
	case n > 0:
		a.Log.Debug().Int64("removed", n).Msg(what + " pruned")
	}
}

// ServeAPI serves the API on cfg.HTTPAddr, its ops handler on
// cfg.APIOpsAddr, and prunes hourly until ctx ends, then shuts down
// gracefully; the ops listener closes last, so readiness and metrics stay
// up while requests finish.
func (a *App) ServeAPI(ctx context.Context) error {
	if addr := a.Config.APIOpsAddr; addr != "" {
		stop, err := serveOps(addr, a.API.OpsHandler(), a.Log)
		if err != nil {
			return err
		}
		defer stop()
		a.Log.Info().Str("addr", addr).Msg("API ops listener: /healthz, /readyz and /metrics")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go a.Prune(ctx, time.Hour)
	a.Log.Info().Str("addr", a.Config.HTTPAddr).Str("public_url", a.Config.PublicURL).Msg("API listening")
	if err := a.API.Run(ctx, a.Config.HTTPAddr); err != nil {
		return fmt.Errorf("API on %s: %w", a.Config.HTTPAddr, err)
	}
	return nil
}
