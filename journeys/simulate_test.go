package journeys

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/simulate"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// inline is a journey posted with the simulation, as marketing ops try a
// journey before publishing it.
func inline(t *testing.T, steps string) *journey.Definition {
	t.Helper()
	def, err := journey.Parse([]byte("id: j\nname: J\noffer: {kind: repeat, product: p}\nscoring: {points: {click: 10}}\nmqn: {threshold: 10}\nsteps:\n" + steps))
	require.NoError(t, err)
	return def
}

var stopAtOnce = []simulate.Event{{Type: "stop"}}

func TestSimulateRefusesAConditionOutsideTheGrammar(t *testing.T) {
	def := inline(t, "  - {id: s, send: c}\n")
	// As a client would post it: JSON, which Parse never sees.
	def.Steps = append(def.Steps, journey.Step{ID: "spin", If: "let a = 1..1000; any(a, {any(a, {any(a, {# < 0})})})", Send: "c"})
	_, err := (&Service{}).Simulate(context.Background(), "j", Simulation{Journey: def, Events: stopAtOnce})
	var probs journey.Problems
	require.True(t, errors.As(err, &probs), "%v", err)
	require.Len(t, probs, 1)
	assert.Equal(t, "journey.steps[1].if", probs[0].Field)
	assert.Contains(t, probs[0].Message, "let (column 5) is not allowed in a condition: only ")
}

func TestASimulationOverItsBudgetIsRefusedOnItsEvents(t *testing.T) {
	defer func(b time.Duration) { simulator.budget = b }(simulator.budget)
	simulator.budget = time.Nanosecond
	_, err := (&Service{}).Simulate(context.Background(), "j", Simulation{Journey: inline(t, "  - {id: s, send: c}\n"), Events: stopAtOnce})
	f, ok := fault.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, fault.Invalid, f.Kind)
	require.Len(t, f.Fields, 1)
	assert.Equal(t, "events", f.Fields[0].Field)
	assert.Contains(t, f.Fields[0].Message, "the simulation did not finish within 1ns, the most one may take")
}

func TestASimulationBeyondTheConcurrencyCapIsRefusedAtOnce(t *testing.T) {
	// The slots are taken as running simulations take them.
	for range MaxConcurrentSimulations {
		simulator.slots <- struct{}{}
	}
	sim := Simulation{Journey: inline(t, "  - {id: s, send: c}\n"), Events: stopAtOnce}
	_, err := (&Service{}).Simulate(context.Background(), "j", sim)
	assert.True(t, fault.Is(err, fault.Busy), "%v", err)
	assert.ErrorContains(t, err, "as many simulations as it runs at once (2)")

	<-simulator.slots // one ends
	rep, err := (&Service{}).Simulate(context.Background(), "j", sim)
	require.NoError(t, err)
	assert.Equal(t, "stopped", rep.Outcome)
	<-simulator.slots
	assert.Empty(t, simulator.slots, "a simulation gives its slot back")
}

// The API simulates a buying group: each contact gets the stored content's
// variant for their persona and locale, and events name who acted.
func TestSimulateSendsEachContactTheirStoredVariant(t *testing.T) {
	st := storetest.NewDB(t)
	ctx := context.Background()
	require.NoError(t, st.PutPersona(ctx, store.Persona{ID: "it-lead", Name: "IT lead"}))
	require.NoError(t, st.PutContent(ctx, store.Content{ID: "c", Title: "C", Topic: "t", Stage: "awareness",
		Email:    store.ContentEmail{Subject: "base", Text: "base"},
		Variants: []store.ContentVariant{{Persona: "it-lead", Locale: "de", Email: store.ContentEmail{Subject: "de", Text: "de"}}}}))
	contacts := []simulate.Contact{{ID: "max", Persona: "it-lead", Locale: "de"}, {ID: "ann", Persona: "ops-lead", Locale: "en"}}
	rep, err := New(st).Simulate(ctx, "j", Simulation{Journey: inline(t, "  - {id: s, send: c}\n"), Contacts: contacts, Customer: "acme",
		Events: []simulate.Event{{At: journey.Duration(time.Hour), Type: "stop"}}})
	require.NoError(t, err)
	require.Len(t, rep.Sends, 2)
	assert.Equal(t, []string{"max", "ann"}, []string{rep.Sends[0].Contact, rep.Sends[1].Contact})
	assert.Equal(t, []string{"it-lead/de", "base"}, []string{rep.Sends[0].Variant, rep.Sends[1].Variant})
	assert.Equal(t, "acme", rep.Customer)

	_, err = New(st).Simulate(ctx, "j", Simulation{Journey: inline(t, "  - {id: s, send: c}\n"), Contacts: contacts,
		Events: []simulate.Event{{At: journey.Duration(time.Hour), Type: "click", Step: "s", Contact: "bob"}}})
	f, ok := fault.As(err)
	require.True(t, ok, "%v", err)
	require.Len(t, f.Fields, 1)
	assert.Equal(t, "events[0].contact", f.Fields[0].Field)
}
