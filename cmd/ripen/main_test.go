package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProductionBinaryDoesNotLinkTheTemporalServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Split(string(out), "\n") {
		require.False(t, strings.HasPrefix(dep, "go.temporal.io/server"), "cmd/ripen depends on %s", dep)
		require.False(t, strings.HasPrefix(dep, "github.com/temporalio/ui-server"), "cmd/ripen depends on %s", dep)
	}
	require.Contains(t, string(out), "go.temporal.io/sdk/client", "the SDK is expected; the list is real")
}

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	err := run(context.Background(), args, &o, &e)
	var ex exitError
	switch {
	case err == nil:
	case errors.As(err, &ex):
		code = int(ex)
	default:
		e.WriteString(err.Error())
		code = 1
	}
	return o.String(), e.String(), code
}

func TestJourneysValidateAcceptsTheDesignExample(t *testing.T) {
	out, errOut, code := runCLI(t, "journeys", "validate", "../../journey/testdata/example.yaml")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "../../journey/testdata/example.yaml: ok: journey erp-automation-crosssell (cross-sell automation-suite), 6 steps, "+
		"MQN at 40 points or a fast-lane request for consultation, demo, price-indication\n", out)
}

func TestJourneysValidateSummarySaysAnEmptyFastLaneMeansAnyOffer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "j.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`id: j
name: J
offer: {kind: repeat, product: p}
scoring: {points: {click: 10}}
mqn: {threshold: 10}
steps:
  - {id: s, send: c}
`), 0o600))
	out, errOut, code := runCLI(t, "journeys", "validate", file)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "ok: journey j (repeat p), 1 steps, MQN at 10 points or a fast-lane request for any offer\n")
	require.NotContains(t, out, "[]")
	require.NotContains(t, out, "v0")
}

func TestJourneysValidateListsEveryProblemWithItsLine(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`id: bad
name: Bad
offer: {kind: cross-sell, product: p}
scoring: {points: {click: 10}}
mqn: {threshold: 40}
steps:
  - {id: a, send: checklist}
  - {id: b, wait: 4x}
  - {id: c, goto: nowhere}
