package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/workflows"
)

// serverSuggestsContinueAsNewAt is the embedded server's
// limit.historyCount.suggestContinueAsNew (its default: devtemporal does
// not change it). A journey continues as new when Temporal suggests it.
const serverSuggestsContinueAsNewAt = 4096

// yearAndScale runs the simulated year, then the sleeping runs. The quick
// run has them side by side to stay short: they then share the worker's
// task queue, so the year's weeks stretch and the scale phase enrols more
// slowly (neither changes the history or memory figures).
func (b *bench) yearAndScale(ctx context.Context) error {
	year := func(ctx context.Context) error {
		if err := b.year(ctx); err != nil {
			return fmt.Errorf("simulated year: %w", err)
		}
		return nil
	}
	scale := func(ctx context.Context) error {
		if err := b.scale(ctx); err != nil {
			return fmt.Errorf("scale: %w", err)
		}
		return nil
	}
	if !b.cfg.Quick {
		if err := year(ctx); err != nil {
			return err
		}
		return scale(ctx)
	}
	b.rep.Settings.YearScaleOverlap = true
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return year(gctx) })
	g.Go(func() error { return scale(gctx) })
	return g.Wait()
}

// year runs a journey of YearWeeks weekly emails, a week a second, with an
// email open every week, for YearRuns customers enrolled through the API
// (continue-as-new only when Temporal suggests it) and as many started
// through the SDK with Input.ContinueAsNewAfter, which forces it. It then
// counts every history event of each run's chain.
func (b *bench) year(ctx context.Context) error {
	y := &b.rep.Year
	y.Weeks, y.SecondsPerWeek, y.SuggestAt = b.cfg.YearWeeks, 1, serverSuggestsContinueAsNewAt
	n := b.cfg.YearRuns
	ids, err := b.putCustomers(ctx, "y", 2*n)
	if err != nil {
		return err
	}
	def, err := b.publish(ctx, yearYAML(b.cfg.YearWeeks))
	if err != nil {
		return err
	}
	b.progress("simulated year: %d weeks of emails, a week a second, %d runs via the API and %d via the SDK (continue-as-new after %d events)",
		b.cfg.YearWeeks, n, n, b.cfg.YearContinueAsNewAfter)
	start := time.Now()
	if _, err := b.enrolAll(ctx, yearJourney, ids[:n]); err != nil {
		return err
	}
	for _, id := range ids[n:] {
		if err := b.startForced(ctx, def, id); err != nil {
			return err
		}
	}

	// A week a second: every contact opens the week's email.
	limit := time.Duration(b.cfg.YearWeeks)*3*time.Second + 2*time.Minute
	for {
		if err := sleepCtx(ctx, time.Second); err != nil {
			return err
		}
		evs := make([]event, len(ids))
		for i, id := range ids {
			evs[i] = event{ID: fmt.Sprintf("bench-year-%s-%d", id, eventSeq.Add(1)), CustomerID: id, Type: "open", OccurredAt: time.Now().UTC()}
		}
		if _, err := b.api.postEvents(ctx, evs); err != nil {
			return err
		}
		y.Events += len(evs)
		done := 0
		for _, id := range ids {
			st, err := b.api.run(ctx, yearJourney, id)
			if err != nil {
				return err
			}
			if st.Step == "rest" {
				done++
			}
		}
		if done == len(ids) {
			break
		}
		if time.Since(start) > limit {
			return fmt.Errorf("%d of %d runs through the year after %s", done, len(ids), limit)
		}
	}
	y.TookS = secs(time.Since(start))

	var total int
	shape := newHistoryTally()
	for i, id := range ids {
		wid := workflows.WorkflowID(yearJourney, id)
		yr := YearRun{WorkflowID: wid, StartedVia: "api"}
		if i >= n {
			yr.StartedVia, yr.ContinueAsNewAfter = "sdk", b.cfg.YearContinueAsNewAfter
		}
		st, err := b.api.run(ctx, yearJourney, id)
		if err != nil {
			return err
		}
		yr.Touches = st.Touches
		tally := shape
		if yr.StartedVia != "api" {
			tally = nil // the shape is of runs as the API starts them
		}
		if yr.Chain, yr.TotalEvents, yr.MaxEvents, yr.CurrentEvents, err = b.historyChain(ctx, wid, tally); err != nil {
			return err
		}
		yr.ContinuedAsNew = yr.Chain - 1
		y.MaxEventsPerRun = max(y.MaxEventsPerRun, yr.MaxEvents)
		total += yr.TotalEvents
		y.Runs = append(y.Runs, yr)
	}
	y.EventsPerYear = round3(float64(total) / float64(len(ids)))
	b.progress("simulated year: %.0f history events per run-year, at most %d in one history", y.EventsPerYear, y.MaxEventsPerRun)
	y.YearShape = shape.yearShape(n, b.cfg.YearWeeks)
	b.progress("simulated year: %.1f billable actions per run-year (%.1f per start, %.2f per weekly email, %.2f per engagement)",
		y.ActionsPerRunYear, y.ActionsPerStart, y.ActionsPerWeek, y.ActionsPerEngagement)
	if err := b.handoffShape(ctx); err != nil {
		return fmt.Errorf("hand-off shape: %w", err)
	}
	return nil
}

