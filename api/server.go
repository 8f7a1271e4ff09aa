// Package api is ripen's HTTP API (gorilla/mux): marketing ops publish
// journeys and enrol customers, sales answer hand-offs and signal runs,
// contacts follow signed public links, and SendGrid posts its Event Webhook.
//
// It translates HTTP to calls of ripen's use cases (packages journeys, runs
// and engagement) and their typed errors (package fault) to problem
// documents, and nothing more: no journey logic, no call into Temporal.
package api

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/rs/zerolog"

	"github.com/ripen/ripen/codec"
	"github.com/ripen/ripen/console"
	"github.com/ripen/ripen/engagement"
	"github.com/ripen/ripen/journeys"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/reports"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/sales"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/sites"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/webhooks"
)

// UseCases are what the API calls. Store serves the records that need no
// use case of their own (personas, content, customers, owners, API keys); a
// nil Journeys is built on it, and so is a nil Runs, which then serves only
// what needs no Temporal (the sales inbox).
type UseCases struct {
	Store      *store.Store
	Journeys   *journeys.Service
	Runs       *runs.Service
	Engagement *engagement.Service
	// Sales serves the hand-off page and the rep's inbox; a nil one is
	// built on Store, Runs and Links, and sends no email.
	Sales *sales.Service
	// Links verifies the public links (nil: no link is valid).
	Links *linktoken.Signer
	// Webhooks are the outbound webhooks (admin); a nil one is built on
	// Store with a guard that refuses private addresses.
	Webhooks *webhooks.Service
	// Reports answer what a journey achieved; a nil one is built on Store.
	Reports *reports.Service
	// Sites are the water hole's websites; a nil one is built on Store.
	Sites *sites.Service
	// Console serves the console's pages and its users; a nil one is
	// built on Store and the other use cases, and emails no sign-in link.
	Console *console.Service
	// TemporalReady reports whether Temporal answers, for /readyz.
	TemporalReady func(context.Context) error
}

// Config is what the API needs to know besides its dependencies.
type Config struct {
	// PublicURL is the base URL of this API as contacts and SendGrid see it.
	PublicURL string
	// TemporalUIURL and Namespace build links to runs in the Web UI.
	TemporalUIURL string
	Namespace     string
	// WebhookKey verifies SendGrid's Event Webhook: base64 DER public keys,
	// comma-separated, so a new key can be added before the old one goes.
	WebhookKey string
	// LinkTTL bounds the life of forms' CSRF tokens and links.
	LinkTTL time.Duration
	// Codec, when set, is served on /codec/encode and /codec/decode so the
	// Temporal Web UI (CodecCORSOrigin) can show decrypted payloads to
	// admins (or to anyone with CodecAuthNone, for local setups).
	Codec           *codec.Codec
	CodecCORSOrigin string
	CodecAuthNone   bool
	// RateLimitKey bounds the requests of each API key, RateLimitPublic
	// those of each client address on the public routes (and of requests
	// without a key); zero is no limit. TrustedProxies are the peers whose
	// X-Forwarded-For names the client address.
	RateLimitKey    RateLimit
	RateLimitPublic RateLimit
	TrustedProxies  []netip.Prefix
	// WriteTimeout bounds the time Run's server takes to answer a request
	// once its headers are read (default 2 minutes); routes that may take
	// longer by design extend it for themselves (routeWriteTimeout).
	WriteTimeout time.Duration
}

// enrollWriteTimeout is the time an enrolment has to answer. The largest
// one (runs.MaxEnrolment, 10,000 customers) starts runs at the pace Temporal
// takes them, measured at 50–130 starts/s: 76–190 s, past the default
// write timeout, which would drop the per-customer results the client
// needs. Ten minutes covers the largest at 17 starts/s.
const enrollWriteTimeout = 10 * time.Minute

// Server serves the API.
type Server struct {
	store      *store.Store
	journeys   *journeys.Service
	runs       *runs.Service
	engagement *engagement.Service
	sales      *sales.Service
	links      *linktoken.Signer
	webhooks   *webhooks.Service
	reports    *reports.Service
	sites      *sites.Service
	console    *console.Service
	ready      func(context.Context) error
	cfg        Config
	log        zerolog.Logger
	metrics    *Metrics
	now        func() time.Time

	verifierOnce sync.Once
	verifier     *sendgrid.Verifier
	verifierErr  error
	guard        *guard
}

