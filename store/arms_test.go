package store_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
)

func TestTheFirstArmWins(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	j := f.journey.JourneyID
	take := func(customer, step, arm string, version int) (string, bool) {
		t.Helper()
		got, first, err := f.s.TakeArm(ctx, store.ArmChoice{JourneyID: j, Version: version, CustomerID: customer, StepID: step, Arm: arm})
		require.NoError(t, err)
		return got, first
	}

	arm, first := take("acme", "subject-test", "a", 1)
	require.Equal(t, "a", arm)
	require.True(t, first)

	arm, first = take("acme", "subject-test", "a", 1)
	require.Equal(t, "a", arm, "a retry answers the same arm")
	require.False(t, first)

	arm, first = take("acme", "subject-test", "b", 2)
	require.Equal(t, "a", arm, "new weights in version 2 do not move the account")
	require.False(t, first)

	arm, _ = take("acme", "#holdout", "treated", 2)
	require.Equal(t, "treated", arm, "each step, and the holdout, has its own arm")

	require.NoError(t, f.s.PutCustomer(ctx, customer("globex")))
	arm, first = take("globex", "subject-test", "b", 2)
	require.Equal(t, "b", arm, "each account has its own arm")
	require.True(t, first)
}

func TestConcurrentTakersAgreeOnTheArm(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	arms := make([]string, 8)
	firsts := make([]bool, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range arms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arm := []string{"a", "b"}[i%2]
			arms[i], firsts[i], errs[i] = f.s.TakeArm(ctx, store.ArmChoice{JourneyID: f.journey.JourneyID, Version: 1, CustomerID: "acme", StepID: "subject-test", Arm: arm})
		}()
	}
	wg.Wait()
	recorded := 0
	for i := range arms {
		require.NoError(t, errs[i])
		require.Equal(t, arms[0], arms[i], "every taker gets the first arm")
		if firsts[i] {
			recorded++
		}
	}
	require.Equal(t, 1, recorded, "one taker recorded it")
}

func TestTakeArmOfAnUnknownCustomerIsInvalid(t *testing.T) {
	f := newFixture(t)
	_, _, err := f.s.TakeArm(t.Context(), store.ArmChoice{JourneyID: f.journey.JourneyID, Version: 1, CustomerID: "ghost", StepID: "subject-test", Arm: "a"})
	require.True(t, errors.Is(err, store.ErrInvalid), "%v", err)
}
