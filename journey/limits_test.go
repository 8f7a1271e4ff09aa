package journey_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

// aliasBomb is about 30 KB of YAML that, were its aliases followed, would
// be a journey of 5,001 steps with 1,000 signal kinds each: five million
// values.
func aliasBomb() []byte {
	var b strings.Builder
	b.WriteString("id: j\nname: J\noffer: {kind: repeat, product: p}\nscoring: {points: {click: 10}}\nmqn: {threshold: 10}\nsteps:\n")
	b.WriteString("- &s {id: w, wait: 1d, until: [open" + strings.Repeat(", open", 999) + "]}\n")
	b.WriteString(strings.Repeat("- *s\n", 5000))
	return []byte(b.String())
}

func TestAnAliasBombIsRefusedAtItsFirstAnchorAndAlias(t *testing.T) {
	probs := parseProblems(t, string(aliasBomb()))
	assertProblems(t, probs,
		want{7, "steps[0]", "anchors (&s) are not allowed in journeys: write the value out where it is used"},
		want{8, "steps[1]", "aliases are not allowed in journeys: write the value out instead of *s (5000 aliases in all; this is the first)"},
	)
}

func TestAliasesAndAnchorsAreRefusedWherever(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []want
	}{
		{"a scalar", strings.Replace(minimal, "  - {id: s, send: c}\n", "  - {id: s, send: &c content-1}\n  - {id: t, send: *c}\n", 1), []want{
			{7, "steps[0].send", "anchors (&c) are not allowed"}, {8, "steps[1].send", "aliases are not allowed in journeys"},
		}},
		{"a merge key", strings.Replace(minimal, "steps:\n", "x: &x {send: c}\nsteps:\n", 1) + "  - {<<: *x, id: t}\n", []want{
			{6, "x", "anchors (&x) are not allowed"}, {9, "steps[1].<<", "aliases are not allowed"},
		}},
		{"an alias to an unknown field", minimal + "notes: &n [a, b]\nname: *n\n", []want{
			{8, "notes", "anchors (&n)"}, {9, "name", "aliases are not allowed"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProblems(t, parseProblems(t, tt.doc), tt.want...)
		})
	}
}

func TestDefinitionsOverTheLimitsAreProblemsAtTheirLine(t *testing.T) {
	list := func(n int, item string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(item+", ", n), ", ") + "]"
	}
	var manySteps strings.Builder
	manySteps.WriteString(minimal)
	for range journey.MaxSteps {
		manySteps.WriteString("  - {id: s, send: c}\n")
	}
	tests := []struct {
		name string
		doc  string
		want []want
	}{
		{"steps", manySteps.String(), []want{{6, "steps", "at most 200 steps, got 201"}}},
		{"until", minimal + "  - {id: w, wait: 1d, until: " + list(51, "click") + "}\n", []want{{8, "steps[1].until", "at most 50 signal kinds, got 51"}}},
		{"topics", minimal + "detector: {topics: " + list(51, "t") + ", min_events: 1, within: 1d}\n", []want{{8, "detector.topics", "at most 50 items, got 51"}}},
		{"fast lane", strings.Replace(minimal, "{threshold: 10}", "{threshold: 10, fast_lane: "+list(51, "demo")+"}", 1), []want{{5, "mqn.fast_lane", "at most 50 items, got 51"}}},
		{"days", minimal + "send_window: {days: " + list(51, "mon") + "}\n", []want{{8, "send_window.days", "at most 50 items, got 51"}}},
		{"points", strings.Replace(minimal, "{click: 10}", "{click: 10"+strings.Repeat(", x", 50)+"}", 1), []want{
			{4, "scoring.points", "at most 50 entries, got 51"},
			// Noise, but 51 kinds of engagement are no honest mistake.
			{5, "mqn.threshold", "can never be reached"},
		}},
		{"depth", minimal + "extra: [[[[[[[[1]]]]]]]]\n", []want{{8, "extra[0][0][0][0][0][0][0]", "nested more than 8 levels deep"}}},
		{"a condition", minimal + "  - {id: w, if: \"" + strings.Repeat("score > 1 && ", 40) + "true\", send: c}\n", []want{{8, "steps[1].if", "is 524 bytes long: a condition may have at most 500"}}},
		{"source", minimal + "# " + strings.Repeat("x", journey.MaxSourceBytes) + "\n", []want{{8, "", "a journey may be at most 256 KiB long; this one is 262275 bytes and passes the limit on this line"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProblems(t, parseProblems(t, tt.doc), tt.want...)
		})
	}
}

// A journey posted as JSON to be simulated is decoded without Parse; its
// lists meet the same limits in Validate.
func TestValidateRefusesListsOverTheLimits(t *testing.T) {
	d := valid()
	for len(d.Steps) <= journey.MaxSteps {
		d.Steps = append(d.Steps, journey.Step{ID: "more", Goto: "more"})
	}
	d.Steps[1].Until = make(journey.Kinds, journey.MaxListItems+1)
	d.MQN.FastLane = make([]string, journey.MaxListItems+1)
	assertProblems(t, journey.Validate(d, journey.ValidateOptions{}),
		want{0, "mqn.fast_lane", "at most 50 offers, got 51"},
		want{0, "steps", "at most 200 steps, got 201"},
	)
	d.Steps = d.Steps[:4]
	assertProblems(t, journey.Validate(d, journey.ValidateOptions{}),
		want{0, "mqn.fast_lane", "at most 50 offers, got 51"},
		want{0, "steps[1].until", "at most 50 signal kinds, got 51"},
	)
}

func TestTheDesignExampleIsWithinTheLimits(t *testing.T) {
	_, err := journey.Parse(readExample(t))
	require.NoError(t, err)
}

// go test -bench Parse ./journey prints what reading each costs.
func BenchmarkParse(b *testing.B) {
	for _, bb := range []struct {
		name string
		doc  []byte
	}{{"design example", readExample(b)}, {"alias bomb", aliasBomb()}} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.doc)))
			for b.Loop() {
				_, _ = journey.Parse(bb.doc)
			}
		})
	}
}

func TestSentContentReadsTheSendsOfAnyJourneyParseWouldRead(t *testing.T) {
	assert.Equal(t, []string{"automation-checklist", "automation-checklist-reminder", "erp-automation-case-study"},
		journey.SentContent(readExample(t)))
	assert.Equal(t, []string{"c", "d"}, journey.SentContent([]byte(minimal+"  - {id: x, send: d, wiat: 1d}\n  - {id: y, send: 3}\n")),
		"a journey with other problems still names its content")
	assert.Nil(t, journey.SentContent(aliasBomb()))
}
