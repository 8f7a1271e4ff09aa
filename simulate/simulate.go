// Package simulate runs the real journey workflow against a scripted
// customer in Temporal's time-skipping test environment: months of a journey
// pass in a second, so marketing ops can see what their journey does before
// anyone receives it.
//
// Activities are replaced by recorders: nothing is sent and nothing is
// stored.
package simulate

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Options shape a simulation.
type Options struct {
	// Start is the enrolment time (default: next Monday 09:00 in Timezone);
	// the report shows it, and every time after it, in Timezone.
	Start time.Time
	// Timezone of the send window and the report: an IANA name (default:
	// the first contact's, else UTC; "Local" is refused, see LoadTimezone).
	Timezone string
	// Contacts are the account's people (default: one contact, "c1").
	Contacts []Contact
	// Content is the content library by id, for the variant each contact
	// gets; content not in it (or no library) is sent as its base email.
	Content map[string]store.Content
	// Customer is the simulated customer's ID (default DefaultCustomer). It
	// decides, by the same hash as for a real run, the arm the account
	// takes at each split and whether the journey's holdout holds it out.
	Customer string
	// Horizon stops the simulation this long after the last event (default
	// 400 days), for journeys that would wait for ever.
	Horizon time.Duration
}

// DefaultCustomer is the customer ID a simulation runs for when it names
// none: the arms and holdout it shows are this ID's.
const DefaultCustomer = "simulated-customer"

// Report is what happened. Times are seconds since enrolment.
type Report struct {
	Journey  string    `json:"journey"`
	Version  int       `json:"version"`
	Customer string    `json:"customer"`
	Contacts []Contact `json:"contacts"`
	Start    time.Time `json:"start"`
	Outcome  string    `json:"outcome"`
	Stage    string    `json:"stage"`
	MQN      bool      `json:"mqn"`
	Score    float64   `json:"score"`
	Cycles   int       `json:"cycles"`
	Touches  int       `json:"touches"`
	Handoffs []Handoff `json:"handoffs"`
	Sends    []Send    `json:"sends"`
	Timeline []Entry   `json:"timeline"`
	EndS     float64   `json:"end_s"`
	// Arms and Holdout are the run's, as its state lists them: the arm the
	// customer took at each split step it reached, and whether the
	// journey's holdout held it out (its sends are then withheld, kind
	// "send-withheld" in the timeline).
	Arms    map[string]string `json:"arms"`
	Holdout bool              `json:"holdout"`
	// Notes say where the simulation differs from a published run.
	Notes []string `json:"notes,omitempty"`
}

// notes says where a simulation of def differs from a published run of it:
// the simulator does not publish, so a journey without scoring.topics
// scores every topic here; a buying group smaller than mqn.min_contacts
// qualifies only by a fast lane; the arms and holdout of a journey with
// experiments are those of the customer simulated, by the hash alone.
func notes(def *journey.Definition, opt Options) []string {
	var out []string
	if len(def.Scoring.Topics) == 0 {
		out = append(out, "scoring.topics is not set, so every topic scores here; a published version scores only the detector's topics and those of the content its steps send")
	}
	if n := len(orDefault(opt.Contacts)); def.MQN.MinContacts > n {
		out = append(out, fmt.Sprintf("mqn.min_contacts is %d and the simulation has %d contact(s), so only a fast lane qualifies here; list the buying group with --contacts", def.MQN.MinContacts, n))
	}
	if hasExperiments(def) {
		customer := cmp.Or(opt.Customer, DefaultCustomer)
		out = append(out, "arms and holdout are those the hash gives customer "+customer+" (--customer names another); a real account keeps the arm it took first, in any version")
	}
	return out
}

// Handoff is one escalation to sales.
type Handoff struct {
	AtS    float64 `json:"at_s"`
	Reason string  `json:"reason"`
	Offer  string  `json:"offer,omitempty"`
	Score  float64 `json:"score"`
	Cycle  int     `json:"cycle"`
}

