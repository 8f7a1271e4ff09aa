package activities_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
	"github.com/ripen/ripen/workflows"
)

// The daily pruning deletes every event older than the retention, in
// batches, and keeps the rest; run again, it deletes nothing more. With no
// retention it deletes nothing.
func TestPruneEventsDeletesWhatIsOlderThanTheRetention(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	var evs []store.Event
	for i := range 25003 { // two full batches and a bit, then the young ones
		evs = append(evs, store.Event{ID: fmt.Sprintf("old-%d", i), CustomerID: "acme", Type: "visit", Topic: "process-automation",
			OccurredAt: day.AddDate(0, 0, -401).Add(-time.Duration(i) * time.Second)})
	}
	for i := range 3 {
		evs = append(evs, store.Event{ID: fmt.Sprintf("young-%d", i), CustomerID: "acme", Type: "click",
			OccurredAt: day.AddDate(0, 0, -399+i)})
	}
	_, _, err := f.st.InsertEvents(ctx, evs)
	require.NoError(t, err)

	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	f.acts.Config.EventsRetention = 0
	env.RegisterActivity(f.acts)
	val, err := env.ExecuteActivity(workflows.ActivityPruneEvents, workflows.PruneEventsRequest{Day: day.Format(time.DateOnly)})
	require.NoError(t, err)
	var res workflows.PruneEventsResult
	require.NoError(t, val.Get(&res))
	require.Zero(t, res.Deleted, "no retention: events are kept for ever")

	f.acts.Config.EventsRetention = 400 * 24 * time.Hour
	val, err = env.ExecuteActivity(workflows.ActivityPruneEvents, workflows.PruneEventsRequest{Day: day.Format(time.DateOnly)})
	require.NoError(t, err)
	require.NoError(t, val.Get(&res))
	require.EqualValues(t, 25003, res.Deleted)
	require.Equal(t, 3, res.Batches)
	require.Equal(t, "2025-11-02T00:00:00Z", res.Before)
	left := storetest.Events(t, f.st, "acme")
	require.Len(t, left, 3)
	for _, e := range left {
		require.Contains(t, e.ID, "young-")
	}

	val, err = env.ExecuteActivity(workflows.ActivityPruneEvents, workflows.PruneEventsRequest{Day: day.Format(time.DateOnly)})
	require.NoError(t, err)
	require.NoError(t, val.Get(&res))
	require.Zero(t, res.Deleted, "run again: nothing more")
}
