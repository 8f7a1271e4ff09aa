package activities

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ripen/ripen/metrics"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Metrics count what the activities did; nil counts nothing.
type Metrics struct {
	emails       *prometheus.CounterVec
	sendFailures *prometheus.CounterVec
	handoffs     *prometheus.CounterVec
	deferred     prometheus.Counter
	// Journeys count per journey (nil: not at all).
	Journeys *metrics.Journeys
}

// NewMetrics registers the activities' metrics on reg; journeys, which the
// runs use case counts enrolments on too, counts per journey.
func NewMetrics(reg prometheus.Registerer, journeys *metrics.Journeys) *Metrics {
	m := &Metrics{
		Journeys:     journeys,
		emails:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ripen_emails_sent_total", Help: "Emails accepted by SendGrid, by kind (content, handoff, reminder)."}, []string{"kind"}),
		sendFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ripen_email_failures_total", Help: "Emails SendGrid refused (permanent) or failed to take (retryable)."}, []string{"kind", "retryable"}),
		handoffs:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ripen_handoffs_total", Help: "Hand-offs recorded, by reason (score, fast-lane)."}, []string{"reason"}),
		deferred:     prometheus.NewCounter(prometheus.CounterOpts{Name: "ripen_sends_deferred_total", Help: "Sends held back by the frequency cap."}),
	}
	reg.MustRegister(m.emails, m.sendFailures, m.handoffs, m.deferred)
	return m
}

// sent counts an email SendGrid accepted; a content email counts for its
// journey too (runKey names it).
func (m *Metrics) sent(kind, runKey string) {
	if m != nil {
		m.emails.WithLabelValues(kind).Inc()
		if kind == store.OutboxContent {
			m.Journeys.Sent(journeyOfRunKey(runKey))
		}
	}
}

// journeyOfRunKey is the journey of a run key ripen/{journey}/{customer}/{run}.
func journeyOfRunKey(runKey string) string {
	parts := strings.SplitN(runKey, "/", 3)
	if len(parts) < 3 || parts[0] != "ripen" {
		return ""
	}
	return parts[1]
}

// ended counts a run that ended converted.
func (m *Metrics) ended(journeyID, outcome string) {
	if m != nil && outcome == workflows.OutcomeConverted {
		m.Journeys.Converted(journeyID)
	}
}

// answered counts sales' answer to a hand-off of journeyID.
func (m *Metrics) answered(journeyID, outcome string) {
	if m != nil {
		m.Journeys.Answered(journeyID, outcome)
	}
}

func (m *Metrics) failed(kind string, retryable bool) {
	if m != nil {
		r := "false"
		if retryable {
			r = "true"
		}
		m.sendFailures.WithLabelValues(kind, r).Inc()
	}
}

// handoff counts a hand-off recorded, and an MQN of its journey (none for
// a fast lane's hand-off without a run).
func (m *Metrics) handoff(journeyID, reason string) {
	if m != nil {
		m.handoffs.WithLabelValues(reason).Inc()
		m.Journeys.MQN(journeyID)
	}
}

func (m *Metrics) capped() {
	if m != nil {
		m.deferred.Inc()
	}
}