// Send is one email sent to one contact.
type Send struct {
	Step    string `json:"step"`
	Content string `json:"content"`
	Contact string `json:"contact"`
	// Variant is the email the contact got (store.Content.EmailFor):
	// "base", or the variant's "persona/locale", "persona" or "locale".
	Variant string  `json:"variant"`
	AtS     float64 `json:"at_s"`
	Cycle   int     `json:"cycle"`
}

// Entry is one line of the timeline.
type Entry struct {
	AtS    float64 `json:"at_s"`
	Kind   string  `json:"kind"`
	Step   string  `json:"step,omitempty"`
	Detail string  `json:"detail,omitempty"`
}

// Run simulates def against the scripted events. Events that do not fit the
// journey (see CheckEvents) are refused with a journey.Problems error.
func Run(def *journey.Definition, events []Event, opt Options) (*Report, error) {
	return RunContext(context.Background(), def, events, opt)
}

// RunContext is Run that gives up when ctx ends: it stops the simulated run
// and returns an error wrapping context.Cause(ctx). A simulation costs
// wall-clock time for every timer it fires, and a valid journey that loops
// on a one-second wait fires a hundred million of them in three simulated
// years, so a server bounds each simulation with a deadline on ctx.
func RunContext(ctx context.Context, def *journey.Definition, events []Event, opt Options) (*Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("simulate %s: %w", def.ID, context.Cause(ctx))
	}
	if probs := append(CheckContacts(opt.Contacts), CheckEvents(def, events, opt.Contacts)...); len(probs) > 0 {
		return nil, probs
	}
	contacts := orDefault(opt.Contacts)
	opt.Timezone = cmp.Or(opt.Timezone, contacts[0].Timezone)
	loc, err := LoadTimezone(opt.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone: %w", err)
	}
	// The timeline reads in the contact's time zone, as the send window does.
	start := opt.Start.In(loc)
	if opt.Start.IsZero() {
		start = nextMonday9(loc)
	}
	horizon := opt.Horizon
	if horizon <= 0 {
		horizon = 400 * 24 * time.Hour
	}
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := ts.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetTestTimeout(time.Minute)
	rec := &recorder{env: env, start: start, tz: opt.Timezone, def: def, contacts: contacts, content: opt.Content, suppressed: map[string]bool{}}
	env.RegisterActivity(rec)
	env.RegisterWorkflow(workflows.Journey)

	sorted := append([]Event(nil), events...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At < sorted[j].At })
	var last time.Duration
	for i, e := range sorted {
		e, id := e, fmt.Sprintf("sim-%d", i+1)
		last = e.At.Std()
		env.RegisterDelayedCallback(func() { rec.inject(e, id) }, e.At.Std())
	}
	// Journeys may wait for ever (e.g. for sales); stop them at the horizon
	// and report where they stand.
	env.RegisterDelayedCallback(func() {
		if st, err := rec.state(); err == nil && st.Status == workflows.StatusRunning {
			rec.horizon = &st
			env.SignalWorkflow(workflows.SignalStop, workflows.Control{Reason: "simulation horizon"})
		}
	}, last+horizon)

	// The test environment runs the workflow on the caller's goroutine and
	// has no context of its own; a signal is the one thing it accepts from
	// another goroutine, and stop ends a run at its next workflow task.
	var gaveUp atomic.Bool
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			gaveUp.Store(true)
			env.SignalWorkflow(workflows.SignalStop, workflows.Control{Reason: "simulation stopped: " + context.Cause(ctx).Error()})
		case <-finished:
		}
	}()
	customer := cmp.Or(opt.Customer, DefaultCustomer)
	env.ExecuteWorkflow(workflows.Journey, workflows.Input{Journey: *def, CustomerID: customer})
	close(finished)
	if gaveUp.Load() {
		return nil, fmt.Errorf("simulate %s: stopped on %s of the simulated timeline: %w", def.ID, Day(rec.since(env.Now())), context.Cause(ctx))
	}
	if err := env.GetWorkflowError(); err != nil {
		return nil, fmt.Errorf("simulate %s: %w", def.ID, err)
	}
	var res workflows.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		return nil, fmt.Errorf("simulate %s: %w", def.ID, err)
	}
	rep := rec.report
	rep.Journey, rep.Version, rep.Start = def.ID, def.Version, start
	rep.Customer, rep.Contacts = customer, contacts
	rep.Outcome, rep.Score, rep.Cycles, rep.Touches = res.Outcome, res.Score, res.Cycles, res.Touches
	rep.Stage = workflows.StageDone
	rep.MQN = len(rep.Handoffs) > 0
	if rec.horizon != nil {
		rep.Outcome, rep.Stage = "running", rec.horizon.Stage
	}
	rep.EndS = rec.since(env.Now())
	rep.Arms, rep.Holdout = map[string]string{}, false
	if st, err := rec.state(); err == nil {
		rep.Holdout = st.Holdout
		maps.Copy(rep.Arms, st.Arms)
		rep.Timeline = withWithheld(rep.Timeline, st, rec)
	}
	rep.Notes = notes(def, opt)
	rep.Timeline = append(rep.Timeline, Entry{AtS: rep.EndS, Kind: "end", Detail: rep.Outcome})
	if rep.Sends == nil {
		rep.Sends = []Send{}
	}
	if rep.Handoffs == nil {
		rep.Handoffs = []Handoff{}
	}
	return &rep, nil
}

