package simulate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/workflows"
)

// Event is one scripted thing the customer (or sales) does, At after
// enrolment.
type Event struct {
	At      journey.Duration `json:"at" yaml:"at"`
	Type    string           `json:"type" yaml:"type"`
	Step    string           `json:"step,omitempty" yaml:"step,omitempty"`
	Topic   string           `json:"topic,omitempty" yaml:"topic,omitempty"`
	Offer   string           `json:"offer,omitempty" yaml:"offer,omitempty"`
	Outcome string           `json:"outcome,omitempty" yaml:"outcome,omitempty"`
	Note    string           `json:"note,omitempty" yaml:"note,omitempty"`
	// Contact is who of the account acted (default: the first contact).
	Contact string `json:"contact,omitempty" yaml:"contact,omitempty"`
}

// contactEvents are the event types a contact does, which may name the
// contact; sales and marketing ops do the others.
var contactEvents = []string{"open", "click", "visit", "download", "fast-lane", "unsubscribe"}

// Event types a script may use.
var eventTypes = []string{"open", "click", "visit", "download", "fast-lane", "sales-feedback", "pause", "resume", "stop", "unsubscribe"}

// feedbackOutcomes are the answers a sales-feedback event may give.
var feedbackOutcomes = []string{workflows.FeedbackAccepted, workflows.FeedbackWon, workflows.FeedbackLost, workflows.FeedbackRejected, workflows.FeedbackNotReady}

// ParseEvents reads a YAML (or JSON) list of events and checks every one of
// them, against def's steps and fast lane when def is not nil and against
// the simulated contacts (nil: the one default contact). On mistakes it
// returns a journey.Problems error listing each with its line and field
// ("events[1].offer"), as journey.Parse does for a journey.
func ParseEvents(data []byte, def *journey.Definition, contacts []Contact) ([]Event, error) {
	var evs []Event
	lines, form := journey.DecodeYAML(data, "events", &evs)
	probs := append(form, withoutReported(checkEvents(def, evs, contacts, lines), form)...)
	if len(probs) > 0 {
		return nil, sortByLine(probs)
	}
	return evs, nil
}

// CheckEvents checks scripted events against def (nil: only the checks that
// need no journey) and the simulated contacts (nil: the one default
// contact), and returns every problem (nil when there are none).
func CheckEvents(def *journey.Definition, evs []Event, contacts []Contact) journey.Problems {
	return checkEvents(def, evs, contacts, nil)
}

// ValidateEvents checks scripted events without a journey: types, offers,
// outcomes and the fields each type needs. It returns a journey.Problems
// error, or nil. Run also checks steps and offers against the journey.
func ValidateEvents(evs []Event) error {
	if probs := checkEvents(nil, evs, nil, nil); len(probs) > 0 {
		return probs
	}
	return nil
}

// A script is bounded below the limits of Temporal's test environment, which
// the simulator runs in (for the command line and the API alike):
//
//   - it caps a workflow at 10 years of simulated time, and the simulator
//     runs on until its horizon (400 days by default) after the last event:
//     an event past ~3,250 days failed the run with a ScheduleToClose
//     deadline. Three years of script covers any nurture journey (cool-downs
//     and recycles included) and stays far below that;
//   - it queues the simulator's timed callbacks (one per event, plus the
//     horizon and the start) in a channel of 1,000: a script of 999 events
//     or more blocked Run for ever. 500 leave room and simulate in well
//     under a second.
const (
	MaxEvents = 500
	MaxAt     = 3 * 365 * 24 * time.Hour
)

// checkEvents is CheckEvents placing problems on lines (nil: Line 0).
func checkEvents(def *journey.Definition, evs []Event, contacts []Contact, lines journey.Lines) journey.Problems {
	var probs journey.Problems
	ids := contactIDs(orDefault(contacts))
	if len(evs) > MaxEvents {
		probs = append(probs, journey.Problem{Line: lines.Line("events"), Field: "events",
			Message: fmt.Sprintf("at most %d events per simulation, got %d", MaxEvents, len(evs))})
		return probs
	}
	for i, e := range evs {
		at := fmt.Sprintf("events[%d]", i)
		problem := func(field, format string, args ...any) {
			f := at + "." + field
			probs = append(probs, journey.Problem{Line: lines.Line(f), Field: f, Message: fmt.Sprintf(format, args...)})
		}
		if lines != nil && !lines.Has(at+".at") {
			problem("at", "at is required: when it happens after enrolment, e.g. 2d")
		}
		if e.At < 0 {
			problem("at", "must not be negative")
		}
		if e.At.Std() > MaxAt {
			problem("at", "must be at most %dd after enrolment: a simulation covers three years at most", MaxAt/(24*time.Hour))
		}
		switch {
		case e.Type == "":
			problem("type", "type is required: one of %s", strings.Join(eventTypes, ", "))
			continue
		case !slices.Contains(eventTypes, e.Type):
			problem("type", "unknown event type %q: want one of %s%s", e.Type, strings.Join(eventTypes, ", "), journey.DidYouMean(e.Type, eventTypes))
			continue
		}
		for _, p := range checkEvent(def, e) {
			problem(p.field, "%s", p.msg)
		}
		switch {
		case e.Contact == "":
		case !slices.Contains(contactEvents, e.Type):
			problem("contact", "only %s events name a contact (who of the account acted)", strings.Join(contactEvents, ", "))
		case !slices.Contains(ids, e.Contact):
			problem("contact", "unknown contact %q: the simulation's contacts are %s%s", e.Contact, strings.Join(ids, ", "), journey.DidYouMean(e.Contact, ids))
		}
	}
	return probs
}

