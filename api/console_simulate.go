package api

// The console's simulation: one journey (as published, or as being
// edited) run against a scripted timeline by the use case POST
// /v1/journeys/{id}/simulate calls, drawn as a server-rendered SVG
// timeline with the same events listed in a table below it.

import (
	"cmp"
	"fmt"
	"html/template"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/chart"
	"github.com/ripen/ripen/console"
	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/journey"
)

type consoleSimulateView struct {
	consoleBase
	ID        string
	Published int
	// The form: what it simulates (Edited: Source, else the published
	// version), the timeline and contacts, and the problems of a run
	// that did not happen.
	Edited                             bool
	Source, Events, Contacts, Customer string
	FormToken                          string
	Problems                           []string
	Result                             *consoleSimulation
}

type consoleSimulation struct {
	Of, Outcome, MQN, Score, Touches, Cycles, Length, Start string
	Arms                                                    []string
	Holdout                                                 bool
	Chart                                                   template.HTML
	Notes                                                   []string
	Entries                                                 []consoleSimEntry
}

type consoleSimEntry struct {
	When, Kind, Step, Detail string
}

// consoleSimulatePage shows the simulate form with an example timeline for
// the journey, so that "Simulate" runs at once.
func (s *Server) consoleSimulatePage(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	s.renderConsoleSimulate(w, r, sess, http.StatusOK, false, "", nil, nil)
}

// consoleSimulate runs the form's simulation: the journey as published
// (which=published) or the posted source (which=edited; also what the
// publish form's "Simulate this definition" posts, with no timeline, which
// takes the example's).
func (s *Server) consoleSimulate(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	l := browserLang(r)
	if !s.readForm(w, r, consoleSessionForm(sess), s.now(), l, false) {
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	r = r.WithContext(ctx)
	id := mux.Vars(r)["id"]
	f := r.PostForm
	source := strings.ReplaceAll(f.Get("source"), "\r\n", "\n")
	edited := f.Get("which") == "edited" || (f.Get("which") == "" && strings.TrimSpace(source) != "")
	req := console.SimulationRequest{Events: strings.ReplaceAll(f.Get("events"), "\r\n", "\n"),
		Contacts: strings.ReplaceAll(f.Get("contacts"), "\r\n", "\n"), Customer: f.Get("customer")}
	if edited {
		req.Source = source
	}
	if _, ok := f["events"]; !ok {
		// From the publish form: the example timeline.
		var err error
		if req.Events, req.Contacts, err = s.console.SimulationExample(ctx, sess, id, req.Source); err != nil {
			s.consoleFail(w, r, l, err)
			return
		}
	}
	sim, problems, err := s.console.Simulate(ctx, sess, id, req)
	switch {
	case fault.Is(err, fault.Busy):
		s.renderConsoleSimulate(w, r, sess, http.StatusServiceUnavailable, edited, source, &req, []string{i18n.TN(l, "console.simulate.busy")})
		return
	case err != nil:
		s.consoleFail(w, r, l, err)
		return
	case len(problems) > 0:
		var texts []string
		for _, p := range problems {
			texts = append(texts, simulationProblemText(l, p))
		}
		s.renderConsoleSimulate(w, r, sess, http.StatusUnprocessableEntity, edited, source, &req, texts)
		return
	}
	s.renderConsoleSimulateResult(w, r, sess, edited, source, &req, &sim)
}

// simulationProblemText is a problem as the form lists it: "Events, line
// 3: events[1].step: …".
func simulationProblemText(l i18n.Lang, p console.SimulationProblem) string {
	var b strings.Builder
	if p.Input != "" {
		key := "console.simulate.input." + p.Input
		if t := i18n.TN(l, key); t != key {
			b.WriteString(t)
		} else {
			b.WriteString(p.Input)
		}
		if p.Line > 0 {
			b.WriteString(", ")
			b.WriteString(i18n.TN(l, "console.simulate.line", p.Line))
		}
		b.WriteString(": ")
	}
	b.WriteString(problemText(l, journey.Problem{Field: p.Field, Message: p.Message}))
	return b.String()
}

func (s *Server) renderConsoleSimulate(w http.ResponseWriter, r *http.Request, sess console.Session, status int, edited bool, source string, req *console.SimulationRequest, problems []string) {
	v, ok := s.consoleSimulateForm(w, r, sess, edited, source, req)
	if !ok {
		return
	}
	v.Problems = problems
	s.renderConsole(w, r, status, "simulate.html", v)
}

// consoleSimulateForm is the page without a result: the form filled with
// req (nil: the example for the published version).
func (s *Server) consoleSimulateForm(w http.ResponseWriter, r *http.Request, sess console.Session, edited bool, source string, req *console.SimulationRequest) (consoleSimulateView, bool) {
	l := browserLang(r)
	id := mux.Vars(r)["id"]
	p, err := s.console.Journey(r.Context(), sess, id, 0)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return consoleSimulateView{}, false
	}
	b, err := s.consoleBase(l, sess, i18n.TN(l, "console.simulate.title", p.Name), console.AreaJourneys)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return consoleSimulateView{}, false
	}
	v := consoleSimulateView{consoleBase: b, ID: id, Published: p.Version, Edited: edited, Source: source, FormToken: b.LogoutToken}
	if v.Source == "" {
		v.Source = cmp.Or(p.Versions[0].Source, string(p.Versions[0].JourneyVersion.Definition))
	}
	if req == nil {
		v.Events, v.Contacts = console.ExampleTimeline(p.Versions[0].Definition)
	} else {
		v.Events, v.Contacts, v.Customer = req.Events, req.Contacts, req.Customer
	}
	return v, true
}