// startForced starts a run the way the API does, plus ContinueAsNewAfter,
// which the API does not offer.
func (b *bench) startForced(ctx context.Context, def *journey.Definition, customerID string) error {
	_, err := b.st.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(def.ID, customerID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes:    workflows.StartSearchAttributes(def.ID, customerID, def.Offer.Kind),
	}, workflows.Journey, workflows.Input{Journey: *def, CustomerID: customerID, ContinueAsNewAfter: b.cfg.YearContinueAsNewAfter})
	if err != nil {
		return fmt.Errorf("start %s: %w", workflows.WorkflowID(def.ID, customerID), err)
	}
	return nil
}

// historyChain walks a workflow's runs from the current one back through
// continue-as-new and counts the events of each history.
// With a tally, every event of the chain is also classified (see
// historyTally).
func (b *bench) historyChain(ctx context.Context, workflowID string, tally *historyTally) (chain, total, maxOne, current int, err error) {
	desc, err := b.st.Client.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("describe %s: %w", workflowID, err)
	}
	runID := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	for runID != "" {
		iter := b.st.Client.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		n, prev := 0, ""
		var events []*historypb.HistoryEvent
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				return 0, 0, 0, 0, fmt.Errorf("history of %s run %s: %w", workflowID, runID, err)
			}
			if n == 0 {
				prev = ev.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
			}
			n++
			if tally != nil {
				events = append(events, ev)
			}
		}
		if tally != nil {
			tally.add(events)
		}
		if chain == 0 {
			current = n
		}
		chain++
		total += n
		maxOne = max(maxOne, n)
		runID = prev
	}
	return chain, total, maxOne, current, nil
}

// YearShape is what the simulated year's runs (those the API started) are
// made of: their history events by type, Temporal Cloud's billable
// actions by kind, and both by what caused them, so a capacity model can
// price a journey of any length (internal/capacity).
//
// Actions follow Temporal Cloud's pricing documentation, "Temporal Cloud
// Actions" (https://docs.temporal.io/cloud/actions, read 7 December 2026):
//   - workflow started: one per WorkflowExecutionStarted, which is also how
//     a continue-as-new is billed (the new run's start); a Signal-With-Start
//     that starts the run is one action in all, so its Signaled event is not
//     counted again;
//   - activity: one per ActivityTaskScheduled, plus one per retry
//     (ActivityTaskStarted's attempt - 1);
//   - local activity: all markers of one workflow task count as one action
//     ("Temporal Cloud counts all RecordMarkers from each Workflow Task as
//     one action"), plus WorkflowTaskCompleted's
//     metering_metadata.nonfirst_local_activity_execution_attempts; version
//     markers are counted the same way, which may overcount by one action
//     in a task that records only those;
//   - timer: one per TimerStarted;
//   - signal: one per WorkflowExecutionSignaled;
//   - search-attribute upsert: one per UpsertWorkflowSearchAttributes,
//     except an upsert of TemporalChangeVersion alone (GetVersion's), which
//     the page exempts; attributes given at start are free;
//   - update: one per WorkflowExecutionUpdateAccepted (sales feedback);
//   - child workflow: two per StartChildWorkflowExecutionInitiated.
//
// Actions that leave no history event (queries, activity heartbeats that
// reach the server, schedules) are the capacity model's named
// assumptions.
type YearShape struct {
	// ShapeRuns is how many run chains (the API-started ones) the figures
	// below add up; divide by it for one run-year.
	ShapeRuns int `json:"shape_runs"`
	// EventTypes counts history events by type over those chains.
	EventTypes map[string]int `json:"event_types"`
	// Actions counts billable actions by kind over those chains.
	Actions map[string]int `json:"billable_actions"`
	// ByCause splits them by what caused the workflow task they came in:
	// start, continue_as_new, journey (a timer fired or an activity the
	// journey scheduled finished: the steps), or a signal's or update's
	// name (engagement, fast-lane, feedback, …).
	ByCause map[string]CauseTally `json:"by_cause"`
	// Signals counts signals received by name.
	Signals map[string]int `json:"signals"`

	ActionsPerRunYear      float64 `json:"billable_actions_per_run_year"`
	HistoryBytesPerRunYear float64 `json:"history_bytes_per_run_year"`
	ActionsPerStart        float64 `json:"billable_actions_per_start"`
	ActionsPerWeek         float64 `json:"billable_actions_per_week"`
	ActionsPerEngagement   float64 `json:"billable_actions_per_engagement"`
	// PerStart is a run's start with its first week (the tasks that send
	// the first email and start the wait after it), PerWeek each later
	// week of the year's journey (one email step and the wait after it),
	// PerEngagement one engagement signal and the workflow task it caused.
	PerStart      UnitCost `json:"per_start"`
	PerWeek       UnitCost `json:"per_week"`
	PerEngagement UnitCost `json:"per_engagement"`

	// Handoff is the fast-lane customers' runs of the enrolment journey:
	// a demo request handed off, then accepted by sales.
	Handoff HandoffShape `json:"handoff"`
}

