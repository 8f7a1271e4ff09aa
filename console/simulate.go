package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/journeys"
	"github.com/ripen/ripen/simulate"
	"github.com/ripen/ripen/workflows"
)

// SimulationRequest is the console's simulate form: a journey (its newest
// published version, or Source, the YAML being edited) against a timeline
// of events, for contacts with personas (optional), as YAML.
type SimulationRequest struct {
	// Source, when not blank, is simulated instead of the published
	// version: try before publishing.
	Source string
	// Events and Contacts are YAML lists as `ripen journeys simulate`
	// reads them from its files.
	Events, Contacts string
	// Customer is the simulated customer's ID (its arms and holdout).
	Customer string
}

// SimulationProblem is one mistake of the form, on its field ("events",
// "contacts", "source" or another of the request) and line.
type SimulationProblem struct {
	Input string
	journey.Problem
}

// Simulation is a simulated run as the console draws it.
type Simulation struct {
	Report *simulate.Report
	// Journey is the definition simulated.
	Journey *journey.Definition
	// Events are the events of the timeline that happened before the run
	// ended, in time order.
	Events []simulate.Event
	// Score is the score over the run, in days since enrolment: the
	// journey's points for each engagement that counts, halving every
	// half-life, from zero at each new cycle.
	Score []ScorePoint
}

// ScorePoint is the score at a day of a simulated run.
type ScorePoint struct {
	Day, Score float64
}

// maxSimulationInput bounds each of the form's YAML fields.
const maxSimulationInput = 64 << 10

// Simulate runs journey id (or req.Source) against the scripted timeline
// with the use case POST /v1/journeys/{id}/simulate calls, in
// time-skipping mode. Mistakes of the form come back as problems, each on
// its field and line, and err is then nil; while the server runs as many
// simulations as it may, err is Busy.
func (s *Service) Simulate(ctx context.Context, sess Session, id string, req SimulationRequest) (Simulation, []SimulationProblem, error) {
	if err := sess.need(AreaJourneys); err != nil {
		return Simulation{}, nil, err
	}
	var probs []SimulationProblem
	add := func(input string, ps journey.Problems) {
		for _, p := range ps {
			probs = append(probs, SimulationProblem{Input: input, Problem: p})
		}
	}
	for _, in := range []struct{ name, v string }{{"source", req.Source}, {"events", req.Events}, {"contacts", req.Contacts}} {
		if len(in.v) > maxSimulationInput {
			add(in.name, journey.Problems{{Message: fmt.Sprintf("longer than %d KiB", maxSimulationInput>>10)}})
		}
	}
	if len(probs) > 0 {
		return Simulation{}, probs, nil
	}
	var sim journeys.Simulation
	var def *journey.Definition
	var err error
	if strings.TrimSpace(req.Source) != "" {
		def, err = s.journeys.Parse(ctx, []byte(req.Source))
		var ps journey.Problems
		if errors.As(err, &ps) {
			add("source", ps)
			return Simulation{}, probs, nil
		}
		if err != nil {
			return Simulation{}, nil, fmt.Errorf("read the journey to simulate: %w", err)
		}
		sim.Journey = def
	} else if def, err = s.journeys.Latest(ctx, id); err != nil {
		return Simulation{}, nil, err
	}
	if strings.TrimSpace(req.Contacts) != "" {
		cs, err := simulate.ParseContacts([]byte(req.Contacts))
		var ps journey.Problems
		if errors.As(err, &ps) {
			add("contacts", ps)
			return Simulation{}, probs, nil
		}
		if err != nil {
			return Simulation{}, nil, fmt.Errorf("read the contacts to simulate: %w", err)
		}
		sim.Contacts = cs
	}
	evs, err := simulate.ParseEvents([]byte(req.Events), def, sim.Contacts)
	var ps journey.Problems
	if errors.As(err, &ps) {
		add("events", ps)
		return Simulation{}, probs, nil
	}
	if err != nil {
		return Simulation{}, nil, fmt.Errorf("read the events to simulate: %w", err)
	}
	sim.Events, sim.Customer = evs, strings.TrimSpace(req.Customer)

	rep, err := s.journeys.Simulate(ctx, id, sim)
	if errors.As(err, &ps) {
		add("source", ps)
		return Simulation{}, probs, nil
	}
	if f, ok := fault.As(err); ok && f.Kind == fault.Invalid {
		for _, fp := range f.Fields {
			input, _, _ := strings.Cut(fp.Field, "[")
			input, _, _ = strings.Cut(input, ".")
			probs = append(probs, SimulationProblem{Input: input, Problem: journey.Problem{Field: fp.Field, Message: fp.Message}})
		}
		if len(f.Fields) == 0 {
			probs = append(probs, SimulationProblem{Problem: journey.Problem{Message: f.Detail}})
		}
		return Simulation{}, probs, nil
	}
	if err != nil {
		return Simulation{}, nil, err
	}
	out := Simulation{Report: rep, Journey: def}
	slices.SortStableFunc(evs, func(a, b simulate.Event) int { return cmp.Compare(a.At, b.At) })
	for _, e := range evs {
		if e.At.Std().Seconds() <= rep.EndS {
			out.Events = append(out.Events, e)
		}
	}
	out.Score = scoreCurve(def, out.Events, rep)
	return out, nil, nil
}

