// Package engagement is the use case of what customers do: engagement
// events (opens, clicks, visits, downloads, fast-lane requests) are
// validated, stored once by ID, routed to the customers' running runs, and
// fed to the detectors of published journeys, which enrol a customer whose
// interest is ripe. Every source comes in here: POST /v1/events, a click on
// a tracked link, a fast-lane form, an unsubscribe, SendGrid's Event
// Webhook, and what comes next (web tracking).
//
// It starts and signals runs only through package runs, returns fault
// errors for the caller's mistakes, and knows no HTTP.
package engagement

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ripen/ripen/journeys"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
)

// Config tunes the service.
type Config struct {
	// PublicURL is the base of ripen's own links (/r/, /f/, /u/): a click
	// SendGrid reports on one of them is counted where it lands, not twice.
	PublicURL string
}

// Service takes in engagement.
type Service struct {
	store    *store.Store
	runs     *runs.Service
	journeys *journeys.Service
	cfg      Config
	log      zerolog.Logger
	metrics  metrics
	// Now is the clock (time.Now); tests may set it.
	Now func() time.Time
}

type metrics struct {
	events  *prometheus.CounterVec
	webhook *prometheus.CounterVec
}

// New builds the service; its metrics go on reg (none when nil).
func New(st *store.Store, rs *runs.Service, js *journeys.Service, cfg Config, log zerolog.Logger, reg prometheus.Registerer) *Service {
	m := metrics{
		events:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ripen_events_total", Help: "Engagement events by result (accepted, duplicate)."}, []string{"result"}),
		webhook: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ripen_webhook_events_total", Help: "SendGrid webhook events by type and result."}, []string{"event", "result"}),
	}
	if reg != nil {
		reg.MustRegister(m.events, m.webhook)
	}
	return &Service{store: st, runs: rs, journeys: js, cfg: cfg, log: log, metrics: m, Now: time.Now}
}

// CountWebhookBatch counts a SendGrid webhook post refused before its
// events were read (result: unauthorized, malformed).
func (s *Service) CountWebhookBatch(result string) {
	s.metrics.webhook.WithLabelValues("batch", result).Inc()
}

// ownLink reports whether a clicked URL is one of ripen's public links.
func (s *Service) ownLink(raw string) bool {
	base := strings.TrimRight(s.cfg.PublicURL, "/")
	if base == "" {
		return false
	}
	for _, kind := range []string{"/r/", "/f/", "/u/"} {
		if strings.HasPrefix(raw, base+kind) {
			return true
		}
	}
	return false
}