`), 0o600))
	content := filepath.Join(dir, "content.yaml")
	require.NoError(t, os.WriteFile(content, []byte("- {id: other}\n"), 0o600))
	_, errOut, code := runCLI(t, "journeys", "validate", file, "--content", content)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, file+":7: steps[0].send:")
	require.Contains(t, errOut, file+":8: steps[1].wait:")
	require.Contains(t, errOut, file+":9: steps[2].goto:")
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(file, []byte(text), 0o600))
	return file
}

const example = "../../journey/testdata/example.yaml"

func TestJourneysSimulatePrintsJSON(t *testing.T) {
	events := writeFile(t, "events.yaml", "- {at: 2d, type: click, step: checklist}\n- {at: 5d, type: fast-lane, offer: demo}\n- {at: 6d, type: sales-feedback, outcome: won}\n")
	out, errOut, code := runCLI(t, "journeys", "simulate", example, "--events", events, "--json", "--start", "2026-11-30T09:00:00+01:00")
	require.Equal(t, 0, code, errOut)

	// The fields the issue promises, with their JSON types.
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	require.Equal(t, "won", rep["outcome"])
	require.Equal(t, true, rep["mqn"])
	require.IsType(t, float64(0), rep["score"])
	require.Positive(t, rep["score"])
	require.Equal(t, float64(1), rep["cycles"])

	handoffs := objects(t, rep, "handoffs")
	require.Len(t, handoffs, 1)
	require.Equal(t, float64(5*86400), handoffs[0]["at_s"])
	require.Equal(t, "fast-lane", handoffs[0]["reason"])

	sends := objects(t, rep, "sends")
	require.GreaterOrEqual(t, len(sends), 2)
	require.Equal(t, map[string]any{"step": "checklist", "content": "automation-checklist", "at_s": float64(0)}, pick(sends[0], "step", "content", "at_s"))
	require.Equal(t, map[string]any{"step": "case-study", "content": "erp-automation-case-study", "at_s": float64(2 * 86400)}, pick(sends[1], "step", "content", "at_s"))

	timeline := objects(t, rep, "timeline")
	require.NotEmpty(t, timeline)
	for _, e := range timeline {
		require.IsType(t, float64(0), e["at_s"], "%v", e)
		require.IsType(t, "", e["kind"], "%v", e)
	}
	require.Equal(t, map[string]any{"at_s": float64(6 * 86400), "kind": "end", "detail": "won"}, timeline[len(timeline)-1])
}

// objects returns rep[key] as a list of JSON objects.
func objects(t *testing.T, rep map[string]any, key string) []map[string]any {
	t.Helper()
	list, ok := rep[key].([]any)
	require.True(t, ok, "%s is %T, not a list", key, rep[key])
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i], ok = v.(map[string]any)
		require.True(t, ok, "%s[%d] is %T, not an object", key, i, v)
	}
	return out
}

func pick(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func TestJourneysSimulatePrintsATimeline(t *testing.T) {
	events := writeFile(t, "events.yaml", "- {at: 3d, type: unsubscribe}\n")
	out, errOut, code := runCLI(t, "journeys", "simulate", example, "--events", events, "--start", "2026-11-30T09:00:00+01:00", "--timezone", "Europe/Berlin")
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasPrefix(out, "journey erp-automation-crosssell, enrolled Mon 2026-11-30 09:00 CET\n"), out)
	require.Contains(t, out, "  day 0     Mon 09:00  send             checklist: automation-checklist\n")
	require.Contains(t, out, "outcome unsubscribed after day 3")
}

func TestJourneysSimulateUsageErrorsExit2(t *testing.T) {
	events := writeFile(t, "events.yaml", "[]\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{example, "--events", events, "--colour"}, "flag provided but not defined: -colour"},
		{"no journey file", []string{"--events", events}, "want exactly one journey FILE, got 0"},
		{"no events file", []string{example}, "ripen journeys simulate: --events FILE is required"},
		{"machine-local time zone", []string{example, "--events", events, "--timezone", "Local"}, `--timezone: "Local" is this machine's time zone, not the contact's`},
		{"unknown time zone", []string{example, "--events", events, "--timezone", "Berlin"}, `--timezone: "Berlin" is not a time zone: want an IANA time zone name`},
		{"bad start", []string{example, "--events", events, "--start", "tomorrow"}, `--start "tomorrow": want RFC 3339`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, append([]string{"journeys", "simulate"}, tt.args...)...)
			require.Equal(t, 2, code, errOut)
			require.Empty(t, out)
			require.Contains(t, errOut, tt.want)
			require.Contains(t, errOut, "-events")
		})
	}
}

func TestJourneysSimulateListsEveryEventProblemWithItsLine(t *testing.T) {
	events := writeFile(t, "events.yaml", `- {at: 2d, type: click, stpe: checklist}
- {at: 3d, type: visit}
- {at: 5d, type: fast-lane, offer: dmeo}
- {at: 6d, type: fast-lane, offer: checklist}
- {at: 7d, type: open, step: nudge}
`)
	out, errOut, code := runCLI(t, "journeys", "simulate", example, "--events", events)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Equal(t, []string{
		events + `:1: events[0].step: a click event needs the step whose email was clicked`,
		events + `:1: events[0].stpe: unknown field; did you mean "step"?`,
		events + `:2: events[1].topic: a visit event needs the topic visited`,
		events + `:3: events[2].offer: unknown fast-lane offer "dmeo": want one of consultation, demo, price-indication, checklist, implementation-note; did you mean "demo"?`,
		events + `:4: events[3].offer: the journey's fast lane does not include "checklist" (mqn.fast_lane: consultation, demo, price-indication), so the request would qualify nothing`,
		events + `:5: events[4].step: step "nudge" sends no email: click and open events name a send step; the journey's send steps are checklist, reminder, case-study`,
	}, strings.Split(strings.TrimSpace(errOut), "\n"))
}