// New builds the API server.
func New(uc UseCases, cfg Config, log zerolog.Logger, m *Metrics) *Server {
	if uc.Journeys == nil && uc.Store != nil {
		uc.Journeys = journeys.New(uc.Store)
	}
	if uc.Runs == nil && uc.Store != nil {
		uc.Runs = runs.New(uc.Store, nil, uc.Journeys, runs.Config{}, log, nil)
	}
	if uc.Sales == nil && uc.Store != nil {
		uc.Sales = sales.New(uc.Store, uc.Runs, uc.Journeys, uc.Links, nil, sales.Config{PublicURL: cfg.PublicURL}, log)
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 2 * time.Minute
	}
	if cfg.LinkTTL <= 0 {
		cfg.LinkTTL = 90 * 24 * time.Hour
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	s := &Server{store: uc.Store, journeys: uc.Journeys, runs: uc.Runs, engagement: uc.Engagement, sales: uc.Sales, links: uc.Links,
		ready: uc.TemporalReady, cfg: cfg, log: log, metrics: m, now: time.Now}
	s.guard = newGuard(cfg, s.routeTable)
	s.webhooks = uc.Webhooks
	s.reports = uc.Reports
	if s.reports == nil && uc.Store != nil {
		s.reports = reports.New(uc.Store)
	}
	s.sites = uc.Sites
	if s.sites == nil && uc.Store != nil {
		s.sites = sites.New(uc.Store)
	}
	if s.webhooks == nil && uc.Store != nil {
		s.webhooks = webhooks.New(uc.Store, webhooks.Guard{})
	}
	s.console = uc.Console
	if s.console == nil {
		s.console = console.New(uc.Store, uc.Journeys, s.reports, uc.Runs, nil, console.Config{PublicURL: cfg.PublicURL}, log)
	}
	return s
}

// Roles.
const (
	RoleMarketing = "marketing"
	RoleSales     = "sales"
	RoleAdmin     = "admin"
)

// Handler is the whole API with its middleware.
func (s *Server) Handler() http.Handler { return secureHeaders(s.router()) }

func (s *Server) router() *mux.Router {
	r := mux.NewRouter()
	// The router's middleware passes these by: observe them too, so
	// probing unknown paths is logged and limited per client address.
	r.NotFoundHandler = s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, http.StatusNotFound, "no such route", nil)
	}))
	r.MethodNotAllowedHandler = s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path, nil)
	}))
	s.routes(r)
	if s.cfg.Codec != nil {
		// Outside the API-key middleware: the UI's CORS preflight carries no key.
		r.PathPrefix("/codec/").Handler(codec.Handler(s.cfg.Codec, s.cfg.CodecCORSOrigin, s.codecAuthorized)).Name("codec")
	}
	r.Use(s.observe)
	return r
}

// route is one entry of the route table; the OpenAPI test reads it too.
type route struct {
	Method, Path string
	Roles        []string // nil: public
	Handler      http.HandlerFunc
}

// routeWriteTimeout replaces the server's write timeout (the time a route
// has to answer) for the routes that take long by design, by route name.
var routeWriteTimeout = map[string]time.Duration{
	"POST /v1/journeys/{id}/enrollments": enrollWriteTimeout,
}

// routeWriteTimeouts gives the routes that take long by design their own
// write deadline, on Run's server (the only one with a write timeout to
// extend). It runs before the router's middleware, which wraps the
// ResponseWriter in one http.ResponseController cannot reach through. Only
// the write deadline moves: the read deadlines (ReadHeaderTimeout against
// slow-loris clients, ReadTimeout for the body) stay as they are.
func (s *Server) routeWriteTimeouts(r *mux.Router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m mux.RouteMatch
		if r.Match(req, &m) && m.Route != nil {
			if d, ok := routeWriteTimeout[m.Route.GetName()]; ok {
				d = max(d, s.cfg.WriteTimeout)
				if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d)); err != nil && !errors.Is(err, http.ErrNotSupported) {
					logOf(req.Context(), s.log).Warn().Err(err).Msg("extend the write deadline")
				}
			}
		}
		r.ServeHTTP(w, req)
	})
}

