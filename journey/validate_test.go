package journey_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ripen/ripen/journey"
)

const day = 24 * time.Hour

// valid returns a small valid journey, as a client would send it as JSON.
func valid() *journey.Definition {
	return &journey.Definition{
		ID:         "j",
		Name:       "Journey",
		Offer:      journey.Offer{Kind: journey.OfferUpsell, Product: "p"},
		Detector:   &journey.Detector{Topics: []string{"t"}, MinEvents: 1, Within: journey.SpanOf(7 * day)},
		Scoring:    journey.Scoring{Points: map[string]float64{"click": 10, "open": 0}},
		MQN:        journey.MQN{Threshold: 30, FastLane: []string{"demo"}},
		Handoff:    journey.Handoff{SLA: journey.SpanOf(2 * day), MaxRecycles: 1},
		SendWindow: &journey.SendWindow{Days: []string{"mon", "fri"}, From: "08:00", To: "18:00"},
		Steps: []journey.Step{
			{ID: "hello", Send: "c1"},
			{ID: "wait", Wait: journey.SpanOf(3 * day), Until: journey.Kinds{"click", "fast_lane"}},
			{ID: "again", If: "!clicked('hello') && cycle < 2", Goto: "hello"},
			{ID: "bye", Send: "c2"},
		},
	}
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *journey.Definition)
		want   []want // line is always 0: no positions without Parse
	}{
		{"a valid journey has no problems", func(d *journey.Definition) {}, nil},
		{"no send window, detector or handoff is fine", func(d *journey.Definition) {
			d.SendWindow, d.Detector, d.Handoff = nil, nil, journey.Handoff{}
		}, nil},
		{"id is required", func(d *journey.Definition) { d.ID = "" }, []want{{0, "id", "journey id is required"}}},
		{"id must be a slug", func(d *journey.Definition) { d.ID = "My Journey" }, []want{{0, "id", "not a valid journey id"}}},
		{"id may not end in a hyphen", func(d *journey.Definition) { d.ID = "j-" }, []want{{0, "id", "not a valid journey id"}}},
		{"name is required", func(d *journey.Definition) { d.Name = " " }, []want{{0, "name", "name is required"}}},
		{"offer kind is one of three", func(d *journey.Definition) { d.Offer.Kind = "downsell" }, []want{{0, "offer.kind", "want repeat, upsell or cross-sell"}}},
		{"offer kind and product are required", func(d *journey.Definition) { d.Offer = journey.Offer{} }, []want{
			{0, "offer.kind", "offer kind is required"}, {0, "offer.product", "offer product is required"},
		}},
		{"steps are required", func(d *journey.Definition) { d.Steps = nil }, []want{{0, "steps", "at least one step"}}},
		{"step ids are unique", func(d *journey.Definition) { d.Steps[3].ID = "hello" }, []want{{0, "steps[3].id", `already used by steps[0]`}}},
		{"step ids are slugs", func(d *journey.Definition) { d.Steps[3].ID = "Bye!" }, []want{{0, "steps[3].id", "not a valid step id"}}},
		{"a step needs an action", func(d *journey.Definition) { d.Steps[3].Send = "" }, []want{{0, "steps[3]", `step "bye" has no action`}}},
		{"a step with no action is reported once, not the steps after it", func(d *journey.Definition) {
			d.Steps[0] = journey.Step{ID: "hello"}
		}, []want{{0, "steps[0]", `step "hello" has no action`}}},
		{"a step has only one action", func(d *journey.Definition) { d.Steps[3].End = true }, []want{{0, "steps[3]", "has 2 actions (send, end)"}}},
		{"until only on wait", func(d *journey.Definition) { d.Steps[0].Until = journey.Kinds{"click"} }, []want{{0, "steps[0].until", "only allowed on a wait"}}},
		{"until kinds are known", func(d *journey.Definition) { d.Steps[1].Until = journey.Kinds{"click", "reply"} }, []want{{0, "steps[1].until[1]", `unknown signal kind "reply"`}}},
		{"a negative wait is a problem", func(d *journey.Definition) { d.Steps[1].Wait = journey.SpanOf(-day) }, []want{{0, "steps[1].wait", "must be longer than 0"}}},
		{"goto names an existing step", func(d *journey.Definition) { d.Steps[2].Goto = "helo" }, []want{{0, "steps[2].goto", `unknown step "helo"`}}},
		{"steps after an unconditional goto are unreachable", func(d *journey.Definition) { d.Steps[2].If = "" }, []want{{0, "steps[3]", `step "bye" is unreachable`}}},
		{"steps after an end are unreachable", func(d *journey.Definition) {
			d.Steps[2] = journey.Step{ID: "stop", End: true}
		}, []want{{0, "steps[3]", `step "bye" is unreachable`}}},
		{"a forward goto skips steps only if unconditional", func(d *journey.Definition) {
			d.Steps[0] = journey.Step{ID: "hello", Goto: "bye"}
		}, []want{{0, "steps[1]", `step "wait" is unreachable`}, {0, "steps[2]", `step "again" is unreachable`}}},
		{"a loop without a wait is a problem", func(d *journey.Definition) { d.Steps[1] = journey.Step{ID: "wait", Send: "c3"} }, []want{
			{0, "steps[2].goto", `loop without a wait: "hello" → "wait" → "again" → "hello"`},
		}},
		{"a wait that may be skipped does not break a loop", func(d *journey.Definition) { d.Steps[1].If = "score > 5" }, []want{
			{0, "steps[2].goto", "loop without a wait"},
		}},
		{"a goto to itself is a loop", func(d *journey.Definition) { d.Steps[2].Goto = "again" }, []want{
			{0, "steps[2].goto", `loop without a wait: "again" → "again"`},
		}},
		{"a loop back to a wait has a wait", func(d *journey.Definition) { d.Steps[2].Goto = "wait" }, nil},
		{"threshold must be positive", func(d *journey.Definition) { d.MQN.Threshold = 0 }, []want{{0, "mqn.threshold", "must be greater than 0"}}},
		{"threshold must be finite", func(d *journey.Definition) { d.MQN.Threshold = math.Inf(1) }, []want{{0, "mqn.threshold", "finite"}}},
		{"threshold must be reachable", func(d *journey.Definition) { d.Scoring.Points = map[string]float64{"open": 0} }, []want{{0, "mqn.threshold", "can never be reached"}}},
		{"points are for engagement kinds", func(d *journey.Definition) { d.Scoring.Points["fast_lane"] = 5 }, []want{{0, "scoring.points.fast_lane", `unknown engagement kind "fast_lane"`}}},
		{"points are not negative", func(d *journey.Definition) { d.Scoring.Points["open"] = -1 }, []want{{0, "scoring.points.open", "must not be negative"}}},
		{"half life is not negative", func(d *journey.Definition) { d.Scoring.HalfLife = journey.SpanOf(-day) }, []want{{0, "scoring.half_life", "must not be negative"}}},
		{"fast lane offers are known", func(d *journey.Definition) { d.MQN.FastLane = []string{"demo", "lunch", "demo"} }, []want{
			{0, "mqn.fast_lane[1]", `unknown fast-lane offer "lunch"`}, {0, "mqn.fast_lane[2]", `"demo" is listed twice`},
		}},
		{"detector needs topics, events and a window", func(d *journey.Definition) { d.Detector = &journey.Detector{} }, []want{
			{0, "detector.min_events", "at least 1"}, {0, "detector.topics", "at least one topic"}, {0, "detector.within", "longer than 0"},
		}},
		{"max recycles is not negative", func(d *journey.Definition) { d.Handoff.MaxRecycles = -1 }, []want{{0, "handoff.max_recycles", "must not be negative"}}},
		{"send window days are mon..sun", func(d *journey.Definition) { d.SendWindow.Days = []string{"mon", "Tuesday"} }, []want{{0, "send_window.days[1]", `unknown day "Tuesday"`}}},
		{"send window times are HH:MM", func(d *journey.Definition) { d.SendWindow.From, d.SendWindow.To = "8am", "24:30" }, []want{
			{0, "send_window.from", `"8am" is not a time of day`}, {0, "send_window.to", `"24:30" is not a time of day`},
		}},
		{"send window from is before to", func(d *journey.Definition) { d.SendWindow.From = "18:00" }, []want{{0, "send_window.to", "must be later than from (18:00)"}}},
		{"send window may end at midnight", func(d *journey.Definition) { d.SendWindow.To = "24:00" }, nil},
		{"conditions must compile", func(d *journey.Definition) { d.Steps[2].If = "score >" }, []want{{0, "steps[2].if", "does not compile"}}},
		{"conditions must be bool", func(d *journey.Definition) { d.Steps[2].If = "score * 2" }, []want{{0, "steps[2].if", "expected bool"}}},
		{"conditions know their variables", func(d *journey.Definition) { d.Steps[2].If = "scroe > 2" }, []want{{0, "steps[2].if", "unknown name scroe (column 1)"}}},
		{"conditions name existing steps", func(d *journey.Definition) { d.Steps[2].If = "opened('helo') || clicked('hello')" }, []want{{0, "steps[2].if", `unknown step "helo"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := valid()
			tt.change(d)
			got := journey.Validate(d, journey.ValidateOptions{})
			if tt.want == nil {
				assert.Empty(t, got)
				return
			}
			assertProblems(t, got, tt.want...)
		})
	}
}

func TestValidateWithContentReportsUnknownContent(t *testing.T) {
	known := map[string]bool{"c1": true}
	got := journey.Validate(valid(), journey.ValidateOptions{Content: func(id string) bool { return known[id] }})
	assertProblems(t, got, want{0, "steps[3].send", `unknown content "c2"`})
}

func TestParseWithContentReportsUnknownContentWithLines(t *testing.T) {
	_, err := journey.ParseWith(readExample(t), journey.ValidateOptions{Content: func(id string) bool { return id != "erp-automation-case-study" }})
	probs, ok := err.(journey.Problems)
	if assert.True(t, ok, "%v", err) {
		assertProblems(t, probs, want{14, "steps[3].send", `unknown content "erp-automation-case-study"`})
	}
}

func TestValidateNilDefinition(t *testing.T) {
	assert.Len(t, journey.Validate(nil, journey.ValidateOptions{}), 1)
}
