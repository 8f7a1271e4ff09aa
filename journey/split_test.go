package journey_test

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

// experiment is the design's experiment: a 10% holdout and a 50/50 split
// whose arms go on at different steps.
const experiment = `id: j
name: J
offer: {kind: repeat, product: p}
scoring: {points: {click: 10}}
mqn: {threshold: 10}
holdout: 10
steps:
  - {id: subject-test, split: [{arm: a, weight: 50, goto: case-study}, {arm: b, weight: 50, goto: webinar}]}
  - {id: case-study, send: c1}
  - {id: wait-1, wait: 7d}
  - {id: done, end: true}
  - {id: webinar, send: c2}
`

func TestASplitAndAHoldoutParse(t *testing.T) {
	d, err := journey.Parse([]byte(experiment))
	require.NoError(t, err)
	assert.Equal(t, 10, d.Holdout)
	s := d.Steps[0]
	assert.Equal(t, journey.StepSplit, s.Kind())
	assert.Equal(t, []journey.Arm{{Arm: "a", Weight: 50, Goto: "case-study"}, {Arm: "b", Weight: 50, Goto: "webinar"}}, s.Split)
	assert.Equal(t, "webinar", s.Arm("b").Goto)
	assert.Nil(t, s.Arm("c"))
	assert.NoError(t, validateAgainstSchema(t, compileSchema(t), experiment))
}

func TestSplitAndHoldoutMistakesNameFieldAndLine(t *testing.T) {
	split := func(arms string) string {
		return strings.Replace(experiment, "[{arm: a, weight: 50, goto: case-study}, {arm: b, weight: 50, goto: webinar}]", arms, 1)
	}
	tests := []struct {
		name  string
		doc   string
		wants []want
	}{
		{"holdout above 50", strings.Replace(experiment, "holdout: 10", "holdout: 60", 1),
			[]want{{6, "holdout", "must be a percent from 0 to 50, got 60"}}},
		{"negative holdout", strings.Replace(experiment, "holdout: 10", "holdout: -1", 1),
			[]want{{6, "holdout", "from 0 to 50"}}},
		{"holdout not a number", strings.Replace(experiment, "holdout: 10", "holdout: ten", 1),
			[]want{{6, "holdout", "must be a whole number"}}},
		{"one arm", split("[{arm: a, weight: 1, goto: case-study}]"),
			[]want{{8, "steps[0].split", "at least 2 arms, got 1"}, {12, "steps[4]", `step "webinar" is unreachable`}}},
		{"goto of an arm names an unknown step", split("[{arm: a, weight: 1, goto: case-study}, {arm: b, weight: 1, goto: webinr}]"),
			[]want{{8, "steps[0].split[1].goto", `unknown step "webinr"; did you mean "webinar"?`}, {12, "steps[4]", "unreachable"}}},
		{"arms are unique", split("[{arm: a, weight: 1, goto: case-study}, {arm: a, weight: 1, goto: webinar}]"),
			[]want{{8, "steps[0].split[1].arm", `arm "a" is already used by steps[0].split[0]`}}},
		{"weights are positive", split("[{arm: a, weight: 0, goto: case-study}, {arm: b, weight: 1, goto: webinar}]"),
			[]want{{8, "steps[0].split[0].weight", "greater than 0, got 0"}}},
		{"weights are whole numbers", split("[{arm: a, weight: 0.5, goto: case-study}, {arm: b, weight: 1, goto: webinar}]"),
			[]want{{8, "steps[0].split[0].weight", "must be a whole number"}}},
		{"arm ids are slugs", split("[{arm: A, weight: 1, goto: case-study}, {arm: b, weight: 1, goto: webinar}]"),
			[]want{{8, "steps[0].split[0].arm", `"A" is not a valid arm id`}}},
		{"an arm needs its fields", split("[{arm: a, weight: 1, goto: case-study}, {arm: b}]"),
			[]want{{8, "steps[0].split[1].goto", "goto is required"}, {8, "steps[0].split[1].weight", "greater than 0"}, {12, "steps[4]", "unreachable"}}},
		{"unknown arm field", split("[{arm: a, weight: 1, goto: case-study}, {arm: b, weight: 1, goto: webinar, wieght: 2}]"),
			[]want{{8, "steps[0].split[1].wieght", `unknown field; did you mean "weight"?`}}},
		{"a split is one action", strings.Replace(experiment, "{id: subject-test, split:", "{id: subject-test, send: c0, split:", 1),
			// The graph follows the first action, as for every step with two.
			[]want{{8, "steps[0]", "has 2 actions (send, split)"}, {12, "steps[4]", "unreachable"}}},
		{"an empty split is a split without arms", split("[]"),
			[]want{{8, "steps[0].split", "at least 2 arms, got 0"}, {9, "steps[1]", "unreachable"}, {10, "steps[2]", "unreachable"}, {11, "steps[3]", "unreachable"}, {12, "steps[4]", "unreachable"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProblems(t, parseProblems(t, tt.doc), tt.wants...)
		})
	}
}

func TestASplitArmThatLoopsBackNeedsAWait(t *testing.T) {
	doc := `id: j
name: J
offer: {kind: repeat, product: p}
scoring: {points: {click: 10}}
mqn: {threshold: 10}
steps:
  - {id: hello, send: c}
  - {id: test, split: [{arm: a, weight: 1, goto: hello}, {arm: b, weight: 1, goto: bye}]}
  - {id: bye, send: c}
`
	assertProblems(t, parseProblems(t, doc), want{8, "steps[1].split[0].goto", `loop without a wait: "hello" → "test" → "hello"`})
	withWait := strings.Replace(doc, "goto: hello}", "goto: pause}", 1) + "  - {id: pause, wait: 1d}\n  - {id: again, goto: hello}\n"
	_, err := journey.Parse([]byte(withWait))
	assert.NoError(t, err)
}

func TestSchemaRejectsTheSplitMistakesTheParserRejects(t *testing.T) {
	s := compileSchema(t)
	for name, doc := range map[string]string{
		"one arm":      strings.Replace(experiment, ", {arm: b, weight: 50, goto: webinar}", "", 1),
		"zero weight":  strings.Replace(experiment, "weight: 50, goto: webinar", "weight: 0, goto: webinar", 1),
		"holdout 51":   strings.Replace(experiment, "holdout: 10", "holdout: 51", 1),
		"arm no goto":  strings.Replace(experiment, ", goto: webinar}", "}", 1),
		"split and go": strings.Replace(experiment, "{id: subject-test, split:", "{id: subject-test, goto: done, split:", 1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := journey.Parse([]byte(doc))
			assert.Error(t, err, "parser")
			assert.Error(t, validateAgainstSchema(t, s, doc), "schema")
		})
	}
}