func (s *Server) routeTable() []route {
	mk, sl, all := []string{RoleMarketing}, []string{RoleSales}, []string{RoleMarketing, RoleSales}
	admin := []string{} // admin alone: not public (nil), and admin may use every route
	return []route{
		{"GET", "/healthz", nil, s.healthz},
		{"GET", "/openapi.yaml", nil, s.openapi},

		{"GET", "/v1/personas", mk, listRecords(s, s.personas)},
		{"GET", "/v1/personas/{id}", mk, getRecord(s, s.personas)},
		{"PUT", "/v1/personas/{id}", mk, putRecord(s, s.personas)},
		{"GET", "/v1/products", all, listRecords(s, s.products)},
		{"GET", "/v1/products/{id}", all, getRecord(s, s.products)},
		{"PUT", "/v1/products/{id}", mk, putRecord(s, s.products)},
		{"GET", "/v1/content", mk, listRecords(s, s.contents)},
		{"GET", "/v1/content/{id}", mk, getRecord(s, s.contents)},
		{"PUT", "/v1/content/{id}", mk, putRecord(s, s.contents)},
		{"GET", "/v1/customers", all, listRecords(s, s.customers)},
		{"GET", "/v1/customers/{id}", all, getRecord(s, s.customers)},
		{"PUT", "/v1/customers/{id}", mk, putRecord(s, s.customers)},
		{"GET", "/v1/customers/{id}/runs", all, s.listCustomerRuns},
		{"GET", "/v1/owners", admin, listRecords(s, s.owners)},
		{"GET", "/v1/owners/{id}", admin, getRecord(s, s.owners)},
		{"PUT", "/v1/owners/{id}", admin, putRecord(s, s.owners)},

		{"GET", "/v1/journeys", mk, s.listJourneys},
		{"GET", "/v1/journeys/{id}", mk, s.getJourney},
		{"PUT", "/v1/journeys/{id}", mk, s.putJourney},
		{"DELETE", "/v1/journeys/{id}", mk, s.deleteJourney},
		{"GET", "/v1/journeys/{id}/versions", mk, s.listJourneyVersions},
		{"POST", "/v1/journeys/{id}/simulate", mk, s.simulateJourney},
		{"GET", "/v1/journeys/{id}/report", mk, s.journeyReport},

		// The water hole (api/tracking.go): ripen's script and its beacons.
		{"GET", "/t.js", nil, s.script},
		{"GET", "/t/site/{id}", nil, s.siteForScript},
		{"POST", "/t/collect", nil, s.collect},
		{"OPTIONS", "/t/collect", nil, s.beaconPreflight},
		{"POST", "/t/identify", nil, s.identify},
		{"OPTIONS", "/t/identify", nil, s.beaconPreflight},
		{"POST", "/t/fast-lane", nil, s.fastLane},
		{"OPTIONS", "/t/fast-lane", nil, s.beaconPreflight},
		{"GET", "/v1/sites", mk, s.listSites},
		{"GET", "/v1/sites/{id}", mk, s.getSite},
		{"PUT", "/v1/sites/{id}", mk, s.putSite},
		{"DELETE", "/v1/sites/{id}", mk, s.deleteSite},
		{"POST", "/v1/journeys/{id}/enrollments", mk, s.enroll},
		{"GET", "/v1/journeys/{id}/runs/{customerID}", all, s.getRun},
		{"POST", "/v1/journeys/{id}/runs/{customerID}/signals", all, s.signalRun},
		{"GET", "/v1/runs", all, s.listRuns},

		{"POST", "/v1/events", mk, s.ingestEvents},

		{"GET", "/v1/handoffs", sl, s.listHandoffs},
		{"GET", "/v1/handoffs/{id}", sl, s.getHandoff},
		{"POST", "/v1/handoffs/{id}/feedback", sl, s.handoffFeedback},

		{"GET", "/v1/webhooks/{id}", admin, s.getWebhook},
		{"PUT", "/v1/webhooks/{id}", admin, s.putWebhook},
		{"DELETE", "/v1/webhooks/{id}", admin, s.deleteWebhook},
		{"GET", "/v1/webhooks/{id}/deliveries", admin, s.listWebhookDeliveries},

		{"GET", "/r/{token}", nil, s.trackedLink},
		// Mail scanners check links with HEAD: redirected, never counted.
		{"HEAD", "/r/{token}", nil, s.trackedLink},
		{"GET", "/f/{token}", nil, s.fastLanePage},
		{"POST", "/f/{token}", nil, s.fastLaneSubmit},
		{"GET", "/u/{token}", nil, s.unsubscribePage},
		{"POST", "/u/{token}", nil, s.unsubscribeSubmit},
		{"POST", "/webhooks/sendgrid", nil, s.sendgridWebhook},

		// Sales surfaces (api/sales.go): the hand-off page of the
		// owner's email, and the rep's inbox behind an emailed sign-in.
		{"GET", "/h/{token}", nil, s.handoffPage},
		{"POST", "/h/{token}", nil, s.handoffSubmit},
		{"GET", "/inbox", nil, s.inboxPage},
		{"GET", "/inbox/login", nil, s.inboxLoginPage},
		{"POST", "/inbox/login", nil, s.inboxLoginSubmit},
		{"GET", "/inbox/signin/{token}", nil, s.inboxSignInPage},
		{"POST", "/inbox/signin/{token}", nil, s.inboxSignInSubmit},
		{"POST", "/inbox/handoffs/{id}", nil, s.inboxAnswer},
		{"POST", "/inbox/logout", nil, s.inboxLogout},

		// The console (api/console.go): a web app for marketing ops and
		// sales leads behind its own sign-in; the role decides what it
		// shows. Its users are managed by admins.
		{"GET", "/console", nil, s.consoleHome},
		{"GET", "/console/static/console.css", nil, s.consoleStylesheet},
		{"GET", "/console/login", nil, s.consoleLoginPage},
		{"POST", "/console/login", nil, s.consoleLoginSubmit},
		{"GET", "/console/signin/{token}", nil, s.consoleSignInPage},
		{"POST", "/console/signin/{token}", nil, s.consoleSignInSubmit},
		{"POST", "/console/logout", nil, s.consoleLogout},
		{"GET", "/console/journeys", nil, s.consoleJourneys},
		{"GET", "/console/journeys/{id}", nil, s.consoleJourney},
		{"POST", "/console/journeys/{id}", nil, s.consoleJourneyPublish},
		{"GET", "/console/journeys/{id}/diff", nil, s.consoleJourneyDiff},
		{"GET", "/console/journeys/{id}/simulate", nil, s.consoleSimulatePage},
		{"POST", "/console/journeys/{id}/simulate", nil, s.consoleSimulate},
		{"GET", "/console/handoffs", nil, s.consoleHandoffs},
		{"GET", "/console/content", nil, s.consoleContent},
		{"GET", "/console/content/{id}", nil, s.consoleContentItem},
		{"GET", "/console/content/{id}/preview.html", nil, s.consoleContentPreviewHTML},
		{"POST", "/console/content/{id}/test", nil, s.consoleContentTest},
		{"GET", "/console/runs", nil, s.consoleRuns},
		{"GET", "/console/runs/{journey}/{customer}", nil, s.consoleRun},
		{"GET", "/v1/users", admin, listRecords(s, s.consoleUsers)},
		{"GET", "/v1/users/{id}", admin, getRecord(s, s.consoleUsers)},
		{"PUT", "/v1/users/{id}", admin, putRecord(s, s.consoleUsers)},
		{"DELETE", "/v1/users/{id}", admin, s.deleteConsoleUser},
	}
}

func (s *Server) routes(r *mux.Router) {
	for _, rt := range s.routeTable() {
		h := http.Handler(rt.Handler)
		if rt.Roles != nil {
			h = s.authorize(rt.Roles, h)
		}
		r.Handle(rt.Path, h).Methods(rt.Method).Name(rt.Method + " " + rt.Path)
	}
}

// Run serves on addr until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context, addr string) error {
	srv := &http.Server{
		Addr: addr, Handler: secureHeaders(s.routeWriteTimeouts(s.router())),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: s.cfg.WriteTimeout, IdleTimeout: 2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
