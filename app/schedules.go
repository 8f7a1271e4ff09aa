package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/workflows"
)

// RenewalSchedule is the Temporal Schedule of the renewal detector: every
// day at 06:00 UTC it starts workflows.RenewalDetector. A firing while the
// previous one still runs is skipped (the detection is idempotent and
// covers the next day's window too), and firings missed while Temporal was
// down are caught up within half a day, so a short outage loses no day.
func RenewalSchedule() client.ScheduleOptions {
	return client.ScheduleOptions{
		ID: workflows.RenewalScheduleID,
		Spec: client.ScheduleSpec{
			Calendars: []client.ScheduleCalendarSpec{{
				Hour: []client.ScheduleRange{{Start: 6}}, Minute: []client.ScheduleRange{{Start: 0}}, Second: []client.ScheduleRange{{Start: 0}},
				Comment: "daily at 06:00 UTC",
			}},
			TimeZoneName: "UTC",
		},
		Action: &client.ScheduleWorkflowAction{
			ID:            workflows.RenewalScheduleID,
			Workflow:      workflows.RenewalDetector,
			TaskQueue:     workflows.TaskQueue,
			StaticSummary: "renewal detector: enrol accounts whose product renews within a journey's renews_within",
		},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: 12 * time.Hour,
		Note:          "created by ripen at start-up; see README, Operations",
	}
}

// EventsRetentionSchedule is the Temporal Schedule of the events'
// retention: every day at 03:30 UTC, away from the renewal detector and
// the working day, it starts workflows.EventsRetention. Overlap and
// catch-up as for the renewals: the pruning is idempotent.
func EventsRetentionSchedule() client.ScheduleOptions {
	return client.ScheduleOptions{
		ID: workflows.EventsRetentionScheduleID,
		Spec: client.ScheduleSpec{
			Calendars: []client.ScheduleCalendarSpec{{
				Hour: []client.ScheduleRange{{Start: 3}}, Minute: []client.ScheduleRange{{Start: 30}}, Second: []client.ScheduleRange{{Start: 0}},
				Comment: "daily at 03:30 UTC",
			}},
			TimeZoneName: "UTC",
		},
		Action: &client.ScheduleWorkflowAction{
			ID:            workflows.EventsRetentionScheduleID,
			Workflow:      workflows.EventsRetention,
			TaskQueue:     workflows.TaskQueue,
			StaticSummary: "events retention: delete engagement events older than RIPEN_EVENTS_RETENTION",
		},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: 12 * time.Hour,
		Note:          "created by ripen at start-up; see README, Operations",
	}
}

// EnsureSchedules creates ripen's schedules, or brings an existing one to
// this release's spec, action and policies. Any number of processes may run
// it at once, every start: creating one that exists is answered "already
// running", and then it is updated instead. An update keeps the schedule's
// state, so a schedule an operator paused stays paused.
func (a *App) EnsureSchedules(ctx context.Context) error {
	for _, want := range []client.ScheduleOptions{RenewalSchedule(), EventsRetentionSchedule()} {
		if err := a.ensureSchedule(ctx, want); err != nil {
			return err
		}
	}
	return nil
}

func (a *App) ensureSchedule(ctx context.Context, want client.ScheduleOptions) error {
	sc := a.Temporal.ScheduleClient()
	_, err := sc.Create(ctx, want)
	if err == nil {
		a.Log.Info().Str("schedule", want.ID).Msg("schedule created")
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", want.ID, err)
	}
	err = sc.GetHandle(ctx, want.ID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec, s.Action = &want.Spec, want.Action
			s.Policy = &client.SchedulePolicies{Overlap: want.Overlap, CatchupWindow: want.CatchupWindow}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", want.ID, err)
	}
	return nil
}