// scoreSamples is how many points draw the decay between two events.
const scoreSamples = 240

// scoreCurve is the score of a simulated run over time, as the workflow
// keeps it: each engagement on the journey's scoring topics adds its kind's
// points, which halve every half-life; a new cycle (after a recycle's
// cool-down) starts from zero. The report carries the score only where it
// matters to sales (each hand-off's and the end's), so the curve is drawn
// from the events the run heard.
func scoreCurve(def *journey.Definition, evs []simulate.Event, rep *simulate.Report) []ScorePoint {
	const day = 24 * 60 * 60
	halfLife := def.Scoring.HalfLife.Std().Seconds()
	// Cycles start where the run goes back to nurturing after a cool-down.
	var resets []float64
	stage := ""
	for _, e := range rep.Timeline {
		if e.Kind != "stage" {
			continue
		}
		if e.Detail == workflows.StageNurturing && stage == workflows.StageCooldown {
			resets = append(resets, e.AtS)
		}
		stage = e.Detail
	}
	type earned struct{ at, points float64 }
	var counted []earned
	for _, e := range evs {
		switch e.Type {
		case "open", "click", "visit", "download":
		default:
			continue
		}
		if p := def.Points(e.Type); p > 0 && def.Scoring.OnTopic(e.Topic) {
			counted = append(counted, earned{e.At.Std().Seconds(), p})
		}
	}
	scoreAt := func(t float64, inclusive bool) float64 {
		from := 0.0
		for _, r := range resets {
			if r <= t {
				from = r
			}
		}
		v := 0.0
		for _, c := range counted {
			if c.at < from || c.at > t || (!inclusive && c.at == t) {
				continue
			}
			if halfLife > 0 {
				v += c.points * math.Pow(0.5, (t-c.at)/halfLife)
			} else {
				v += c.points
			}
		}
		return v
	}
	// Sample evenly, and on both sides of each jump (an event, a reset).
	end := rep.EndS
	times := []float64{0, end}
	for i := 1; i < scoreSamples; i++ {
		times = append(times, end*float64(i)/scoreSamples)
	}
	var jumps []float64
	for _, c := range counted {
		jumps = append(jumps, c.at)
	}
	jumps = append(jumps, resets...)
	times = append(times, jumps...)
	slices.Sort(times)
	times = slices.Compact(times)
	var out []ScorePoint
	for _, t := range times {
		if t > end {
			break
		}
		if slices.Contains(jumps, t) {
			out = append(out, ScorePoint{Day: t / day, Score: scoreAt(t, false)})
		}
		out = append(out, ScorePoint{Day: t / day, Score: scoreAt(t, true)})
	}
	return out
}

