package activities

import "github.com/prometheus/client_golang/prometheus"

// Metrics count what the activities did; nil counts nothing.
type Metrics struct {
	emails       *prometheus.CounterVec
	sendFailures *prometheus.CounterVec
	handoffs     *prometheus.CounterVec
	deferred     prometheus.Counter
}

// NewMetrics registers the activities' metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		emails:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ripen_emails_sent_total", Help: "Emails accepted by SendGrid, by kind (content, handoff, reminder)."}, []string{"kind"}),
		sendFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ripen_email_failures_total", Help: "Emails SendGrid refused (permanent) or failed to take (retryable)."}, []string{"kind", "retryable"}),
		handoffs:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ripen_handoffs_total", Help: "Hand-offs recorded, by reason (score, fast-lane)."}, []string{"reason"}),
		deferred:     prometheus.NewCounter(prometheus.CounterOpts{Name: "ripen_sends_deferred_total", Help: "Sends held back by the frequency cap."}),
	}
	reg.MustRegister(m.emails, m.sendFailures, m.handoffs, m.deferred)
	return m
}

func (m *Metrics) sent(kind string) {
	if m != nil {
		m.emails.WithLabelValues(kind).Inc()
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

func (m *Metrics) handoff(reason string) {
	if m != nil {
		m.handoffs.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) capped() {
	if m != nil {
		m.deferred.Inc()
	}
}
