package journeys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/simulate"
	"github.com/ripen/ripen/store"
)

// Simulations run the workflow in Temporal's test environment on the CPU of
// the process that serves the request, so each process bounds them.
const (
	// SimulationBudget is the wall-clock time one simulation may take; a
	// journey that loops on short waits over a long timeline needs more,
	// and is refused.
	SimulationBudget = 10 * time.Second
	// MaxConcurrentSimulations is how many simulations one process runs at
	// once. One more is refused at once rather than queued: queued requests
	// would hold connections and memory while the CPU is taken anyway.
	MaxConcurrentSimulations = 2
)

// simulator holds this process's simulation slots and the budget of each
// (a variable so that tests can hold the slots and shrink the budget).
var simulator = struct {
	slots  chan struct{}
	budget time.Duration
}{make(chan struct{}, MaxConcurrentSimulations), SimulationBudget}

// errOverBudget is the cause of the deadline of a simulation's context.
var errOverBudget = errors.New("the simulation ran out of time")

// Simulation is a scripted timeline to run a journey against.
type Simulation struct {
	Events   []simulate.Event `json:"events"`
	Start    *time.Time       `json:"start,omitempty"`
	Timezone string           `json:"timezone,omitempty"`
	// Contacts are the simulated account's people (default: one, "c1");
	// each gets the stored content's variant for their persona and locale.
	Contacts []simulate.Contact `json:"contacts,omitempty"`
	// Customer is the simulated customer's ID (default
	// simulate.DefaultCustomer): the arm it takes at each split and whether
	// the journey's holdout holds it out are that ID's, by the hash alone
	// (the report's arms and holdout).
	Customer string `json:"customer,omitempty"`
	// Journey, when given, is simulated instead of the newest published
	// version (try before publishing).
	Journey *journey.Definition `json:"journey,omitempty"`
}

// Simulate runs journey id (or sim.Journey) against the timeline in
// time-skipping mode, as `ripen journeys simulate --json` does. Every
// problem of the request comes back at once, each on its field. A
// simulation that takes longer than SimulationBudget is refused on its
// events; while MaxConcurrentSimulations run, another is Unavailable.
func (s *Service) Simulate(ctx context.Context, id string, sim Simulation) (*simulate.Report, error) {
	def := sim.Journey
	if def == nil {
		var err error
		if def, err = s.Latest(ctx, id); err != nil {
			return nil, err
		}
	} else if probs := journey.Validate(def, journey.ValidateOptions{}); len(probs) > 0 {
		// The posted journey's fields sit under "journey" in the request.
		for i := range probs {
			probs[i].Field = "journey." + probs[i].Field
		}
		return nil, probs
	}
	if len(sim.Events) > simulate.MaxEvents {
		// Checked before the events themselves: there is no point in
		// listing the mistakes of a script that is refused anyway.
		return nil, fault.InvalidField("events", fmt.Sprintf("at most %d events per simulation, got %d", simulate.MaxEvents, len(sim.Events)))
	}
	if len(sim.Contacts) > simulate.MaxContacts {
		return nil, fault.InvalidField("contacts", fmt.Sprintf("at most %d contacts per simulation, got %d", simulate.MaxContacts, len(sim.Contacts)))
	}
	var fields []fault.Field
	for _, p := range append(simulate.CheckContacts(sim.Contacts), simulate.CheckEvents(def, sim.Events, sim.Contacts)...) {
		fields = append(fields, fault.Field{Field: p.Field, Message: p.Message})
	}
	if _, err := simulate.LoadTimezone(sim.Timezone); err != nil {
		fields = append(fields, fault.Field{Field: "timezone", Message: err.Error()})
	}
	if len(fields) > 0 {
		return nil, fault.InvalidFields(fields...)
	}
	opt := simulate.Options{Timezone: sim.Timezone, Contacts: sim.Contacts, Customer: sim.Customer}
	if sim.Start != nil {
		opt.Start = *sim.Start
	}
	var err error
	if opt.Content, err = s.contentOf(ctx, def); err != nil {
		return nil, err
	}
	select {
	case simulator.slots <- struct{}{}:
		defer func() { <-simulator.slots }()
	default:
		return nil, fault.Newf(fault.Busy, "this server is running as many simulations as it runs at once (%d); try again in a few seconds", MaxConcurrentSimulations)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, simulator.budget, errOverBudget)
	defer cancel()
	rep, err := simulate.RunContext(ctx, def, sim.Events, opt)

	if errors.Is(err, errOverBudget) {
		// Like the time limit below, a property of what was posted: waits
		// that repeat every few seconds or minutes over months of timeline.
		return nil, fault.InvalidField("events", fmt.Sprintf("the simulation did not finish within %s, the most one may take: "+
			"a journey that loops on short waits fires a timer at every turn for months of simulated time; use longer waits in its loops", simulator.budget))
	}
	var deadline *temporal.TimeoutError
	if errors.As(err, &deadline) {
		// The simulated run hit a time limit of the simulator (the bounds
		// above keep a script clear of the one known): a property of the
		// journey and timeline posted, not a fault of the server.
		return nil, fault.InvalidField("events", "the simulated journey ran past the simulator's time limit ("+deadline.Error()+"): script a shorter timeline")
	}
	if err != nil {
		return nil, fmt.Errorf("simulate journey %s: %w", def.ID, err)
	}
	return rep, nil
}

// contentOf loads the stored content def's steps send, for the variants of
// a simulation; content that is not stored is sent as its base email.
func (s *Service) contentOf(ctx context.Context, def *journey.Definition) (map[string]store.Content, error) {
	lib := map[string]store.Content{}
	if s.store == nil { // a service without a library (tests)
		return lib, nil
	}
	for _, step := range def.Steps {
		if step.Kind() != journey.StepSend {
			continue
		}
		if _, ok := lib[step.Send]; ok {
			continue
		}
		c, err := s.store.GetContent(ctx, step.Send)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load content %s to simulate journey %s: %w", step.Send, def.ID, err)
		}
		lib[step.Send] = c
	}
	return lib, nil
}
