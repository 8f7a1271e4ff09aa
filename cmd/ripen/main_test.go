package main

import (
	"bytes"
	"context"
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
	require.Contains(t, out, "ok: journey erp-automation-crosssell")
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

func TestJourneysSimulatePrintsJSON(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "events.yaml")
	require.NoError(t, os.WriteFile(events, []byte("- {at: 2d, type: click, step: checklist}\n- {at: 5d, type: fast-lane, offer: demo}\n- {at: 6d, type: sales-feedback, outcome: won}\n"), 0o600))
	out, errOut, code := runCLI(t, "journeys", "simulate", "../../journey/testdata/example.yaml", "--events", events, "--json", "--start", "2026-11-30T09:00:00+01:00")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `"outcome": "won"`)
	require.Contains(t, out, `"mqn": true`)
	require.Contains(t, out, `"reason": "fast-lane"`)
}
