package bench

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

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
		if yr.Chain, yr.TotalEvents, yr.MaxEvents, yr.CurrentEvents, err = b.historyChain(ctx, wid); err != nil {
			return err
		}
		yr.ContinuedAsNew = yr.Chain - 1
		y.MaxEventsPerRun = max(y.MaxEventsPerRun, yr.MaxEvents)
		total += yr.TotalEvents
		y.Runs = append(y.Runs, yr)
	}
	y.EventsPerYear = round3(float64(total) / float64(len(ids)))
	b.progress("simulated year: %.0f history events per run-year, at most %d in one history", y.EventsPerYear, y.MaxEventsPerRun)
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
func (b *bench) historyChain(ctx context.Context, workflowID string) (chain, total, maxOne, current int, err error) {
	desc, err := b.st.Client.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("describe %s: %w", workflowID, err)
	}
	runID := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	for runID != "" {
		iter := b.st.Client.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		n, prev := 0, ""
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				return 0, 0, 0, 0, fmt.Errorf("history of %s run %s: %w", workflowID, runID, err)
			}
			if n == 0 {
				prev = ev.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
			}
			n++
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
