package journey_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

func TestEvalCondition(t *testing.T) {
	env := journey.ConditionEnv{
		Score:             12.5,
		DaysInJourney:     30,
		Cycle:             1,
		FastLaneRequested: false,
		Clicked:           func(step string) bool { return step == "checklist" },
		Opened:            func(step string) bool { return step == "checklist" || step == "case-study" },
		Visits:            func(topic string) int { return map[string]int{"pricing": 3}[topic] },
	}
	tests := []struct {
		name string
		src  string
		want bool
	}{
		{"design example: low score early in the journey", "score < 20 && days_in_journey < 90", true},
		{"design example: not clicked", "!clicked('checklist')", false},
		{"clicked another step", "clicked('case-study')", false},
		{"opened", "opened('case-study') and not opened('reminder')", true},
		{"visits count", "visits('pricing') >= 3 && visits('other') == 0", true},
		{"cycle", "cycle == 1", true},
		{"fast lane", "fast_lane_requested || score > 100", false},
		{"double quotes", `clicked("checklist")`, true},
		{"arithmetic builtins", "round(score) == 13 && max(cycle, 2) == 2", true},
		{"membership", "cycle in [1, 2]", true},
		{"negated membership", "cycle not in [2, 3] && !(score in [1.5, -2])", true},
		{"arithmetic and parentheses", "(score * 2 + 5) / 10 > -1 % 3 && days_in_journey - 30 == 0", true},
		{"literals", "'a' + 'b' == \"ab\" && nil == nil && true != false && 1.5 > 1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, journey.CompileCondition(tt.src))
			got, err := journey.EvalCondition(tt.src, env)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			again, err := journey.EvalCondition(tt.src, env) // from the cache
			require.NoError(t, err)
			assert.Equal(t, tt.want, again)
		})
	}
}

func TestEvalConditionWithoutFunctionsSeesNoEngagement(t *testing.T) {
	got, err := journey.EvalCondition("!clicked('a') && !opened('a') && visits('t') == 0", journey.ConditionEnv{})
	require.NoError(t, err)
	assert.True(t, got)
}

func TestCompileConditionRejects(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"unknown variable", "scroe < 20", "unknown name scroe"},
		{"not a bool", "score + 1", "expected bool"},
		{"syntax error", "score <", "does not compile"},
		{"wrong argument type", "clicked(1)", "the argument of clicked (column 9) must be a quoted step id, as in clicked('checklist')"},
		{"clock builtins are not available", "now().Year() > 2000", "member access (. or [...]) (column 1) is not allowed in a condition"},
		{"date builtin is not available", "date('2026-01-01') != nil", "date() (column 1) is not allowed in a condition"},
		{"string builtins are not available", "len(repeat('a', 1000000)) > 0", "len() (column 1) is not allowed in a condition"},
		{"empty condition", " ", "empty condition"},
		{"too long", "score > 1" + strings.Repeat(" ", journey.MaxConditionLength), "a condition may have at most 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := journey.CompileCondition(tt.src)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			_, err = journey.EvalCondition(tt.src, journey.ConditionEnv{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Conditions run inside the API and inside workflow tasks: only the
// condition grammar is accepted, so that none can loop or allocate.
func TestConditionsOutsideTheGrammarAreRefused(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"a billion iterations", "let a = 1..1000; any(a, {any(a, {any(a, {# < 0})})})", "let (column 5) is not allowed in a condition: only numbers"},
		{"a range", "cycle in 1..1000000", "`in` over anything but a literal list [...] (column 10) is not allowed"},
		{"a range alone", "1..1000000 == nil", "a range (..) (column 2) is not allowed"},
		{"predicates", "all([1, 2], {# > 0})", "all() (column 1) is not allowed"},
		{"a closure's pointer", "count([1], # > 0) > 0", "count() (column 1) is not allowed"},
		{"map", "len(map([1], {#})) > 0", "len() (column 1) is not allowed"},
		{"a list outside in", "[1, 2] == [1, 2]", "a list outside `in [...]` (column 1) is not allowed"},
		{"a map literal", "{'a': 1} != nil", "a map {...} (column 1) is not allowed"},
		{"member access", "$env.score > 1", "member access (. or [...]) (column 1) is not allowed"},
		{"index access", "$env['score'] > 1", "member access (. or [...]) (column 1) is not allowed"},
		{"pipe", "'checklist' | clicked()", "a pipe (|) (column 1) is not allowed"},
		{"pipe into a builtin", "score | round() > 1", "a pipe (|) (column 1) is not allowed"},
		{"ternary", "score > 1 ? true : false", "the ternary operator (? :) (column 1) is not allowed"},
		{"if/else", "if score > 1 { true } else { false }", "if/else (column 1) is not allowed"},
		{"sequence", "score; true", "a sequence of expressions (;) (column 1) is not allowed"},
		{"matches compiles a regexp", "'aaa' matches '(a+)+$'", "the operator matches (column 7) is not allowed"},
		{"string operators", "'abc' contains 'b'", "the operator contains (column 7) is not allowed"},
		{"nil coalescing", "(nil ?? true)", "the operator ?? (column 6) is not allowed"},
		{"power", "score ** 2 > 1", "the operator ** (column 7) is not allowed"},
		{"a variable called", "score() > 1", "score is not a function (column 1)"},
		{"a function not called", "clicked == nil", "clicked is a function (column 1): call it, as in clicked('checklist')"},
		{"an engagement function with a computed name", "visits('pri' + 'cing') > 1", "the argument of visits (column 8) must be a quoted topic"},
		{"an engagement function with two names", "clicked('a', 'b')", "clicked (column 1) takes one quoted step id, as in clicked('checklist'), not 2 arguments"},
		{"an unknown name", "scroe < 20", `unknown name scroe (column 1): a condition sees score, days_in_journey, cycle, fast_lane_requested and calls clicked, opened, visits, abs, ceil, floor, round, min, max; did you mean "score"?`},
		{"the environment", "$env != nil", "unknown name $env (column 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := journey.CompileCondition(tt.src)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			_, err = journey.EvalCondition(tt.src, journey.ConditionEnv{})
			require.Error(t, err, "a workflow evaluating an old snapshot refuses it too")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestARefusedConditionIsAProblemAtItsStepsLine(t *testing.T) {
	probs := parseProblems(t, minimal+"  - {id: w, wait: 1d}\n  - id: x\n    if: \"let a = 1..1000; any(a, {any(a, {any(a, {# < 0})})})\"\n    send: c\n")
	assertProblems(t, probs, want{10, "steps[2].if", "let (column 5) is not allowed in a condition: only numbers, quoted strings, true, false, nil, the variables score, days_in_journey, cycle, fast_lane_requested, comparisons"})
}

func TestEvalConditionRuntimeErrorIsAnError(t *testing.T) {
	_, err := journey.EvalCondition("cycle / (cycle - cycle) > 1 || 1 % cycle == 0", journey.ConditionEnv{})
	require.Error(t, err)
}

func FuzzCompileCondition(f *testing.F) {
	for _, s := range []string{"score < 20 && days_in_journey < 90", "!clicked('checklist')", "visits('x') > 2 || cycle in [1, 2]", "round(score) == 13"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if journey.CompileCondition(src) == nil {
			_, _ = journey.EvalCondition(src, journey.ConditionEnv{Score: 1, Cycle: 1})
		}
	})
}