// HandoffShape is what a hand-off costs a run: the fast-lane signal with
// the hand-off it starts, and the sales feedback that ends it.
type HandoffShape struct {
	Runs             int                   `json:"runs"`
	EventTypes       map[string]int        `json:"event_types"`
	Actions          map[string]int        `json:"billable_actions"`
	ByCause          map[string]CauseTally `json:"by_cause"`
	Signals          map[string]int        `json:"signals"`
	Updates          map[string]int        `json:"updates"`
	PerFastLane      UnitCost              `json:"per_fast_lane"`
	PerSalesFeedback UnitCost              `json:"per_sales_feedback"`
}

// CauseTally is what one cause added to histories.
type CauseTally struct {
	Actions       int   `json:"billable_actions"`
	Events        int   `json:"history_events"`
	Bytes         int64 `json:"history_bytes"`
	WorkflowTasks int   `json:"workflow_tasks"`
	Activities    int   `json:"activities"`
	Upserts       int   `json:"search_attribute_upserts"`
}

func (c *CauseTally) addTally(o CauseTally) {
	c.Actions += o.Actions
	c.Events += o.Events
	c.Bytes += o.Bytes
	c.WorkflowTasks += o.WorkflowTasks
	c.Activities += o.Activities
	c.Upserts += o.Upserts
}

func (c *CauseTally) sub(o CauseTally) {
	o.Actions, o.Events, o.Bytes, o.WorkflowTasks, o.Activities, o.Upserts = -o.Actions, -o.Events, -o.Bytes, -o.WorkflowTasks, -o.Activities, -o.Upserts
	c.addTally(o)
}

// UnitCost is a CauseTally divided by how often the cause happened.
type UnitCost struct {
	Actions       float64 `json:"billable_actions"`
	Events        float64 `json:"history_events"`
	Bytes         float64 `json:"history_bytes"`
	WorkflowTasks float64 `json:"workflow_tasks"`
	Activities    float64 `json:"activities"`
	Upserts       float64 `json:"search_attribute_upserts"`
}

func (c CauseTally) per(n int) UnitCost {
	if n <= 0 {
		return UnitCost{}
	}
	d := float64(n)
	return UnitCost{
		Actions: round3(float64(c.Actions) / d), Events: round3(float64(c.Events) / d), Bytes: round3(float64(c.Bytes) / d),
		WorkflowTasks: round3(float64(c.WorkflowTasks) / d), Activities: round3(float64(c.Activities) / d), Upserts: round3(float64(c.Upserts) / d),
	}
}

// Causes of a workflow task (see YearShape.ByCause).
const (
	causeStart         = "start"
	causeContinueAsNew = "continue_as_new"
	causeJourney       = "journey"
)

// historyTally classifies history events as YearShape describes.
type historyTally struct {
	types   map[string]int
	actions map[string]int
	causes  map[string]CauseTally
	signals map[string]int
	updates map[string]int
}

func newHistoryTally() *historyTally {
	return &historyTally{types: map[string]int{}, actions: map[string]int{}, causes: map[string]CauseTally{},
		signals: map[string]int{}, updates: map[string]int{}}
}

