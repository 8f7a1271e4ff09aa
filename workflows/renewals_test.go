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

// The detector asks its activity about the day the schedule fired for (in
// UTC, whatever the server's zone), retries it when it fails, and returns
// its counts as the workflow's result.
func TestTheRenewalDetectorEnrolsThroughItsActivity(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	berlin := time.FixedZone("CET", 3600)
	env.SetStartTime(time.Date(2026, 3, 1, 0, 30, 0, 0, berlin)) // still 28 Feb in UTC
	var asked []RenewalRequest
	env.RegisterActivityWithOptions(func(_ context.Context, req RenewalRequest) (RenewalResult, error) {
		asked = append(asked, req)
		if len(asked) == 1 {
			return RenewalResult{}, errors.New("database restarting")
		}
		return RenewalResult{Journeys: 1, Due: 2, Claimed: 1, Ineligible: 1, Results: map[string]int{"started": 1}}, nil
	}, activity.RegisterOptions{Name: ActivityDetectRenewals})

	env.ExecuteWorkflow(RenewalDetector)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res RenewalResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, RenewalResult{Journeys: 1, Due: 2, Claimed: 1, Ineligible: 1, Results: map[string]int{"started": 1}}, res)
	require.Equal(t, []RenewalRequest{{Day: "2026-02-28"}, {Day: "2026-02-28"}}, asked, "a retry asks about the same day")
}
