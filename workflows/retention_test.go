package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
)

// The daily pruning asks about the day the schedule fired for, in UTC, and
// a retry after a failure asks about the same day.
func TestEventsRetentionPrunesThroughItsActivity(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(time.Date(2026, 3, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600))) // 28 Feb in UTC
	var asked []PruneEventsRequest
	env.RegisterActivityWithOptions(func(_ context.Context, req PruneEventsRequest) (PruneEventsResult, error) {
		asked = append(asked, req)
		if len(asked) == 1 {
			return PruneEventsResult{}, errors.New("database restarting")
		}
		return PruneEventsResult{Before: "2025-01-24T00:00:00Z", Deleted: 12, Batches: 1}, nil
	}, activity.RegisterOptions{Name: ActivityPruneEvents})

	env.ExecuteWorkflow(EventsRetention)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res PruneEventsResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.EqualValues(t, 12, res.Deleted)
	require.Equal(t, []PruneEventsRequest{{Day: "2026-02-28"}, {Day: "2026-02-28"}}, asked)
}
