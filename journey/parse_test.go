package journey_test

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

// minimal is the smallest valid journey; cases below start from it.
const minimal = `id: j
name: J
offer: {kind: repeat, product: p}
scoring: {points: {click: 10}}
mqn: {threshold: 10}
steps:
  - {id: s, send: c}
`

// parseProblems parses doc and returns its problems (failing if there are none).
func parseProblems(t *testing.T, doc string) journey.Problems {
	t.Helper()
	d, err := journey.Parse([]byte(doc))
	require.Error(t, err)
	assert.Nil(t, d)
	var probs journey.Problems
	require.True(t, errors.As(err, &probs), "error is %T", err)
	require.NotEmpty(t, probs)
	return probs
}

// want is an expected problem: Line and Field exactly, Message as a substring.
type want struct {
	line  int
	field string
	msg   string
}

func assertProblems(t *testing.T, got journey.Problems, wants ...want) {
	t.Helper()
	if !assert.Len(t, got, len(wants), "problems:\n%v", got) {
		return
	}
	for i, w := range wants {
		assert.Equal(t, w.line, got[i].Line, "problem %d: %v", i, got[i])
		assert.Equal(t, w.field, got[i].Field, "problem %d: %v", i, got[i])
		assert.Contains(t, got[i].Message, w.msg, "problem %d", i)
	}
}