// add classifies one run's history, in order. Each workflow task's cause is
// what arrived since the previous task completed: a start, a fired timer
// (the journey), a finished activity (whatever scheduled it), else the
// first signal. The events that arrived, the task's own events and the
// commands it completed with (up to the next task) go to that cause.
func (t *historyTally) add(events []*historypb.HistoryEvent) {
	var (
		pendingEvents int
		pendingBytes  int64
		triggers      []string
		cur           = causeJourney
		marker        bool
		actCause      = map[int64]string{}
		lastTask      struct {
			triggerless bool
			tally       CauseTally
		}
	)
	bump := func(cause string, f func(*CauseTally)) {
		c := t.causes[cause]
		f(&c)
		t.causes[cause] = c
	}
	action := func(kind, cause string, n int) {
		if n <= 0 {
			return
		}
		t.actions[kind] += n
		bump(cause, func(c *CauseTally) { c.Actions += n })
	}
	for _, ev := range events {
		typ := ev.GetEventType()
		t.types[typ.String()]++
		size := int64(proto.Size(ev))
		switch typ {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			cause := causeStart
			if ev.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId() != "" {
				cause = causeContinueAsNew
			}
			triggers = append(triggers, cause)
			action("workflow_started", cause, 1)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			name := ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName()
			t.signals[name]++
			triggers = append(triggers, "signal:"+name)
			if ev.GetEventId() == 2 {
				break // Signal-With-Start's signal: one action with the start
			}
			action("signal", name, 1)
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			triggers = append(triggers, causeJourney)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			triggers = append(triggers, actCause[ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()])
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			triggers = append(triggers, actCause[ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId()])
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			triggers = append(triggers, actCause[ev.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()])
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			triggers = append(triggers, actCause[ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()])
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			a := ev.GetActivityTaskStartedEventAttributes()
			action("activity_retry", actCause[a.GetScheduledEventId()], int(a.GetAttempt())-1)
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			cur = taskCause(triggers)
			task := CauseTally{Events: pendingEvents + 1, Bytes: pendingBytes + size, WorkflowTasks: 1}
			lastTask.triggerless, lastTask.tally = len(triggers) == 0, task
			triggers, marker = nil, false
			bump(cur, func(c *CauseTally) { c.addTally(task) })
			pendingEvents, pendingBytes = 0, 0
			n := ev.GetWorkflowTaskCompletedEventAttributes().GetMeteringMetadata().GetNonfirstLocalActivityExecutionAttempts()
			action("local_activity_retry", cur, int(n))
			continue
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			actCause[ev.GetEventId()] = cur
			action("activity", cur, 1)
			bump(cur, func(c *CauseTally) { c.Activities++ })
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			action("timer", cur, 1)
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if !marker {
				action("local_activity", cur, 1)
				marker = true
			}
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			fields := ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
			if _, ok := fields[temporalChangeVersion]; !ok || len(fields) > 1 {
				action("search_attribute_upsert", cur, 1)
				bump(cur, func(c *CauseTally) { c.Upserts++ })
			}
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
			action("child_workflow", cur, 2)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			// An update's workflow task is written with its acceptance, so
			// nothing arrived before it: the task is the update's.
			name := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName()
			t.updates[name]++
			if lastTask.triggerless && cur != name {
				moved := lastTask.tally
				bump(cur, func(c *CauseTally) { c.sub(moved) })
				bump(name, func(c *CauseTally) { c.addTally(moved) })
				cur = name
			}
			action("update", name, 1)
		}
		if isCommandEvent(typ) {
			bump(cur, func(c *CauseTally) { c.Events++; c.Bytes += size })
		} else {
			pendingEvents++
			pendingBytes += size
		}
	}
	if pendingEvents > 0 { // the run's end, or inputs no task has taken yet
		cause := taskCause(triggers)
		if len(triggers) == 0 {
			cause = cur
		}
		bump(cause, func(c *CauseTally) { c.Events += pendingEvents; c.Bytes += pendingBytes })
	}
}

// temporalChangeVersion is the search attribute workflow.GetVersion sets.
const temporalChangeVersion = "TemporalChangeVersion"

