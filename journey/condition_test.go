package journey_test

import (
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
		{"wrong argument type", "clicked(1)", "cannot use int as argument"},
		{"clock builtins are not available", "now().Year() > 2000", "unknown name now"},
		{"date builtin is not available", "date('2026-01-01') != nil", "unknown name date"},
		{"string builtins are not available", "len(repeat('a', 1000000)) > 0", "unknown name repeat"},
		{"empty condition", " ", "empty condition"},
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