// recorder stands in for every activity and writes the timeline.
type recorder struct {
	mu      sync.Mutex
	env     *testsuite.TestWorkflowEnvironment
	start   time.Time
	tz      string
	report  Report
	horizon *workflows.State
	n       int
	// The account: its contacts, those who unsubscribed, and the content
	// library their variants come from.
	def        *journey.Definition
	contacts   []Contact
	suppressed map[string]bool
	content    map[string]store.Content
}

func (r *recorder) since(t time.Time) float64 { return t.Sub(r.start).Seconds() }

func (r *recorder) add(kind, step, detail string) {
	r.report.Timeline = append(r.report.Timeline, Entry{AtS: r.since(r.env.Now()), Kind: kind, Step: step, Detail: detail})
}

func (r *recorder) state() (workflows.State, error) {
	var st workflows.State
	v, err := r.env.QueryWorkflow(workflows.QueryState)
	if err != nil {
		return st, err
	}
	return st, v.Get(&st)
}

func (r *recorder) inject(e Event, id string) {
	r.mu.Lock()
	detail := e.Type
	switch {
	case e.Offer != "":
		detail += " " + e.Offer
		if e.Note != "" {
			detail += fmt.Sprintf(" (%q)", e.Note)
		}
	case e.Outcome != "":
		detail += " " + e.Outcome
	case e.Topic != "":
		detail += " on " + e.Topic
	}
	contact := ""
	if slices.Contains(contactEvents, e.Type) {
		// An event that names nobody is the first contact's.
		contact = cmp.Or(e.Contact, r.contacts[0].ID)
		if len(r.contacts) > 1 {
			detail += " by " + contact
		}
	}
	r.add("event", e.Step, detail)
	everyone := false
	if e.Type == "unsubscribe" {
		r.suppressed[contact] = true
		everyone = len(r.suppressed) == len(r.contacts)
	}
	r.mu.Unlock()
	switch e.Type {
	case "open", "click", "visit", "download":
		r.env.SignalWorkflow(workflows.SignalEngagement, workflows.Engagement{EventID: id, Kind: e.Type, StepID: e.Step, Topic: e.Topic, ContactID: contact})
	case "fast-lane":
		r.env.SignalWorkflow(workflows.SignalFastLane, workflows.FastLane{EventID: id, Offer: e.Offer, ContactID: contact})
	case "sales-feedback":
		r.env.UpdateWorkflow(workflows.UpdateFeedback, id, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.add("feedback-refused", "", err.Error())
			},
			OnComplete: func(any, error) {},
		}, workflows.Feedback{Outcome: e.Outcome, Note: e.Note})
	case "pause":
		r.env.SignalWorkflow(workflows.SignalPause, workflows.Control{})
	case "resume":
		r.env.SignalWorkflow(workflows.SignalResume, workflows.Control{})
	case "stop":
		r.env.SignalWorkflow(workflows.SignalStop, workflows.Control{})
	case "unsubscribe":
		// One contact's unsubscribe suppresses that contact alone; the run
		// hears of it when nobody of the account is left to mail.
		if everyone {
			r.env.SignalWorkflow(workflows.SignalUnsubscribe, workflows.Control{ContactID: contact})
		}
	}
}

