package activities_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/workflows"
)

func TestChooseArmKeepsTheFirstArmAcrossRetriesAndVersions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	choose := func(version int, step, arm string) workflows.ArmResult {
		t.Helper()
		res, err := f.acts.ChooseArm(ctx, workflows.ArmRequest{JourneyID: "j", Version: version, CustomerID: "acme", StepID: step, Arm: arm})
		require.NoError(t, err)
		return res
	}
	require.Equal(t, workflows.ArmResult{Arm: "a", First: true}, choose(1, "subject-test", "a"))
	require.Equal(t, workflows.ArmResult{Arm: "a"}, choose(1, "subject-test", "a"), "a retry")
	require.Equal(t, workflows.ArmResult{Arm: "a"}, choose(2, "subject-test", "b"), "version 2 would pick b")
	require.Equal(t, workflows.ArmResult{Arm: "holdout", First: true}, choose(2, "#holdout", "holdout"))
	require.Equal(t, workflows.ArmResult{Arm: "holdout"}, choose(3, "#holdout", "treated"))
}

func TestChooseArmForAnUnknownCustomerFailsForGood(t *testing.T) {
	f := newFixture(t)
	_, err := f.acts.ChooseArm(context.Background(), workflows.ArmRequest{JourneyID: "j", Version: 1, CustomerID: "ghost", StepID: "subject-test", Arm: "a"})
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app), "%v", err)
	require.True(t, app.NonRetryable())
	require.Equal(t, "InvalidArm", app.Type())
}
