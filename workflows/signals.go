package workflows

import "time"

// Signal, update and query names: the API, the simulator and the Temporal
// CLI use these.
const (
	SignalEngagement    = "engagement"
	SignalFastLane      = "fast-lane"
	SignalSalesFeedback = "sales-feedback"
	SignalPause         = "pause"
	SignalResume        = "resume"
	SignalStop          = "stop"
	SignalUnsubscribe   = "unsubscribe"

	// UpdateFeedback is sales feedback as an update: unlike the signal it is
	// refused when the run has no open hand-off.
	UpdateFeedback = "feedback"

	QueryState = "state"
)

// Engagement is a signal of interest. EventID makes it count once.
type Engagement struct {
	EventID   string    `json:"event_id"`
	Kind      string    `json:"kind"` // open, click, visit, download, order, ...
	StepID    string    `json:"step_id,omitempty"`
	Topic     string    `json:"topic,omitempty"`
	ContentID string    `json:"content_id,omitempty"`
	ContactID string    `json:"contact_id,omitempty"`
	Product   string    `json:"product,omitempty"` // what an order ordered
	At        time.Time `json:"at,omitempty"`
	Points    float64   `json:"points,omitempty"` // filled by the workflow
}

// KindOrder is the engagement kind of an order: it scores nothing, and one
// that meets the journey's goal ends the run converted.
const KindOrder = "order"

// FastLane is a contact asking for sales directly. What they wrote with it
// is stored with the event in Postgres; the signal carries the event ID.
type FastLane struct {
	EventID   string    `json:"event_id,omitempty"`
	Offer     string    `json:"offer"`
	ContactID string    `json:"contact_id,omitempty"`
	At        time.Time `json:"at,omitempty"`
}

// Sales outcomes of a hand-off.
const (
	FeedbackAccepted = "accepted"
	FeedbackWon      = "won"
	FeedbackLost     = "lost"
	FeedbackRejected = "rejected"
	FeedbackNotReady = "not-ready"
)

// Feedback is sales' answer to a hand-off.
type Feedback struct {
	Outcome string `json:"outcome"`
	// Note is free text, which must stay out of workflow history: the API
	// does not send it and the run never passes it on; the note sales gave
	// is kept on the hand-off row in Postgres.
	Note      string `json:"note,omitempty"`
	HandoffID string `json:"handoff_id,omitempty"` // optional: must match the open hand-off
}

// Control carries pause, resume, stop and unsubscribe.
type Control struct {
	Reason    string `json:"reason,omitempty"`
	ContactID string `json:"contact_id,omitempty"`
	// At is when the sender gave the instruction (optional): pauses and
	// resumes that reach the run together are applied in the order of At
	// when each of them has one, else all pauses before all resumes.
	At time.Time `json:"at,omitzero"`
}

// ValidFeedback reports whether outcome is one sales may give.
func ValidFeedback(outcome string) bool {
	switch outcome {
	case FeedbackAccepted, FeedbackWon, FeedbackLost, FeedbackRejected, FeedbackNotReady:
		return true
	}
	return false
}