func TestParseReportsProblemsWithLineAndField(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []want
	}{
		{
			name: "unknown top-level field is named, with a suggestion",
			doc:  strings.Replace(minimal, "name: J", "name: J\nmqm: {threshold: 3}", 1),
			want: []want{{3, "mqm", `unknown field; did you mean "mqn"?`}},
		},
		{
			name: "unknown field in a step is named with its path",
			doc:  minimal + "  - {id: w, wiat: 4d}\n",
			want: []want{{8, "steps[1]", "has no action"}, {8, "steps[1].wiat", `did you mean "wait"?`}},
		},
		{
			name: "a step with a misspelt action does not make the steps after it unreachable",
			doc:  minimal + "  - {id: w, wiat: 4d}\n  - {id: x, if: \"score < 5\", goto: z}\n  - {id: y, send: c}\n  - {id: z, send: c}\n",
			want: []want{{8, "steps[1]", "has no action"}, {8, "steps[1].wiat", `did you mean "wait"?`}},
		},
		{
			name: "bad duration names the field and line",
			doc:  minimal + "  - {id: w, wait: 4 days}\n",
			want: []want{{8, "steps[1].wait", `bad duration "4 days"`}},
		},
		{
			name: "bare number is not a duration",
			doc:  strings.Replace(minimal, "{click: 10}}", "{click: 10}, half_life: 30}", 1),
			want: []want{{4, "scoring.half_life", `bad duration "30"`}},
		},
		{
			name: "zero wait is not a wait",
			doc:  minimal + "  - {id: w, wait: 0d}\n",
			want: []want{{8, "steps[1].wait", "must be longer than 0"}},
		},
		{
			name: "missing field is reported on the line of its parent",
			doc:  strings.Replace(minimal, "offer: {kind: repeat, product: p}", "offer: {kind: repeat}", 1),
			want: []want{{3, "offer.product", "offer product is required"}},
		},
		{
			name: "missing top-level field is reported on the first line",
			doc:  strings.Replace(minimal, "id: j\n", "", 1),
			want: []want{{1, "id", "journey id is required"}},
		},
		{
			name: "wrong scalar types",
			doc: `id: 2024
name: J
offer: {kind: repeat, product: p}
scoring: {points: {click: ten}}
mqn: {threshold: 10}
handoff: {max_recycles: 1.5}
steps:
  - {id: s, send: c}
  - {id: e, end: "yes"}
`,
			want: []want{
				{1, "id", `must be a string (quote it: "2024")`},
				{4, "scoring.points.click", "must be a number"},
				{5, "mqn.threshold", "can never be reached"},
				{6, "handoff.max_recycles", "must be a whole number"},
				{9, "steps[1]", "has no action"},
				{9, "steps[1].end", "must be true or false"},
			},
		},
		{
			name: "wrong structure",
			doc:  strings.Replace(minimal, "steps:\n  - {id: s, send: c}\n", "steps: {id: s, send: c}\noffer: []\n", 1),
			want: []want{
				{6, "steps", "must be a list"},
				{7, "offer", "repeated; first given on line 3"},
			},
		},
		{
			name: "repeated field",
			doc:  minimal + "id: k\n",
			want: []want{{8, "id", "repeated; first given on line 1"}},
		},
		{
			name: "every problem is collected and sorted by line",
			doc: `id: Bad_ID
name: ""
offer: {kind: resale, product: p}
scoring: {points: {click: 10, like: 3}, half_life: soon}
mqn: {threshold: 0, fast_lane: [demo, coffee]}
steps:
  - {id: s, send: c}
  - {id: s, goto: nowhere}
`,
			want: []want{
				{1, "id", `"Bad_ID" is not a valid journey id`},
				{2, "name", "name is required"},
				{3, "offer.kind", `unknown offer kind "resale"`},
				{4, "scoring.half_life", `bad duration "soon"`},
				{4, "scoring.points.like", `unknown engagement kind "like"`},
				{5, "mqn.fast_lane[1]", `unknown fast-lane offer "coffee"`},
				{5, "mqn.threshold", "must be greater than 0"},
				{8, "steps[1].goto", `unknown step "nowhere"`},
				{8, "steps[1].id", `step id "s" is already used by steps[0]`},
			},
		},
		{
			name: "YAML syntax error has a line",
			doc:  minimal + "  - {id: x, send: c\nfoo: bar\n",
			want: []want{{8, "", "did not find expected ',' or '}'"}},
		},
		{
			name: "tab indentation is a syntax error with a line",
			doc:  "id: j\nname: J\nsteps:\n\t- {id: s, send: c}\n",
			want: []want{{4, "", "found character that cannot start any token"}},
		},
		{
			name: "a list is not a journey",
			doc:  "- id: j\n",
			want: []want{{1, "", "must be a mapping"}},
		},
		{
			name: "empty document",
			doc:  "# nothing\n",
			want: []want{{1, "", "empty document"}},
		},
		{
			name: "one journey per file",
			doc:  minimal + "---\n" + minimal,
			want: []want{{8, "", "more than one document"}},
		},
		{
			name: "merge keys are refused",
			doc:  minimal + "  - {<<: {send: c}, id: t}\n",
			want: []want{{8, "steps[1]", "has no action"}, {8, "steps[1].<<", "merge keys (<<) are not supported"}},
		},
		{
			name: "JSON mistakes carry JSON lines",
			doc: `{
  "id": "j",
  "name": "J",
  "offer": {"kind": "repeat", "product": "p"},
  "scoring": {"points": {"click": 10}},
  "mqn": {"threshold": 10},
  "steps": [
    {"id": "s", "send": "c"},
    {"id": "w", "if": "cycle < 2", "wait": "4d", "until": ["click", "reply"]},
    {"id": "g", "goto": "s"}
  ]
}`,
			want: []want{
				{9, "steps[1].until[1]", `unknown signal kind "reply"`},
				{10, "steps[2].goto", `loop without a wait: "s" → "w" → "g" → "s"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProblems(t, parseProblems(t, tt.doc), tt.want...)
		})
	}
}

func TestParseAcceptsYAMLAndJSONForms(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		check func(t *testing.T, d *journey.Definition)
	}{
		{
			name: "until as a list",
			doc:  minimal + "  - {id: w, wait: 1d12h, until: [click, fast_lane]}\n",
			check: func(t *testing.T, d *journey.Definition) {
				assert.Equal(t, journey.Kinds{"click", "fast_lane"}, d.Steps[1].Until)
				assert.Equal(t, "1d12h", d.Steps[1].Wait.String())
			},
		},
		{
			name: "null means absent",
			doc:  minimal + "persona: ~\ndetector:\n",
			check: func(t *testing.T, d *journey.Definition) {
				assert.Empty(t, d.Persona)
				assert.Nil(t, d.Detector)
			},
		},
		{
			name: "JSON escapes",
			doc:  `{"id": "j", "name": "Caf\u00e9 \/ J \ud83d\ude00 \\/", "offer": {"kind": "repeat", "product": "p"}, "scoring": {"points": {"click": 1e1}}, "mqn": {"threshold": 10}, "steps": [{"id": "s", "send": "c"}]}`,
			check: func(t *testing.T, d *journey.Definition) {
				assert.Equal(t, "Café / J 😀 \\/", d.Name)
				assert.Equal(t, 10.0, d.Points("click"))
			},
		},
		{
			name: "end step",
			doc:  minimal + "  - {id: stop, if: \"score > 50\", end: true}\n  - {id: more, send: c}\n",
			check: func(t *testing.T, d *journey.Definition) {
				assert.Equal(t, journey.StepEnd, d.Steps[1].Kind())
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := journey.Parse([]byte(tt.doc))
			require.NoError(t, err)
			tt.check(t, d)
		})
	}
}

func TestProblemsFormatLikeACompiler(t *testing.T) {
	probs := journey.Problems{
		{Line: 3, Field: "steps[2].goto", Message: `unknown step "x"`},
		{Line: 7, Message: "did not find expected key"},
		{Field: "mqn.threshold", Message: "must be greater than 0"},
	}
	assert.Equal(t, "3: steps[2].goto: unknown step \"x\"\n7: did not find expected key\nmqn.threshold: must be greater than 0", probs.Error())
	assert.Equal(t, []string{
		`journeys/a.yaml:3: steps[2].goto: unknown step "x"`,
		"journeys/a.yaml:7: did not find expected key",
		"journeys/a.yaml: mqn.threshold: must be greater than 0",
	}, probs.Lines("journeys/a.yaml"))
}

func FuzzParse(f *testing.F) {
	f.Add(readExample(f))
	f.Add([]byte(minimal))
	f.Add([]byte(`{"id": "j", "steps": [{"id": "s", "goto": "s"}], "mqn": {"threshold": 1}}`))
	f.Add([]byte("steps: &a [*a]\n"))
	f.Add([]byte("steps:\n  - {id: a, if: \"clicked('b') || visits('x') > 2\", wait: 1d, until: [click]}\n"))
	f.Add([]byte("send_window: {days: [mon], from: \"25:00\"}\n"))
	f.Add([]byte(minimal + "  - id: r\n    if: !clicked('s') # not yet\n    wait: 1d12h\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := journey.Parse(data)
		if err == nil {
			require.NotNil(t, d)
			assert.Empty(t, journey.Validate(d, journey.ValidateOptions{}))
			out, err := json.Marshal(d)
			require.NoError(t, err)
			back, err := journey.Parse(out)
			require.NoError(t, err, "%s", out)
			assert.Equal(t, d, back, "a journey reads back as written")
			return
		}
		var probs journey.Problems
		require.True(t, errors.As(err, &probs), "error is %T", err)
		require.NotEmpty(t, probs)
		assert.True(t, sort.SliceIsSorted(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line }))
	})
}

func TestUnknownFieldSuggestionCountsASwapAsOneTypo(t *testing.T) {
	probs := parseProblems(t, minimal+"  - {id: w, wait: 1d, unitl: click}\n")
	assertProblems(t, probs, want{8, "steps[1].unitl", `unknown field; did you mean "until"?`})
	assert.Equal(t, `; did you mean "step"?`, journey.DidYouMean("stpe", []string{"at", "type", "step"}))
	assert.Equal(t, "", journey.DidYouMean("colour", []string{"at", "type", "step"}))
}

func TestAnUnquotedNegatedConditionIsReportedAtItsLine(t *testing.T) {
	tests := []struct {
		name string
		step string
		want want
	}{
		{"block mapping", "  - id: r\n    if: !clicked('s')\n    send: c\n",
			want{9, "steps[1].if", `a condition that starts with "!" must be quoted, or YAML reads the "!" as a tag: write if: "!clicked('s')"`}},
		{"flow mapping", "  - {id: r, if: !clicked('s'), send: c}\n",
			want{8, "steps[1].if", `must be quoted, or YAML reads the "!" as a tag: write if: "!clicked('s')"`}},
		{"a space after the !, which YAML would drop, keeping the opposite condition", "  - {id: r, if: ! clicked('s'), send: c}\n",
			want{8, "steps[1].if", `write if: "! clicked('s')"`}},
		{"a longer condition", "  - id: r\n    if: !fast_lane_requested && min(score, 30) > 20   # late\n    send: c\n",
			want{9, "steps[1].if", `write if: "!fast_lane_requested && min(score, 30) > 20"`}},
		{"a condition with double quotes is single-quoted", "  - {id: r, if: !clicked(\"s\"), send: c}\n",
			want{8, "steps[1].if", `write if: '!clicked("s")'`}},
		{"a quoted key", "  - {id: r, \"if\": !clicked('s'), send: c}\n",
			want{8, "steps[1].if", `write if: "!clicked('s')"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := parseProblems(t, minimal+tt.step)
			assertProblems(t, probs, tt.want)
			assert.NotContains(t, probs.Error(), "did not find expected")
			assert.NotContains(t, probs.Error(), "must be a string")
		})
	}
}

