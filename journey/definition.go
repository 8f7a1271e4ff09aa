// Package journey holds journey definitions: the plain data marketing ops
// write in YAML or JSON, their parsing and validation, durations, send windows
// and the condition language used by `if` steps.
//
// It is plain data and pure functions: it imports no other ripen package and
// does no I/O, so that the deterministic workflow code may use all of it.
package journey

import "time"

// Definition is one version of a journey. Workflows receive it as a snapshot:
// editing a journey never changes runs in flight.
type Definition struct {
	ID         string      `json:"id" yaml:"id"`
	Version    int         `json:"version,omitempty" yaml:"version,omitempty"`
	Name       string      `json:"name" yaml:"name"`
	Offer      Offer       `json:"offer" yaml:"offer"`
	Persona    string      `json:"persona,omitempty" yaml:"persona,omitempty"`
	Audience   *Audience   `json:"audience,omitempty" yaml:"audience,omitempty"`
	Sender     string      `json:"sender,omitempty" yaml:"sender,omitempty"`
	Detector   *Detector   `json:"detector,omitempty" yaml:"detector,omitempty"`
	Scoring    Scoring     `json:"scoring" yaml:"scoring"`
	MQN        MQN         `json:"mqn" yaml:"mqn"`
	Handoff    Handoff     `json:"handoff" yaml:"handoff"`
	SendWindow *SendWindow `json:"send_window,omitempty" yaml:"send_window,omitempty"`
	Goal       *Goal       `json:"goal,omitempty" yaml:"goal,omitempty"`
	// Holdout is the percent (0 to MaxHoldout) of enrolled accounts that
	// get no email, the control group of the journey (see HeldOut).
	Holdout int    `json:"holdout,omitempty" yaml:"holdout,omitempty"`
	Steps   []Step `json:"steps" yaml:"steps"`
}

// Offer kinds.
const (
	OfferRepeat    = "repeat"
	OfferUpsell    = "upsell"
	OfferCrossSell = "cross-sell"
)

// Offer is what the journey sells. Requires lists the products an account
// must own already to be offered it, whatever the kind (an upsell's whole
// rule; for a cross-sell or repeat, a condition on top of the kind's own):
// see Eligible.
type Offer struct {
	Kind     string   `json:"kind" yaml:"kind"`
	Product  string   `json:"product" yaml:"product"`
	Requires []string `json:"requires,omitempty" yaml:"requires,omitempty"`
}

// Audience is who of an account gets the journey's sends: the contacts
// whose persona (their own, or else the customer's) is one of Personas.
// Without an audience every contact does.
type Audience struct {
	Personas []string `json:"personas" yaml:"personas"`
}

// Includes reports whether a contact of persona gets the sends.
func (a *Audience) Includes(persona string) bool {
	if a == nil {
		return true
	}
	for _, p := range a.Personas {
		if p == persona {
			return true
		}
	}
	return false
}

// Senders: whose name a journey's emails go out in. Either way they come
// from the configured sender address, which SPF and DKIM vouch for.
const (
	// SenderOwner: the account owner's name ("Eva Berger via ACME") and
	// the owner's address as Reply-To, so a reply reaches the rep. The
	// default.
	SenderOwner = "owner"
	// SenderCompany: the configured sender's name, no Reply-To.
	SenderCompany = "company"
)

// Senders are the valid values of sender.
var Senders = []string{SenderOwner, SenderCompany}

// SendsAs is the journey's sender, SenderOwner when unset.
func (d *Definition) SendsAs() string {
	if d.Sender == "" {
		return SenderOwner
	}
	return d.Sender
}

