package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxJourneyLabels bounds the journey label: the first journeys counted
// keep their ID, later ones count under OtherJourney, so a tenant that
// publishes journeys by the thousand cannot grow the series without end.
const MaxJourneyLabels = 200

// OtherJourney is the journey label beyond MaxJourneyLabels.
const OtherJourney = "other"

// Journeys count, per journey, what marketing ops watch on a dashboard:
// runs enrolled, content emails sent, MQNs, sales' answers by outcome and
// conversions. The report (GET /v1/journeys/{id}/report) has the exact
// figures from Postgres; these are for rates and alerts, and an activity
// retried after a crash may count its step twice. A nil Journeys counts
// nothing.
type Journeys struct {
	enrolled, sent, mqn, converted *prometheus.CounterVec
	answers                        *prometheus.CounterVec

	mu    sync.Mutex
	known map[string]bool
}

// NewJourneys registers the per-journey counters on reg.
func NewJourneys(reg prometheus.Registerer) *Journeys {
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, append([]string{"journey"}, labels...))
	}
	j := &Journeys{
		enrolled:  vec("ripen_journey_enrolled_total", "Runs started, per journey."),
		sent:      vec("ripen_journey_emails_sent_total", "Content emails SendGrid accepted, per journey."),
		mqn:       vec("ripen_journey_mqn_total", "Hand-offs recorded (a run reaching MQN, by score or fast lane), per journey."),
		answers:   vec("ripen_journey_handoffs_answered_total", "Hand-offs closed, per journey and outcome (accepted, won, lost, rejected, not-ready).", "outcome"),
		converted: vec("ripen_journey_converted_total", "Runs that ended converted (their goal met), per journey."),
		known:     map[string]bool{},
	}
	reg.MustRegister(j.enrolled, j.sent, j.mqn, j.answers, j.converted)
	return j
}

// label is journeyID, or OtherJourney once MaxJourneyLabels others have
// been counted.
func (j *Journeys) label(journeyID string) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.known[journeyID] {
		return journeyID
	}
	if len(j.known) >= MaxJourneyLabels {
		return OtherJourney
	}
	j.known[journeyID] = true
	return journeyID
}

func (j *Journeys) inc(vec *prometheus.CounterVec, journeyID string, labels ...string) {
	if j == nil || journeyID == "" {
		return
	}
	vec.WithLabelValues(append([]string{j.label(journeyID)}, labels...)...).Inc()
}

// Enrolled counts a run started on journeyID.
func (j *Journeys) Enrolled(journeyID string) {
	if j != nil {
		j.inc(j.enrolled, journeyID)
	}
}

// Sent counts a content email of journeyID that SendGrid accepted.
func (j *Journeys) Sent(journeyID string) {
	if j != nil {
		j.inc(j.sent, journeyID)
	}
}

// MQN counts a hand-off of a run of journeyID.
func (j *Journeys) MQN(journeyID string) {
	if j != nil {
		j.inc(j.mqn, journeyID)
	}
}

// Answered counts sales' answer to a hand-off of journeyID.
func (j *Journeys) Answered(journeyID, outcome string) {
	if j != nil {
		j.inc(j.answers, journeyID, outcome)
	}
}

// Converted counts a run of journeyID that ended converted.
func (j *Journeys) Converted(journeyID string) {
	if j != nil {
		j.inc(j.converted, journeyID)
	}
}