// taskCause picks a workflow task's cause from what arrived before it.
func taskCause(triggers []string) string {
	for _, want := range []string{causeStart, causeContinueAsNew, causeJourney} {
		for _, tr := range triggers {
			if tr == want {
				return want
			}
		}
	}
	for _, tr := range triggers { // a finished activity: its scheduler's cause
		if tr != "" && !strings.HasPrefix(tr, "signal:") {
			return tr
		}
	}
	for _, tr := range triggers {
		if name, ok := strings.CutPrefix(tr, "signal:"); ok {
			return name
		}
	}
	return causeJourney
}

// isCommandEvent says whether an event records a command of the workflow
// task just completed (it then belongs to that task's cause).
func isCommandEvent(t enumspb.EventType) bool {
	switch t {
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, enumspb.EVENT_TYPE_TIMER_STARTED, enumspb.EVENT_TYPE_TIMER_CANCELED,
		enumspb.EVENT_TYPE_MARKER_RECORDED, enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
		enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
		enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
		enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		return true
	}
	return false
}

func (t *historyTally) totalActions() int {
	n := 0
	for _, v := range t.actions {
		n += v
	}
	return n
}

func (t *historyTally) totalBytes() int64 {
	var n int64
	for _, c := range t.causes {
		n += c.Bytes
	}
	return n
}

// yearShape sums the tally of runs API-started chains of weeks weeks.
func (t *historyTally) yearShape(runs, weeks int) YearShape {
	s := YearShape{ShapeRuns: runs, EventTypes: t.types, Actions: t.actions, ByCause: t.causes, Signals: t.signals}
	if runs <= 0 {
		return s
	}
	s.ActionsPerRunYear = round3(float64(t.totalActions()) / float64(runs))
	s.HistoryBytesPerRunYear = round3(float64(t.totalBytes()) / float64(runs))
	s.PerStart = t.causes[causeStart].per(runs)
	// The start's tasks send the first week's email and start its wait;
	// the journey's are the other weeks (and the year-long rest after).
	s.PerWeek = t.causes[causeJourney].per(runs * (weeks - 1))
	s.PerEngagement = t.causes[workflows.SignalEngagement].per(t.signals[workflows.SignalEngagement])
	s.ActionsPerStart, s.ActionsPerWeek, s.ActionsPerEngagement = s.PerStart.Actions, s.PerWeek.Actions, s.PerEngagement.Actions
	return s
}

// handoffShape answers the fast-lane customers' hand-offs (accepted), waits
// for their runs to end and classifies their histories: what a hand-off
// adds to a run.
func (b *bench) handoffShape(ctx context.Context) error {
	ids := b.nurture[len(b.nurture)-b.cfg.FastLanes:]
	for _, id := range ids {
		path := "/v1/journeys/" + nurtureJourney + "/runs/" + id + "/signals"
		if err := b.api.call(ctx, "POST", path, map[string]string{"type": workflows.SignalSalesFeedback, "outcome": "accepted", "note": "bench"}, nil); err != nil {
			return fmt.Errorf("sales feedback for %s: %w", id, err)
		}
	}
	limit := time.Now().Add(time.Minute)
	for _, id := range ids {
		for {
			st, err := b.api.run(ctx, nurtureJourney, id)
			if err == nil && st.Status != "" && st.Status != "running" {
				break
			}
			if time.Now().After(limit) {
				return fmt.Errorf("the run of %s has not ended after sales accepted (status %q, error %v)", id, st.Status, err)
			}
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	tally := newHistoryTally()
	for _, id := range ids {
		if _, _, _, _, err := b.historyChain(ctx, workflows.WorkflowID(nurtureJourney, id), tally); err != nil {
			return err
		}
	}
	h := &b.rep.Year.Handoff
	// Sales feedback arrives as an update (a signal when no worker takes
	// the update in time): either is one answer.
	feedback := tally.causes[workflows.UpdateFeedback]
	feedback.addTally(tally.causes[workflows.SignalSalesFeedback])
	*h = HandoffShape{Runs: len(ids), EventTypes: tally.types, Actions: tally.actions, ByCause: tally.causes, Signals: tally.signals, Updates: tally.updates,
		PerFastLane:      tally.causes[workflows.SignalFastLane].per(tally.signals[workflows.SignalFastLane]),
		PerSalesFeedback: feedback.per(tally.updates[workflows.UpdateFeedback] + tally.signals[workflows.SignalSalesFeedback]),
	}
	b.progress("hand-off shape: %.1f billable actions per fast lane, %.1f per sales feedback (%d runs)",
		h.PerFastLane.Actions, h.PerSalesFeedback.Actions, h.Runs)
	return nil
}
