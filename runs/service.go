// Package runs is the use case of journey runs, one Temporal workflow per
// (journey, customer): enrol customers, signal and answer runs, read a run's
// state, list runs, and reconcile the runs projection in Postgres with runs
// that ended without recording it. Every channel (the HTTP API, the public
// pages, the detectors in package engagement) starts and signals runs here
// and nowhere else.
//
// It returns fault errors for the caller's mistakes and knows no HTTP.
package runs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journeys"
	"github.com/ripen/ripen/logging"
	journeymetrics "github.com/ripen/ripen/metrics"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Config tunes the service; zero fields keep the defaults.
type Config struct {
	// Namespace is the Temporal namespace the runs live in (for listing).
	Namespace string
	// Concurrency bounds the calls one request makes to Temporal at once:
	// workflow starts and the signals that route events (default 32).
	Concurrency int
	// FeedbackAcceptWait bounds how long sales' answer waits for the run
	// to accept it before it is left with the run as a signal (default
	// 30 s).
	FeedbackAcceptWait time.Duration
}

// Service runs journeys.
type Service struct {
	store    *store.Store
	temporal client.Client
	journeys *journeys.Service
	cfg      Config
	log      zerolog.Logger
	metrics  metrics
	// Now is the clock (time.Now); tests may set it.
	Now func() time.Time
	// JourneyMetrics count started runs per journey (nil: not at all).
	JourneyMetrics *journeymetrics.Journeys
}

type metrics struct {
	enrollments *prometheus.CounterVec
	signals     *prometheus.CounterVec
}

// New builds the service; its metrics go on reg (none when nil).
func New(st *store.Store, tc client.Client, js *journeys.Service, cfg Config, log zerolog.Logger, reg prometheus.Registerer) *Service {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 32
	}
	if cfg.FeedbackAcceptWait <= 0 {
		cfg.FeedbackAcceptWait = 30 * time.Second
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	m := metrics{
		enrollments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ripen_enrollments_total", Help: "Enrolment results (started, already-running, suppressed, unknown-customer, detector)."}, []string{"result"}),
		signals:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ripen_signals_total", Help: "Signals sent to runs by type."}, []string{"type"}),
	}
	if reg != nil {
		reg.MustRegister(m.enrollments, m.signals)
	}
	return &Service{store: st, temporal: tc, journeys: js, cfg: cfg, log: log, metrics: m, Now: time.Now}
}

// Concurrency is how many calls to Temporal one request may make at once.
func (s *Service) Concurrency() int { return s.cfg.Concurrency }

func (s *Service) logOf(ctx context.Context) *zerolog.Logger { return logging.From(ctx, s.log) }

// CountSignal counts a signal a caller delivered through the service.
func (s *Service) countSignal(name string) { s.metrics.signals.WithLabelValues(name).Inc() }

// Send signals a run and reports whether it took the signal: a run that has
// ended or never existed is no error (took is false).
func (s *Service) Send(ctx context.Context, workflowID, name string, arg any) (took bool, err error) {
	err = s.temporal.SignalWorkflow(ctx, workflowID, "", name, arg)
	switch {
	case gone(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("signal %s to %s: %w", name, workflowID, err)
	}
	s.countSignal(name)
	return true, nil
}

// gone: Temporal answered that the workflow has ended or does not exist.
func gone(err error) bool {
	var nf *serviceerror.NotFound
	return err != nil && (errors.As(err, &nf) || strings.Contains(err.Error(), "workflow execution already completed"))
}

// timedOut: the update or query got no answer before the deadline.
func timedOut(err error) bool {
	var timeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &timeout) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded)
}

// temporalErr turns Temporal's answers about one run into faults.
func temporalErr(err error, workflowID string) error {
	var nf *serviceerror.NotFound
	var app *temporal.ApplicationError
	switch {
	case errors.As(err, &nf) && strings.Contains(nf.Error(), "already completed"):
		return fault.Newf(fault.Conflict, "the run %s has already ended", workflowID)
	case errors.As(err, &nf):
		return noRun(workflowID)
	case timedOut(err):
		return fault.Newf(fault.Unavailable, "the run did not answer in time; it may still act on the request: read the run (or the hand-off) before sending it again")
	case errors.As(err, &app) && app.Type() == workflows.ErrFeedbackPending:
		return &fault.Error{Kind: fault.Conflict, Detail: app.Message(), Reason: fault.ReasonFeedbackPending}
	case errors.As(err, &app) && app.Type() == workflows.ErrNoOpenHandoff:
		return fault.Newf(fault.Conflict, "%s", app.Message())
	case errors.As(err, &app) && app.Type() == workflows.ErrInvalidFeedback:
		return fault.InvalidField("outcome", app.Message())
	case strings.Contains(err.Error(), "workflow execution already completed"):
		return fault.Newf(fault.Conflict, "the run %s has already ended", workflowID)
	}
	return fmt.Errorf("temporal: %w", err)
}

// noRun is the answer about a run that does not exist, or that the caller
// may not see: the same, so a key of one owner learns nothing of another's.
func noRun(workflowID string) error {
	return fault.Newf(fault.NotFound, "no run %s", workflowID)
}

// SplitWorkflowID takes a workflow ID ripen/{journey}/{customer} apart.
func SplitWorkflowID(id string) (journeyID, customerID string, ok bool) {
	parts := strings.Split(id, "/")
	if len(parts) != 3 || parts[0] != "ripen" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[1], parts[2], true
}