// TestSplitArmIsTheDocumentedHash reproduces the formula the README gives,
// from scratch, so that the code and the documentation cannot drift apart.
func TestSplitArmIsTheDocumentedHash(t *testing.T) {
	step := journey.Step{ID: "subject-test", Split: []journey.Arm{{Arm: "a", Weight: 30, Goto: "x"}, {Arm: "b", Weight: 50, Goto: "y"}, {Arm: "c", Weight: 20, Goto: "z"}}}
	for i := range 200 {
		customer := fmt.Sprintf("customer-%d", i)
		sum := sha256.Sum256([]byte("j\x00" + customer + "\x00subject-test"))
		pick := binary.BigEndian.Uint64(sum[:8]) % 100
		want := "c"
		switch {
		case pick < 30:
			want = "a"
		case pick < 80:
			want = "b"
		}
		assert.Equal(t, want, journey.SplitArm("j", customer, step), customer)

		held := sha256.Sum256([]byte("holdout\x00j\x00" + customer))
		assert.Equal(t, binary.BigEndian.Uint64(held[:8])%100 < 10, journey.HeldOut("j", customer, 10), customer)
	}
}

func TestTheSameAccountAlwaysTakesTheSameArm(t *testing.T) {
	d, err := journey.Parse([]byte(experiment))
	require.NoError(t, err)
	first := journey.SplitArm(d.ID, "acme", d.Steps[0])
	for range 10 {
		assert.Equal(t, first, journey.SplitArm(d.ID, "acme", d.Steps[0]))
	}
	assert.Contains(t, []string{"a", "b"}, first)
	assert.Empty(t, journey.SplitArm(d.ID, "acme", journey.Step{ID: "none"}), "a step without arms has none")
	assert.False(t, journey.HeldOut(d.ID, "acme", 0), "no holdout holds out nobody")
}

// TestArmsFollowTheirWeights: over 10,000 customers the arms' shares are
// within 3 points of their weights, and the holdout's within 2 of its
// percent. The hash is fixed, so the counts are the same on every run:
// the bounds cannot flake, only a change of the hash could break them.
func TestArmsFollowTheirWeights(t *testing.T) {
	const customers = 10000
	tests := []struct {
		name    string
		weights []int
	}{
		{"50/50", []int{50, 50}},
		{"70/30", []int{7, 3}},
		{"three arms 1:2:1", []int{1, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := journey.Step{ID: "subject-test"}
			total := 0
			for i, w := range tt.weights {
				step.Split = append(step.Split, journey.Arm{Arm: fmt.Sprint("arm-", i), Weight: w, Goto: "x"})
				total += w
			}
			counts := map[string]int{}
			for i := range customers {
				counts[journey.SplitArm("erp-automation-crosssell", fmt.Sprintf("customer-%d", i), step)]++
			}
			for _, a := range step.Split {
				share := float64(counts[a.Arm]) / customers
				assert.InDelta(t, float64(a.Weight)/float64(total), share, 0.03, "arm %s", a.Arm)
			}
		})
	}
	held := 0
	for i := range customers {
		if journey.HeldOut("erp-automation-crosssell", fmt.Sprintf("customer-%d", i), 10) {
			held++
		}
	}
	assert.InDelta(t, 0.10, float64(held)/customers, 0.02)
}

// TestHoldoutAndSplitAreIndependent: the holdout's label keeps it apart
// from the arms, so held-out accounts are spread over the arms alike.
func TestHoldoutAndSplitAreIndependent(t *testing.T) {
	step := journey.Step{ID: "subject-test", Split: []journey.Arm{{Arm: "a", Weight: 1, Goto: "x"}, {Arm: "b", Weight: 1, Goto: "y"}}}
	heldA, held := 0, 0
	for i := range 10000 {
		c := fmt.Sprintf("customer-%d", i)
		if journey.HeldOut("j", c, 20) {
			held++
			if journey.SplitArm("j", c, step) == "a" {
				heldA++
			}
		}
	}
	assert.InDelta(t, 0.5, float64(heldA)/float64(held), 0.05)
}
