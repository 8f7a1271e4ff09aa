package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

const experimentYAML = `id: j
name: J
offer: {kind: repeat, product: p}
scoring: {points: {click: 10}}
mqn: {threshold: 10}
holdout: %d
steps:
  - {id: subject-test, split: [{arm: a, weight: 50, goto: case-study}, {arm: b, weight: 50, goto: webinar}]}
  - {id: case-study, send: c1}
  - {id: done, end: true}
  - {id: webinar, send: c2}
`

func TestJourneysSimulateShowsTheCustomersArmAndHoldout(t *testing.T) {
	def, err := journey.Parse(fmt.Appendf(nil, experimentYAML, 20))
	require.NoError(t, err)
	file := writeFile(t, "j.yaml", fmt.Sprintf(experimentYAML, 20))
	events := writeFile(t, "events.yaml", "- {at: 1d, type: stop}\n")
	for _, customer := range []string{"acme", "globex", "initech"} {
		out, errOut, code := runCLI(t, "journeys", "simulate", file, "--events", events, "--customer", customer, "--json")
		require.Equal(t, 0, code, errOut)
		var rep map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
		arm := journey.SplitArm("j", customer, def.Steps[0])
		require.Equal(t, map[string]any{"subject-test": arm}, rep["arms"], customer)
		require.Equal(t, journey.HeldOut("j", customer, 20), rep["holdout"], customer)

		out, errOut, code = runCLI(t, "journeys", "simulate", file, "--events", events, "--customer", customer)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "experiments: subject-test → arm "+arm)
	}
}

func TestJourneysValidateNamesTheLineAndFieldOfASplitMistake(t *testing.T) {
	file := writeFile(t, "j.yaml", strings.Replace(fmt.Sprintf(experimentYAML, 60), "goto: webinar", "goto: webinr", 1))
	_, errOut, code := runCLI(t, "journeys", "validate", file)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, file+":6: holdout: must be a percent from 0 to 50, got 60")
	require.Contains(t, errOut, file+`:8: steps[0].split[1].goto: unknown step "webinr"; did you mean "webinar"?`)
}