func TestAnUnquotedNegatedConditionDoesNotHideTheOtherProblems(t *testing.T) {
	probs := parseProblems(t, minimal+"  - {id: r, if: !clicked('nowhere'), send: c}\n  - {id: w, wait: 4x}\n  - {id: g, goto: nowhere}\n")
	assertProblems(t, probs,
		want{8, "steps[1].if", `write if: "!clicked('nowhere')"`},
		want{9, "steps[2].wait", `bad duration "4x"`},
		want{10, "steps[3].goto", `unknown step "nowhere"`},
	)
}

func TestNegatedConditionsThatAreQuotedOrNotConditionsAreLeftAlone(t *testing.T) {
	for _, doc := range []string{
		minimal + "  - {id: r, if: \"!clicked('s')\", send: c}\n",
		minimal + "  - {id: r, if: '!clicked(''s'')', send: c}\n",
		minimal + "  - id: r\n    if: \"!clicked('s')\"   # if: !clicked('s')\n    send: c\n",
		strings.Replace(minimal, "name: J", `name: "what if: !this, if: !that"`, 1),
		strings.Replace(minimal, "name: J", "name: >\n  if: !clicked('s')\n  is how not to write it", 1),
		"{\"id\": \"j\", \"name\": \"J\", \"offer\": {\"kind\": \"repeat\", \"product\": \"p\"}, \"scoring\": {\"points\": {\"click\": 10}}, " +
			"\"mqn\": {\"threshold\": 10}, \"steps\": [{\"id\": \"s\", \"send\": \"c\"}, {\"id\": \"r\", \"if\": \"!clicked('s')\", \"send\": \"c\"}]}",
	} {
		_, err := journey.Parse([]byte(doc))
		assert.NoError(t, err, doc)
	}
}