// SimulationExample is the example timeline (ExampleTimeline) for source,
// the journey being edited, or, when source is blank or does not parse,
// for journey id as published.
func (s *Service) SimulationExample(ctx context.Context, sess Session, id, source string) (events, contacts string, err error) {
	if err := sess.need(AreaJourneys); err != nil {
		return "", "", err
	}
	var def *journey.Definition
	if strings.TrimSpace(source) != "" {
		def, _ = s.journeys.Parse(ctx, []byte(source))
	}
	if def == nil {
		if def, err = s.journeys.Latest(ctx, id); err != nil {
			return "", "", err
		}
	}
	events, contacts = ExampleTimeline(def)
	return events, contacts, nil
}

// ExampleTimeline is a timeline to try journey def against at once: the
// first email opened and clicked, visits and a download on the journey's
// topic, a click on the second email (or, without one, a fast-lane
// request) and sales accepting, by two contacts of the journey's audience
// when it names two personas.
func ExampleTimeline(def *journey.Definition) (events, contacts string) {
	var personas []string
	if def.Audience != nil {
		personas = append(personas, def.Audience.Personas...)
	}
	if len(personas) == 0 && def.Persona != "" {
		personas = []string{def.Persona}
	}
	ids := []string{"max"}
	var cs strings.Builder
	if len(personas) > 0 {
		fmt.Fprintf(&cs, "- {id: max, persona: %s, locale: de, timezone: Europe/Berlin}\n", personas[0])
		if len(personas) > 1 {
			fmt.Fprintf(&cs, "- {id: ina, persona: %s, locale: en, timezone: Europe/Berlin}\n", personas[1])
			ids = append(ids, "ina")
		}
	} else {
		cs.WriteString("- {id: max, locale: de, timezone: Europe/Berlin}\n")
	}
	who := func(i int) string {
		if len(ids) < 2 {
			return ""
		}
		return ", contact: " + ids[i%len(ids)]
	}
	topic := "product"
	switch {
	case len(def.Scoring.Topics) > 0:
		topic = def.Scoring.Topics[0]
	case def.Detector != nil && len(def.Detector.Topics) > 0:
		topic = def.Detector.Topics[0]
	}
	var sends []string
	for _, st := range def.Steps {
		if st.Kind() == journey.StepSend && !slices.Contains(sends, st.ID) {
			sends = append(sends, st.ID)
		}
	}
	var ev strings.Builder
	if len(sends) > 0 {
		fmt.Fprintf(&ev, "- {at: 1d, type: open, step: %s%s}\n", sends[0], who(0))
		fmt.Fprintf(&ev, "- {at: 2d, type: click, step: %s%s}\n", sends[0], who(0))
	}
	fmt.Fprintf(&ev, "- {at: 3d, type: visit, topic: %s%s}\n", topic, who(1))
	fmt.Fprintf(&ev, "- {at: 6d, type: download, topic: %s%s}\n", topic, who(0))
	fmt.Fprintf(&ev, "- {at: 9d, type: visit, topic: %s%s}\n", topic, who(1))
	offer := "demo"
	if len(def.MQN.FastLane) > 0 {
		offer = def.MQN.FastLane[0]
	}
	switch {
	case len(sends) > 1:
		// Enough, with the rest, to pass a threshold of 40 or so; on the
		// last email, which a run that went on this far has likely sent.
		fmt.Fprintf(&ev, "- {at: 10d, type: click, step: %s%s}\n", sends[len(sends)-1], who(0))
	case def.IsFastLane(offer):
		fmt.Fprintf(&ev, "- {at: 12d, type: fast-lane, offer: %s%s}\n", offer, who(1))
	}
	ev.WriteString("- {at: 18d, type: sales-feedback, outcome: accepted}\n")
	return ev.String(), cs.String()
}

// SimulationDay is the time of a simulated moment, s seconds after the
// start, as the timeline shows it: whole days since enrolment and the
// clock in the simulation's time zone.
func SimulationDay(rep *simulate.Report, s float64) (day int, at time.Time) {
	d := time.Duration(s * float64(time.Second))
	return int(d / (24 * time.Hour)), rep.Start.Add(d)
}