// Detector is the entry rule, one of two kinds. By engagement: MinEvents
// engagement events on any of Topics within the window enrol a customer who
// is not in the journey yet. By renewal (RenewsWithin, repeat and upsell
// offers only): a daily schedule enrols the accounts whose product renews
// within that span from today (see RenewalProducts).
//
// The engagement fields are omitted when empty so that a renewal detector's
// JSON holds renews_within alone (as the schema wants); an engagement
// detector always sets them, so its JSON is as before.
type Detector struct {
	Topics       []string `json:"topics,omitempty" yaml:"topics,omitempty"`
	MinEvents    int      `json:"min_events,omitempty" yaml:"min_events,omitempty"`
	Within       Span     `json:"within,omitzero" yaml:"within,omitempty"`
	RenewsWithin Span     `json:"renews_within,omitzero" yaml:"renews_within,omitempty"`
}

// OnRenewal reports whether d enrols by renewal rather than by engagement.
func (d *Detector) OnRenewal() bool { return d != nil && d.RenewsWithin.Std() > 0 }

// RenewalProducts are the products whose renewal opens the offer o to an
// account: for a repeat, the product itself (the account buys it again);
// for an upsell, the products it requires (the base the upsell builds on,
// whose renewal is the moment to upgrade). A cross-sell has none: it is
// offered only to accounts that do not own its product.
func RenewalProducts(o Offer) []string {
	switch o.Kind {
	case OfferRepeat:
		return []string{o.Product}
	case OfferUpsell:
		return o.Requires
	}
	return nil
}

// Scoring gives each engagement kind its points; points halve every HalfLife
// (zero means no decay). Topics, when set, are the only topics whose
// engagement counts (an engagement without a topic, on the run's own email,
// always does); publishing fills in the detector's topics and those of the
// content the steps send when the author left them out.
type Scoring struct {
	Points   map[string]float64 `json:"points" yaml:"points"`
	HalfLife Span               `json:"half_life,omitzero" yaml:"half_life,omitempty"`
	Topics   []string           `json:"topics,omitempty" yaml:"topics,omitempty"`
}

// OnTopic reports whether engagement on topic counts: it names no topic,
// the journey lists no topics, or topic is one of them.
func (s Scoring) OnTopic(topic string) bool {
	if topic == "" || len(s.Topics) == 0 {
		return true
	}
	for _, t := range s.Topics {
		if t == topic {
			return true
		}
	}
	return false
}

// MQN says when a need is marketing-qualified: a score at or above Threshold
// with engagement from at least MinContacts distinct contacts (0 or 1: any
// one), or a fast-lane request of one of the FastLane kinds.
type MQN struct {
	Threshold   float64  `json:"threshold" yaml:"threshold"`
	MinContacts int      `json:"min_contacts,omitempty" yaml:"min_contacts,omitempty"`
	FastLane    []string `json:"fast_lane,omitempty" yaml:"fast_lane,omitempty"`
	// Assets maps an asset offer (AssetOffers) to the content emailed to
	// the contact who asked for it on a fast lane.
	Assets map[string]string `json:"assets,omitempty" yaml:"assets,omitempty"`
}

// AssetOffers are the fast-lane offers that are a document the contact
// asked for: with an asset in mqn.assets, it is emailed to them.
var AssetOffers = []string{"checklist", "implementation-note"}

// IsAssetOffer reports whether offer is one of AssetOffers.
func IsAssetOffer(offer string) bool {
	for _, o := range AssetOffers {
		if o == offer {
			return true
		}
	}
	return false
}

// Asset is the content ID of the asset for offer ("" when none).
func (d *Definition) Asset(offer string) string {
	return d.MQN.Assets[offer]
}

// GoalOrder is the one goal event: an order of the goal's product.
const GoalOrder = "order"

// Goal ends a run with outcome converted when the account orders Product
// within Within of the run's start.
type Goal struct {
	Event   string `json:"event" yaml:"event"`
	Product string `json:"product" yaml:"product"`
	Within  Span   `json:"within" yaml:"within"`
}