type fieldProblem struct{ field, msg string }

// checkEvent checks the fields an event of a known type needs and has.
func checkEvent(def *journey.Definition, e Event) []fieldProblem {
	var out []fieldProblem
	add := func(field, format string, args ...any) {
		out = append(out, fieldProblem{field, fmt.Sprintf(format, args...)})
	}
	// step: the email clicked or opened.
	switch {
	case e.Type != "click" && e.Type != "open":
		if e.Step != "" {
			add("step", "only click and open events name a step (the email clicked or opened)")
		}
	case e.Step == "":
		add("step", "a %s event needs the step whose email was %s", e.Type, pastTense(e.Type))
	case def != nil:
		if i := def.StepIndex(e.Step); i < 0 {
			add("step", "unknown step %q: %s%s", e.Step, sendStepsText(def), journey.DidYouMean(e.Step, sendSteps(def)))
		} else if def.Steps[i].Kind() != journey.StepSend {
			add("step", "step %q sends no email: click and open events name a send step; %s", e.Step, sendStepsText(def))
		}
	}
	// topic: what was visited (or downloaded).
	switch {
	case e.Type == "visit" && e.Topic == "":
		add("topic", "a visit event needs the topic visited")
	case e.Type != "visit" && e.Type != "download" && e.Topic != "":
		add("topic", "only visit and download events have a topic")
	}
	// offer: what the contact asked sales for.
	switch {
	case e.Type != "fast-lane":
		if e.Offer != "" {
			add("offer", "only fast-lane events have an offer")
		}
	case e.Offer == "":
		add("offer", "a fast-lane event needs an offer: one of %s", strings.Join(journey.FastLaneOffers, ", "))
	case !slices.Contains(journey.FastLaneOffers, e.Offer):
		add("offer", "unknown fast-lane offer %q: want one of %s%s", e.Offer, strings.Join(journey.FastLaneOffers, ", "), journey.DidYouMean(e.Offer, journey.FastLaneOffers))
	case def != nil && !def.IsFastLane(e.Offer):
		add("offer", "the journey's fast lane does not include %q (mqn.fast_lane: %s), so the request would qualify nothing", e.Offer, strings.Join(def.MQN.FastLane, ", "))
	}
	// outcome: sales' answer.
	switch {
	case e.Type != "sales-feedback":
		if e.Outcome != "" {
			add("outcome", "only sales-feedback events have an outcome")
		}
	case e.Outcome == "":
		add("outcome", "a sales-feedback event needs an outcome: one of %s", strings.Join(feedbackOutcomes, ", "))
	case !workflows.ValidFeedback(e.Outcome):
		add("outcome", "unknown outcome %q: want one of %s%s", e.Outcome, strings.Join(feedbackOutcomes, ", "), journey.DidYouMean(e.Outcome, feedbackOutcomes))
	}
	if e.Note != "" && e.Type != "fast-lane" && e.Type != "sales-feedback" {
		add("note", "only fast-lane and sales-feedback events have a note")
	}
	return out
}

func pastTense(kind string) string {
	if kind == "open" {
		return "opened"
	}
	return "clicked"
}

// sendSteps lists the ids of def's send steps, in order.
func sendSteps(def *journey.Definition) []string {
	var ids []string
	for _, s := range def.Steps {
		if s.Kind() == journey.StepSend {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// sendStepsText says which steps a click or open may name.
func sendStepsText(def *journey.Definition) string {
	ids := sendSteps(def)
	if len(ids) == 0 {
		return "the journey sends no email"
	}
	return "the journey's send steps are " + strings.Join(ids, ", ")
}

// withoutReported drops the rule problems about fields whose form was
// already reported: after "events[0].type: must be a string", "type is
// required" is noise.
func withoutReported(rules, form journey.Problems) journey.Problems {
	var out journey.Problems
	for _, r := range rules {
		if !slices.ContainsFunc(form, func(f journey.Problem) bool {
			return f.Field != "" && (r.Field == f.Field || strings.HasPrefix(r.Field, f.Field+".") || strings.HasPrefix(r.Field, f.Field+"["))
		}) {
			out = append(out, r)
		}
	}
	return out
}

// sortByLine orders problems by line, then field, as journey.Parse does.
func sortByLine(p journey.Problems) journey.Problems {
	slices.SortStableFunc(p, func(a, b journey.Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), strings.Compare(a.Field, b.Field))
	})
	return p
}

// LoadTimezone returns the IANA time zone name (UTC when empty). It refuses
// "Local" and anything else that is not an IANA name: a simulation must not
// depend on the machine it runs on.
func LoadTimezone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	const want = "want an IANA time zone name such as Europe/Berlin or UTC"
	if name == "Local" {
		return nil, fmt.Errorf("%q is this machine's time zone, not the contact's: %s", name, want)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a time zone: %s", name, want)
	}
	return loc, nil
}
