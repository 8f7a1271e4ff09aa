package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// fastLaneFakes records what FastLaneHandoff asked of its activities.
type fastLaneFakes struct {
	recorded []FastLaneHandoffRequest
	notified []NotifyRequest
	assets   []FastLaneAssetRequest
	// notifyErr, when set, is what NotifyFastLaneOwner answers.
	notifyErr error
}

func (f *fastLaneFakes) register(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivityWithOptions(func(_ context.Context, req FastLaneHandoffRequest) (HandoffRecord, error) {
		f.recorded = append(f.recorded, req)
		if len(f.recorded) == 1 {
			return HandoffRecord{}, errors.New("database restarting")
		}
		return HandoffRecord{ID: "h-" + req.EventID}, nil
	}, activity.RegisterOptions{Name: ActivityRecordFastLaneHandoff})
	env.RegisterActivityWithOptions(func(_ context.Context, req NotifyRequest) error {
		f.notified = append(f.notified, req)
		return f.notifyErr
	}, activity.RegisterOptions{Name: ActivityNotifyFastLaneOwner})
	env.RegisterActivityWithOptions(func(_ context.Context, req FastLaneAssetRequest) (FastLaneAssetResult, error) {
		f.assets = append(f.assets, req)
		return FastLaneAssetResult{ContentID: "automation-checklist", Sent: true}, nil
	}, activity.RegisterOptions{Name: ActivitySendFastLaneAsset})
}

func runFastLane(t *testing.T, f *fastLaneFakes, in FastLaneHandoffInput) (*testsuite.TestWorkflowEnvironment, FastLaneHandoffResult) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	f.register(env)
	env.ExecuteWorkflow(FastLaneHandoff, in)
	require.True(t, env.IsWorkflowCompleted())
	var res FastLaneHandoffResult
	if env.GetWorkflowError() == nil {
		require.NoError(t, env.GetWorkflowResult(&res))
	}
	return env, res
}

func TestFastLaneHandoff(t *testing.T) {
	t.Run("a demo request is recorded as a hand-off and the owner told, no asset", func(t *testing.T) {
		var f fastLaneFakes
		env, res := runFastLane(t, &f, FastLaneHandoffInput{EventID: "ev-1", CustomerID: "acme", Offer: "demo"})
		require.NoError(t, env.GetWorkflowError())
		require.Equal(t, FastLaneHandoffResult{HandoffID: "h-ev-1"}, res)
		require.Equal(t, []FastLaneHandoffRequest{{EventID: "ev-1"}, {EventID: "ev-1"}}, f.recorded, "a failed record is retried for the same event")
		require.Equal(t, []NotifyRequest{{HandoffID: "h-ev-1"}}, f.notified)
		require.Empty(t, f.assets)
	})
	t.Run("a checklist request also sends the asset to the requester", func(t *testing.T) {
		var f fastLaneFakes
		env, res := runFastLane(t, &f, FastLaneHandoffInput{EventID: "ev-2", CustomerID: "acme", Offer: "checklist"})
		require.NoError(t, env.GetWorkflowError())
		require.Equal(t, []FastLaneAssetRequest{{EventID: "ev-2"}}, f.assets)
		require.Equal(t, FastLaneAssetResult{ContentID: "automation-checklist", Sent: true}, res.Asset)
		require.Len(t, f.notified, 1)
	})
	t.Run("an owner who cannot be mailed does not keep the asset from the requester", func(t *testing.T) {
		f := fastLaneFakes{notifyErr: temporal.NewNonRetryableApplicationError("owner suppressed", "OwnerSuppressed", nil)}
		env, _ := runFastLane(t, &f, FastLaneHandoffInput{EventID: "ev-3", CustomerID: "acme", Offer: "implementation-note"})
		require.Error(t, env.GetWorkflowError())
		require.Equal(t, []FastLaneAssetRequest{{EventID: "ev-3"}}, f.assets)
	})
}

func TestFastLaneWorkflowIDDerivesFromTheEvent(t *testing.T) {
	require.Equal(t, "ripen-fastlane/ev-1", FastLaneWorkflowID("ev-1"))
}