// Handoff rules: SLA is how long sales has before a reminder; after
// "not-ready" the run cools down for RecycleAfter, at most MaxRecycles times.
// NotifyOnEnrol tells the owner at once when the detector enrols an
// account, with the events that enrolled it.
type Handoff struct {
	SLA           Span `json:"sla,omitzero" yaml:"sla,omitempty"`
	RecycleAfter  Span `json:"recycle_after,omitzero" yaml:"recycle_after,omitempty"`
	MaxRecycles   int  `json:"max_recycles,omitempty" yaml:"max_recycles,omitempty"`
	NotifyOnEnrol bool `json:"notify_on_enrol,omitempty" yaml:"notify_on_enrol,omitempty"`
}

// DefaultCoolDown is the cool-down of a journey that sets no recycle_after:
// after "not ready", and before the detector enrols a customer again.
const DefaultCoolDown = 30 * 24 * time.Hour

// CoolDown is RecycleAfter, or DefaultCoolDown when unset.
func (h Handoff) CoolDown() time.Duration {
	if d := h.RecycleAfter.Std(); d > 0 {
		return d
	}
	return DefaultCoolDown
}

// SendWindow limits sends to certain weekdays and hours in the contact's
// timezone. Days are mon..sun; From and To are "HH:MM" (To exclusive).
type SendWindow struct {
	Days []string `json:"days,omitempty" yaml:"days,omitempty"`
	From string   `json:"from,omitempty" yaml:"from,omitempty"`
	To   string   `json:"to,omitempty" yaml:"to,omitempty"`
}

// Step is one step. Exactly one of Send, Wait, Goto, Split or End is its
// action; If guards it (a false guard skips the step).
type Step struct {
	ID    string `json:"id" yaml:"id"`
	If    string `json:"if,omitempty" yaml:"if,omitempty"`
	Send  string `json:"send,omitempty" yaml:"send,omitempty"`
	Wait  Span   `json:"wait,omitzero" yaml:"wait,omitempty"`
	Until Kinds  `json:"until,omitempty" yaml:"until,omitempty"`
	Goto  string `json:"goto,omitempty" yaml:"goto,omitempty"`
	// Split sends each account down one of its arms (SplitArm).
	Split []Arm `json:"split,omitempty" yaml:"split,omitempty"`
	End   bool  `json:"end,omitempty" yaml:"end,omitempty"`
}

// Step kinds as returned by Step.Kind.
const (
	StepSend = "send"
	StepWait = "wait"
	StepGoto = "goto"
	StepEnd  = "end"
)

// Kind names the step's action.
func (s Step) Kind() string {
	switch {
	case s.Send != "":
		return StepSend
	case s.Wait.Std() > 0:
		return StepWait
	case s.Goto != "":
		return StepGoto
	case len(s.Split) > 0:
		return StepSplit
	default:
		return StepEnd
	}
}

// Engagement kinds that score points and that `until` may name.
const (
	EngagementOpen     = "open"
	EngagementClick    = "click"
	EngagementVisit    = "visit"
	EngagementDownload = "download"
	// UntilFastLane in `until` ends a wait on any fast-lane request.
	UntilFastLane = "fast_lane"
)

// Fast-lane offers a contact may request.
var FastLaneOffers = []string{"consultation", "demo", "price-indication", "checklist", "implementation-note"}

// Kinds is a list of signal kinds that may be written as one string or a list.
type Kinds []string

// Has reports whether k names kind.
func (k Kinds) Has(kind string) bool {
	for _, x := range k {
		if x == kind {
			return true
		}
	}
	return false
}

// StepIndex returns the index of the step with id, or -1.
func (d *Definition) StepIndex(id string) int {
	for i, s := range d.Steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// Points returns the points an engagement kind is worth (0 when unlisted).
func (d *Definition) Points(kind string) float64 { return d.Scoring.Points[kind] }

// IsFastLane reports whether offer qualifies at once in this journey. An empty
// fast_lane list accepts every known offer.
func (d *Definition) IsFastLane(offer string) bool {
	if len(d.MQN.FastLane) == 0 {
		for _, o := range FastLaneOffers {
			if o == offer {
				return true
			}
		}
		return false
	}
	for _, o := range d.MQN.FastLane {
		if o == offer {
			return true
		}
	}
	return false
}