// The activities, recorded.

func (r *recorder) LoadRunContext(context.Context, workflows.RunContextRequest) (workflows.RunContext, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return workflows.RunContext{OwnerID: "simulated-owner", Timezone: r.tz, Reachable: len(r.suppressed) < len(r.contacts)}, nil
}

// SendContent sends as activities.SendContent does: one email to each
// contact of the journey's audience who has not unsubscribed, each with the
// variant for their persona and locale; suppressed when nobody got one.
func (r *recorder) SendContent(_ context.Context, req workflows.SendRequest) (workflows.SendResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at := r.since(r.env.Now())
	res := workflows.SendResult{Status: workflows.SendSuppressed}
	for _, c := range r.contacts {
		if !r.def.Audience.Includes(c.Persona) || r.suppressed[c.ID] {
			continue
		}
		r.n++
		variant := variantFor(r.content, req.ContentID, c)
		r.report.Sends = append(r.report.Sends, Send{Step: req.StepID, Content: req.ContentID, Contact: c.ID, Variant: variant, AtS: at, Cycle: req.Cycle})
		detail := req.ContentID
		if len(r.contacts) > 1 || variant != store.VariantBase {
			detail += fmt.Sprintf(" to %s (%s)", c.ID, variant)
		}
		r.add("send", req.StepID, detail)
		res.Status = workflows.SendSent
		res.MessageIDs = append(res.MessageIDs, fmt.Sprintf("sim-msg-%d", r.n))
	}
	if res.Status == workflows.SendSuppressed {
		r.add("send-skipped", req.StepID, req.ContentID+": nobody of the audience is left to mail")
	}
	return res, nil
}

func (r *recorder) RecordHandoff(_ context.Context, req workflows.HandoffRequest) (workflows.HandoffRecord, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report.Handoffs = append(r.report.Handoffs, Handoff{AtS: r.since(r.env.Now()), Reason: req.Reason, Offer: req.Offer, Score: req.Score, Cycle: req.Cycle})
	detail := req.Reason
	if req.Offer != "" {
		detail += " (" + req.Offer + ")"
	}
	r.add("handoff", "", fmt.Sprintf("%s, score %.1f, cycle %d", detail, req.Score, req.Cycle))
	return workflows.HandoffRecord{ID: fmt.Sprintf("sim-handoff-%d", len(r.report.Handoffs))}, nil
}

func (r *recorder) NotifyOwner(_ context.Context, req workflows.NotifyRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Reminder > 0 {
		r.add("sla-reminder", "", fmt.Sprintf("reminder %d to the account owner", req.Reminder))
	}
	return nil
}

func (r *recorder) CloseHandoff(_ context.Context, req workflows.CloseHandoffRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add("feedback", "", req.Outcome)
	return nil
}

func (r *recorder) SyncRun(_ context.Context, snap workflows.RunSnapshot) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.report.Timeline); n == 0 || r.report.Timeline[n-1].Kind != "stage" || r.report.Timeline[n-1].Detail != snap.Stage {
		r.add("stage", "", snap.Stage)
	}
	return nil
}

func nextMonday9(loc *time.Location) time.Time {
	now := time.Now().In(loc)
	d := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, loc)
	for d.Weekday() != time.Monday || !d.After(now) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}
