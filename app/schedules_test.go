package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/ripen/ripen/app"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/devtemporal"
	"github.com/ripen/ripen/internal/freeport"
	"github.com/ripen/ripen/workflows"
)

// Every worker start sees to the renewal schedule: the first creates it,
// later ones (and any number at once) find it and bring it to this
// release's spec, so there is one schedule, daily at 06:00 UTC, skipping
// overlaps; an operator's pause survives a restart.
func TestStartingTwiceLeavesOneDailyRenewalSchedule(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	port, err := freeport.Take("127.0.0.1")
	require.NoError(t, err)
	srv, err := devtemporal.Start(ctx, devtemporal.Options{Port: port, Log: zerolog.Nop()})
	require.NoError(t, err)
	defer srv.Stop()
	tc, err := client.Dial(client.Options{HostPort: srv.Address(), Logger: nopLogger{}})
	require.NoError(t, err)
	defer tc.Close()
	a := app.New(config.Config{TemporalNamespace: "default"}, app.Deps{Temporal: tc, Log: zerolog.Nop()}, app.Tuning{})

	require.NoError(t, a.EnsureSchedules(ctx), "first start creates it")
	handle := tc.ScheduleClient().GetHandle(ctx, workflows.RenewalScheduleID)
	require.NoError(t, handle.Pause(ctx, client.SchedulePauseOptions{Note: "paused by an operator"}))
	require.NoError(t, a.EnsureSchedules(ctx), "second start finds it")

	var ids []string
	list, err := tc.ScheduleClient().List(ctx, client.ScheduleListOptions{})
	require.NoError(t, err)
	for list.HasNext() {
		s, err := list.Next()
		require.NoError(t, err)
		ids = append(ids, s.ID)
	}
	require.ElementsMatch(t, []string{workflows.RenewalScheduleID, workflows.EventsRetentionScheduleID}, ids,
		"one of each schedule however often the worker starts")
	ret, err := tc.ScheduleClient().GetHandle(ctx, workflows.EventsRetentionScheduleID).Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, []client.ScheduleRange{{Start: 3, End: 3, Step: 1}}, ret.Schedule.Spec.Calendars[0].Hour)
	require.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, ret.Schedule.Policy.Overlap)

	desc, err := handle.Describe(ctx)
	require.NoError(t, err)
	s := desc.Schedule
	require.Equal(t, "UTC", s.Spec.TimeZoneName)
	require.Len(t, s.Spec.Calendars, 1)
	cal := s.Spec.Calendars[0]
	require.Equal(t, []client.ScheduleRange{{Start: 6, End: 6, Step: 1}}, cal.Hour)
	require.Equal(t, []client.ScheduleRange{{Start: 0, End: 0, Step: 1}}, cal.Minute)
	require.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, s.Policy.Overlap)
	action, ok := s.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok, "action %T", s.Action)
	require.Equal(t, "RenewalDetector", action.Workflow)
	require.Equal(t, workflows.TaskQueue, action.TaskQueue)
	require.True(t, s.State.Paused, "the operator's pause survives the start")

	// Each run happens at 06:00 UTC.
	next := desc.Info.NextActionTimes
	require.NotEmpty(t, next)
	for _, at := range next {
		require.Equal(t, [3]int{6, 0, 0}, [3]int{at.UTC().Hour(), at.UTC().Minute(), at.UTC().Second()}, "next action at %s", at)
	}
}

// nopLogger keeps the SDK quiet in tests.
type nopLogger struct{}

func (nopLogger) Debug(string, ...any) {}
func (nopLogger) Info(string, ...any)  {}
func (nopLogger) Warn(string, ...any)  {}
func (nopLogger) Error(string, ...any) {}