func (s *Server) renderConsoleSimulateResult(w http.ResponseWriter, r *http.Request, sess console.Session, edited bool, source string, req *console.SimulationRequest, sim *console.Simulation) {
	v, ok := s.consoleSimulateForm(w, r, sess, edited, source, req)
	if !ok {
		return
	}
	v.Result = drawSimulation(browserLang(r), sim, edited)
	s.renderConsole(w, r, http.StatusOK, "simulate.html", v)
}

// simOutcome names a simulated run's outcome.
func simOutcome(l i18n.Lang, outcome string) string {
	key := "console.simulate.outcome." + outcome
	if t := i18n.TN(l, key); t != key {
		return t
	}
	return outcome
}

// drawSimulation draws a simulated run: a lane per contact with the emails
// they got (step and variant) and what they did, a lane for sales and
// marketing ops, the score against the threshold, each hand-off and the
// end; and the simulator's timeline as a table.
func drawSimulation(l i18n.Lang, sim *console.Simulation, edited bool) *consoleSimulation {
	rep, def := sim.Report, sim.Journey
	const day = 24 * 60 * 60
	dayOf := func(s float64) int { d, _ := console.SimulationDay(rep, s); return d }
	res := &consoleSimulation{
		Outcome: simOutcome(l, rep.Outcome), MQN: i18n.TN(l, "console.mqn."+fmt.Sprint(rep.MQN)),
		Score: i18n.Number(l, rep.Score, 1), Touches: i18n.Int(l, int64(rep.Touches)), Cycles: i18n.Int(l, int64(rep.Cycles)),
		Length: i18n.TN(l, "console.simulate.days", rep.EndS/day), Start: rep.Start.Format(timeLayout),
		Holdout: rep.Holdout, Notes: rep.Notes,
	}
	res.Of = i18n.TN(l, "console.simulate.of.published", rep.Version)
	if edited {
		res.Of = i18n.TN(l, "console.simulate.of.edited")
	}
	for _, step := range slices.Sorted(maps.Keys(rep.Arms)) {
		res.Arms = append(res.Arms, step+": "+rep.Arms[step])
	}

	lanes := map[string]*chart.Lane{}
	var order []string
	for _, c := range rep.Contacts {
		lanes[c.ID] = &chart.Lane{Name: c.ID}
		order = append(order, c.ID)
	}
	const salesLane = "\x00sales"
	lanes[salesLane] = &chart.Lane{Name: i18n.TN(l, "console.simulate.lane.sales")}
	lane := func(contact string) *chart.Lane {
		if ln, ok := lanes[contact]; ok {
			return ln
		}
		return lanes[order[0]]
	}
	for _, sd := range rep.Sends {
		variant := sd.Variant
		if variant == "base" {
			variant = i18n.TN(l, "console.preview.variant.base")
		}
		ln := lane(sd.Contact)
		label := sd.Step
		if sd.Variant != "base" {
			label += " · " + sd.Variant
		}
		ln.Marks = append(ln.Marks, chart.Mark{Day: sd.AtS / day, Kind: "send", Label: label,
			Detail: i18n.TN(l, "console.simulate.send.detail", dayOf(sd.AtS), sd.Step, sd.Content, sd.Contact, variant)})
	}
	for _, e := range sim.Events {
		at := e.At.Std().Seconds()
		what := e.Type
		for _, x := range []string{e.Step, e.Topic, e.Offer, e.Outcome} {
			if x != "" {
				what += " " + x
			}
		}
		ln := lanes[salesLane]
		if e.Type != "sales-feedback" && e.Type != "pause" && e.Type != "resume" && e.Type != "stop" {
			ln = lane(cmp.Or(e.Contact, order[0]))
		}
		ln.Marks = append(ln.Marks, chart.Mark{Day: at / day, Kind: e.Type, Label: e.Type,
			Detail: i18n.TN(l, "console.simulate.event.detail", dayOf(at), what)})
	}
	var cl []chart.Lane
	for _, id := range order {
		cl = append(cl, *lanes[id])
	}
	if len(lanes[salesLane].Marks) > 0 {
		cl = append(cl, *lanes[salesLane])
	}
	var moments []chart.Mark
	for _, h := range rep.Handoffs {
		reason := i18n.TN(l, "sales.reason."+h.Reason)
		moments = append(moments, chart.Mark{Day: h.AtS / day, Kind: "handoff",
			Label:  i18n.TN(l, "console.simulate.handoff", reason),
			Detail: i18n.TN(l, "console.simulate.handoff.detail", dayOf(h.AtS), reason, h.Score, h.Cycle)})
	}
	moments = append(moments, chart.Mark{Day: rep.EndS / day, Kind: "end", Label: i18n.TN(l, "console.simulate.end", res.Outcome)})
	curve := make([]chart.DayPoint, len(sim.Score))
	for i, p := range sim.Score {
		curve[i] = chart.DayPoint{Day: p.Day, Value: p.Score}
	}
	tl := chart.Timeline{Title: i18n.TN(l, "console.simulate.chart"), End: rep.EndS / day, Lanes: cl, Curve: curve,
		CurveName: i18n.TN(l, "console.simulate.axis.score"), Moments: moments,
		DayLabel: func(d float64) string { return i18n.TN(l, "console.simulate.day", int(math.Round(d))) },
		Number:   func(v float64) string { return consoleNumber(l, v) }}
	if def != nil && def.MQN.Threshold > 0 {
		tl.Threshold = def.MQN.Threshold
		tl.ThresholdLabel = i18n.TN(l, "sales.threshold", def.MQN.Threshold)
	}
	res.Chart = tl.SVG()

	for _, e := range rep.Timeline {
		d, at := console.SimulationDay(rep, e.AtS)
		entry := consoleSimEntry{When: i18n.TN(l, "console.simulate.at", d, at.Format(timeLayout)), Step: e.Step, Detail: e.Detail,
			Kind: i18n.TN(l, "console.simulate.entry."+e.Kind)}
		switch e.Kind {
		case "stage":
			entry.Detail = i18n.TN(l, "console.stage."+e.Detail)
		case "end":
			entry.Detail = simOutcome(l, e.Detail)
		}
		res.Entries = append(res.Entries, entry)
	}
	return res
}

// consoleNumber writes a chart's value: whole numbers without decimals,
// others with one, as l writes numbers.
func consoleNumber(l i18n.Lang, v float64) string {
	if v == math.Trunc(v) {
		return i18n.Number(l, v, 0)
	}
	return i18n.Number(l, v, 1)
}