func TestJourneysSimulateReportsJourneyAndEventProblemsTogether(t *testing.T) {
	journeyFile := writeFile(t, "j.yaml", "id: j\nname: J\n")
	events := writeFile(t, "events.yaml", "- {at: 2d, type: clikc, step: s}\n")
	_, errOut, code := runCLI(t, "journeys", "simulate", journeyFile, "--events", events)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, journeyFile+":1: offer.kind: offer kind is required")
	require.Contains(t, errOut, events+`:1: events[0].type: unknown event type "clikc"`)
}

func TestHelpIsAnAnswerOnStdout(t *testing.T) {
	tests := []struct {
		args []string
		want []string // in stdout
	}{
		{[]string{"--help"}, []string{"ripen worker", "ripen journeys validate FILE"}},
		{[]string{"help", "migrate"}, []string{"ripen migrate --check", "-create-database"}},
		{[]string{"help", "journeys", "simulate"}, []string{"ripen journeys simulate FILE", "-events FILE"}},
		{[]string{"journeys", "validate", "example.yaml", "--help"}, []string{"ripen journeys validate FILE", "-content FILE"}},
		{[]string{"journeys", "simulate", "-h"}, []string{"ripen journeys simulate FILE", "-timezone string"}},
		{[]string{"apikeys", "create", "--help"}, []string{"ripen apikeys create --role ROLE --label TEXT", "ripen apikeys revoke ID"}},
		{[]string{"migrate", "--check", "--help"}, []string{"ripen migrate --check", "-wait duration"}},
	}
	// Every command answers each way of asking.
	for _, cmd := range []string{"journeys", "worker", "api", "migrate", "apikeys", "sendgrid-dev", "healthcheck"} {
		for _, ask := range []string{"--help", "-h", "help"} {
			tests = append(tests, struct {
				args []string
				want []string
			}{[]string{cmd, ask}, []string{"usage:\n", "ripen " + cmd}})
		}
	}
	tests = append(tests, struct {
		args []string
		want []string
	}{[]string{"journeys", "--help"}, []string{
		"ripen journeys validate FILE [--content FILE]", "ripen journeys validate flags:\n  -content FILE",
		"ripen journeys simulate FILE --events FILE", "ripen journeys simulate flags:\n", "-events FILE", "-start string", "-json",
	}})
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, tt.args...)
			require.Equal(t, 0, code, errOut)
			require.Empty(t, errOut)
			for _, w := range tt.want {
				require.Contains(t, out, w)
			}
		})
	}
}

func TestUsageMistakesStillExit2OnStderr(t *testing.T) {
	for _, args := range [][]string{{}, {"journeys"}, {"journeys", "lint"}, {"help", "lint"}, {"lint"}, {"migrate", "--colour"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, args...)
			require.Equal(t, 2, code)
			require.Empty(t, out)
			require.Contains(t, errOut, "usage:\n")
		})
	}
}

func TestJourneysValidateSaysANegatedConditionMustBeQuoted(t *testing.T) {
	file := writeFile(t, "j.yaml", `id: j
name: J
offer: {kind: repeat, product: p}
scoring: {points: {click: 10}}
mqn: {threshold: 10}
steps:
  - {id: checklist, send: c}
  - id: reminder
    if: !clicked('checklist')
    send: c
`)
	out, errOut, code := runCLI(t, "journeys", "validate", file)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Equal(t, file+`:9: steps[1].if: a condition that starts with "!" must be quoted, or YAML reads the "!" as a tag: `+
		`write if: "!clicked('checklist')"`+"\n", errOut)
}
