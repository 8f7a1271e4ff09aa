package chaos

import (
	"slices"
	"sync"
	"time"
)

// record is what the suite did and what the API acknowledged, kept for the
// invariants: every 2xx is a promise to check afterwards.
type record struct {
	mu sync.Mutex

	enrolled  map[string]string // customer → enrolment result (started, …)
	enrolFail map[string]string // customer → last error, for customers never started
	fastLanes []fastLaneAck
	unsubs    []unsubAck
	feedback  []feedbackAck
	batches   []batchAck
	clicks    int // tracked-link clicks answered 303
	looks     []lookAck
	faults    []faultRecord
	windows   []window
	storm     stormFacts
	// followUps counts fast lanes asked again after sales said "rejected".
	followUps int
}

func newRecord() *record {
	return &record{enrolled: map[string]string{}, enrolFail: map[string]string{}}
}

func (rc *record) lock(f func()) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	f()
}

// fastLaneAck is a fast-lane request the API answered: a thank-you page
// (form) or 202 (API signal).
type fastLaneAck struct {
	Customer string
	Contact  string
	Via      string // form, api, follow-up
	Offer    string
	Start    time.Time
	End      time.Time
	Status   int
}

// unsubAck is an unsubscribe the API answered.
type unsubAck struct {
	Customer string
	Contact  string
	Email    string
	Via      string // one-click, form, or "webhook " and the SendGrid event
	EventID  string // the SendGrid event, for webhook unsubscribes
	Start    time.Time
	End      time.Time
	Status   int
}

// feedbackAck is sales' answer to a hand-off and what the API said.
type feedbackAck struct {
	Handoff  string
	Customer string
	Via      string // handoff (POST /v1/handoffs/{id}/feedback) or signal
	Outcome  string
	Race     string // "", "two-answers", "inbox-and-run"
	Start    time.Time
	End      time.Time
	Status   int
}

// batchAck is one webhook post of the storm.
type batchAck struct {
	EventIDs []string
	Bad      string // "" for a good signature, else how it is bad
	Status   int
	Attempt  int // 1 for a first post, more for a repost
	At       time.Time
}

// lookAck is a GET on a public page that must change nothing.
type lookAck struct {
	Customer string
	Contact  string
	Kind     string // f or u
	Status   int
}

// faultRecord is one fault injected.
type faultRecord struct {
	Kind   string // worker kill, temporal kill, postgres restart, sendgrid faults, webhook storm
	Target string
	At     time.Time
	// Back is when the target served again (or the fault ended).
	Back   time.Time
	Detail string
}

// window is a time when a dependency of the API was down on purpose; the
// API may answer 5xx in it.
type window struct {
	Kind     string
	From, To time.Time
}

func (rc *record) addFault(f faultRecord) {
	rc.lock(func() { rc.faults = append(rc.faults, f) })
}

func sortDurations(ds []time.Duration) { slices.Sort(ds) }
