package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/ripen/ripen/workflows"
)

// scale enrols Runs customers in a journey that sleeps for a year, in two
// halves, and measures what the sleeping runs cost: process memory, SQLite
// bytes and history events per run. The second half gives the marginal
// cost once the worker's workflow cache is full, which is what more runs
// would add.
func (b *bench) scale(ctx context.Context) error {
	s := &b.rep.Scale
	m := b.cfg.Runs
	s.Runs = m
	b.progress("scale: %d customers through the API", m)
	start := time.Now()
	ids, err := b.putCustomers(ctx, "s", m)
	if err != nil {
		return err
	}
	s.CustomersS = secs(time.Since(start))
	if _, err := b.publish(ctx, sleepYAML); err != nil {
		return err
	}

	s.Before, s.SQLiteBefore = memoryNow(), b.sqliteBytes()
	b.progress("scale: enrolling %d runs in %s in two halves (RSS now %.0f MiB)", m, sleepJourney, s.Before.RSSMiB)
	start = time.Now()
	half := m / 2
	if err := b.sleepRuns(ctx, sleepJourney, ids[:half], 0); err != nil {
		return err
	}
	s.Half, s.SQLiteHalf = memoryNow(), b.sqliteBytes()
	b.progress("scale: %d runs asleep after %.1fs (RSS %.0f MiB)", half, time.Since(start).Seconds(), s.Half.RSSMiB)
	if err := b.sleepRuns(ctx, sleepJourney, ids[half:], half); err != nil {
		return err
	}
	took := time.Since(start)
	s.Started, s.Asleep = m, m
	s.EnrolS, s.RunsPerS = secs(took), perSecond(m, took)
	b.progress("scale: %d runs asleep after %.1fs (%.1f runs/s)", m, took.Seconds(), s.RunsPerS)

	if err := sleepCtx(ctx, 2*time.Second); err != nil { // let the last tasks settle
		return err
	}
	s.After, s.SQLiteAfter = memoryNow(), b.sqliteBytes()
	perRun := func(a, b float64, n int) float64 { return round3((b - a) * 1024 / float64(max(n, 1))) }
	s.RSSPerRunKiB = perRun(s.Before.RSSMiB, s.After.RSSMiB, m)
	s.HeapPerRunKiB = perRun(s.Before.HeapInuseMiB, s.After.HeapInuseMiB, m)
	s.SQLitePerRunKiB = round3(float64(s.SQLiteAfter-s.SQLiteBefore) / 1024 / float64(m))
	s.MarginalRSSPerRunKiB = perRun(s.Half.RSSMiB, s.After.RSSMiB, m-half)
	s.MarginalHeapPerRunKiB = perRun(s.Half.HeapInuseMiB, s.After.HeapInuseMiB, m-half)

	sample := ids[max(0, len(ids)-20):]
	var events int64
	for _, id := range sample {
		desc, err := b.st.Client.DescribeWorkflowExecution(ctx, workflows.WorkflowID(sleepJourney, id), "")
		if err != nil {
			return err
		}
		events += desc.GetWorkflowExecutionInfo().GetHistoryLength()
	}
	s.HistorySample = len(sample)
	s.HistoryPerRun = round3(float64(events) / float64(len(sample)))

	switch {
	case m >= 100000:
		s.RSSAt100kMiB, s.RSSAt100kMeasure = s.After.RSSMiB, fmt.Sprintf("measured with %d runs", m)
	case half >= b.rep.Settings.StickyCacheSize:
		s.RSSAt100kMiB = round3(s.After.RSSMiB + max(0, s.MarginalRSSPerRunKiB)*float64(100000-m)/1024)
		s.RSSAt100kMeasure = fmt.Sprintf("extrapolated from %d runs with the marginal RSS of the second half, when the worker's workflow cache (%d) was full; run --runs 100000 to measure",
			m, b.rep.Settings.StickyCacheSize)
	default:
		s.RSSAt100kMeasure = fmt.Sprintf("not measured: half of %d runs does not fill the worker's workflow cache (%d), so the memory per run is not yet the marginal one; run --runs 100000",
			m, b.rep.Settings.StickyCacheSize)
	}
	b.progress("scale: RSS %.0f → %.0f → %.0f MiB (%.2f KiB/run, %.2f KiB/run in the second half), Go heap %.0f → %.0f MiB, Temporal store %.2f KiB/run, %.0f history events/run",
		s.Before.RSSMiB, s.Half.RSSMiB, s.After.RSSMiB, s.RSSPerRunKiB, s.MarginalRSSPerRunKiB, s.Before.HeapInuseMiB, s.After.HeapInuseMiB, s.SQLitePerRunKiB, s.HistoryPerRun)
	return nil
}

// sleepRuns enrols customers in a sleeping journey (sleepJourney, or the
// growth phase's copy of it) and waits until each run
// is in the runs table and the last few enrolled are asleep on the
// year-long timer. The API registers a run in the table as soon as it has
// started it, so it is the last runs' state that says the worker has
// caught up: Temporal hands out workflow tasks in about the order they
// were made. already is how many runs of the journey exist before.
func (b *bench) sleepRuns(ctx context.Context, journeyID string, ids []string, already int) error {
	start := time.Now()
	if _, err := b.enrolAll(ctx, journeyID, ids); err != nil {
		return err
	}
	want := already + len(ids)
	limit := 5*time.Minute + time.Duration(len(ids))*100*time.Millisecond
	for {
		var n int
		if err := b.st.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM runs WHERE journey_id = $1 AND status = 'running'`, journeyID).Scan(&n); err != nil {
			return err
		}
		if n >= want {
			break
		}
		if time.Since(start) > limit {
			return fmt.Errorf("only %d of %d runs recorded after %s", n, want, limit)
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	for _, id := range ids[max(0, len(ids)-20):] {
		for {
			st, err := b.api.run(ctx, journeyID, id)
			if err == nil && st.Step == "nap" && st.NextWakeAt != nil {
				break
			}
			if time.Since(start) > limit {
				return fmt.Errorf("run of %s is not asleep (step %q, error %v)", id, st.Step, err)
			}
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}
