package workflows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// runDelivery runs WebhookDelivery with deliver as its activity and returns
// the environment and the workflow time each attempt started at.
func runDelivery(t *testing.T, deliver func(attempt int32) error) (*testsuite.TestWorkflowEnvironment, []time.Duration) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var start time.Time
	var at []time.Duration
	env.RegisterActivityWithOptions(func(ctx context.Context, in WebhookDeliveryInput) error {
		require.Equal(t, WebhookDeliveryInput{WebhookID: "crm", EventID: "run.ended:ripen/j/acme/r1"}, in)
		now := env.Now()
		if start.IsZero() {
			start = now
		}
		at = append(at, now.Sub(start))
		return deliver(activity.GetInfo(ctx).Attempt)
	}, activity.RegisterOptions{Name: ActivityDeliverWebhook})
	env.ExecuteWorkflow(WebhookDelivery, WebhookDeliveryInput{WebhookID: "crm", EventID: "run.ended:ripen/j/acme/r1"})
	require.True(t, env.IsWorkflowCompleted())
	return env, at
}

func TestWebhookDelivery(t *testing.T) {
	t.Run("a receiver that fails for a while gets it, retried with growing pauses", func(t *testing.T) {
		env, at := runDelivery(t, func(attempt int32) error {
			if attempt <= 4 {
				return errors.New("the receiver answered 503")
			}
			return nil
		})
		require.NoError(t, env.GetWorkflowError())
		require.Len(t, at, 5)
		for i := 1; i < len(at); i++ {
			pause := at[i] - at[i-1]
			require.GreaterOrEqual(t, pause, WebhookFirstRetry<<(i-1), "pause before attempt %d", i+1)
		}
	})
	t.Run("a receiver that never answers 2xx is retried, the pauses doubling", func(t *testing.T) {
		// The test environment stops after 10 attempts (the server does
		// not: there the 24 h ScheduleToCloseTimeout ends it).
		env, at := runDelivery(t, func(int32) error { return errors.New("the receiver answered 500") })
		require.Error(t, env.GetWorkflowError())
		require.Len(t, at, 10)
		for i := 1; i < len(at); i++ {
			want := min(WebhookFirstRetry<<(i-1), WebhookMaxRetry)
			require.Equal(t, want, at[i]-at[i-1], "pause before attempt %d", i+1)
		}
	})
	t.Run("a refused address ends it at once", func(t *testing.T) {
		env, at := runDelivery(t, func(int32) error {
			return temporal.NewNonRetryableApplicationError("10.0.0.1 is a private address", "WebhookAddressRefused", nil)
		})
		require.Error(t, env.GetWorkflowError())
		require.Len(t, at, 1)
	})
}

func TestWebhookIDsAreStableAndDistinct(t *testing.T) {
	a := WebhookMessageID("crm", "handoff.created:h-1")
	require.Equal(t, a, WebhookMessageID("crm", "handoff.created:h-1"), "the same on every attempt and dispatch")
	require.NotEqual(t, a, WebhookMessageID("slack", "handoff.created:h-1"), "per webhook")
	require.NotEqual(t, a, WebhookMessageID("crm", "handoff.answered:h-1"), "per event")
	require.True(t, strings.HasPrefix(a, "msg_"))
	require.Equal(t, "ripen-webhook/crm/"+a, WebhookWorkflowID("crm", "handoff.created:h-1"))
	require.NotContains(t, WebhookWorkflowID("crm", "run.ended:ripen/j/acme/r1"), "acme", "no IDs of the fact in the workflow ID")
}
