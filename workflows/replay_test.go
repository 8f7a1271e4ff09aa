package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/ripen/ripen/workflows/internal/histories"
)

// recordedHistories are the histories recorded from real runs of the
// journey workflow (see docs/operations.md, "Upgrade", for how to record
// one).
func recordedHistories(t *testing.T) []string {
	files, err := histories.Files("testdata")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in testdata/")
	return files
}

// TestReplayRecordedHistories replays every recorded history through the
// current code: a change that would break runs in flight fails here. The
// histories in testdata start at v0.1.0. From then on every change to the
// workflow's behaviour goes behind workflow.GetVersion, with a history
// recorded from a run of the changed code added here; none is removed
// while a release that could have started such a run is supported.
func TestReplayRecordedHistories(t *testing.T) {
	for _, f := range recordedHistories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(Journey)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// TestRecordedHistoriesCancelTheTimersOfWaitsThatEnded: in a real run's
// history, a wait that ended early (a click, a fast lane, sales' answer, a
// pause) cancelled its timer before the next wait started one, and a run
// that closed left none running.
func TestRecordedHistoriesCancelTheTimersOfWaitsThatEnded(t *testing.T) {
	for _, f := range recordedHistories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			h, err := histories.Load(f)
			require.NoError(t, err)
			require.NoError(t, histories.CheckTimers(h))
		})
	}
}
