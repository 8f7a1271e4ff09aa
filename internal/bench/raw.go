package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The raw ceiling's trivial workflow: it counts "ping" signals and answers
// the count to a query. It runs on its own task queue with a worker of the
// SDK's default options, like ripen's.
const (
	rawTaskQueue    = "ripen-bench-raw"
	rawWorkflowName = "RipenBenchRaw"
	rawSignal       = "ping"
	rawQuery        = "count"
)

// rawWorkflow returns the trivial workflow; processed counts the signals it
// handles outside replay, so the benchmark knows when the server and the
// worker have caught up.
func rawWorkflow(processed *atomic.Int64) func(workflow.Context) error {
	return func(ctx workflow.Context) error {
		n := 0
		if err := workflow.SetQueryHandler(ctx, rawQuery, func() (int, error) { return n, nil }); err != nil {
			return err
		}
		pings := workflow.GetSignalChannel(ctx, rawSignal)
		for {
			pings.Receive(ctx, nil)
			n++
			if !workflow.IsReplaying(ctx) {
				processed.Add(1)
			}
		}
	}
}

// The like-for-like raw workflow: one activity, then a year asleep, as a
// ripen run sends its first email and then waits. Its activity only counts.
const (
	likeWorkflowName = "RipenBenchLikeForLike"
	likeActivityName = "RipenBenchLikeActivity"
)

func likeWorkflow(ctx workflow.Context) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteActivity(actx, likeActivityName).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.Sleep(ctx, 365*24*time.Hour)
}

// rawCounters count what one process's raw workflows have handled.
type rawCounters struct {
	signals, activities atomic.Int64
}

// newRawWorker is the raw ceiling's worker: SDK-default options, both
// trivial workflows, on their own task queue.
func newRawWorker(c client.Client, n *rawCounters) worker.Worker {
	w := worker.New(c, rawTaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(rawWorkflow(&n.signals), workflow.RegisterOptions{Name: rawWorkflowName})
	w.RegisterWorkflowWithOptions(likeWorkflow, workflow.RegisterOptions{Name: likeWorkflowName})
	w.RegisterActivityWithOptions(func(context.Context) error {
		n.activities.Add(1)
		return nil
	}, activity.RegisterOptions{Name: likeActivityName})
	return w
}

func (b *bench) rawCeiling(ctx context.Context) error {
	w := newRawWorker(b.st.Client, &b.rawLocal)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start raw worker: %w", err)
	}
	defer w.Stop()
	// The other worker processes run the raw workflows too, until now.
	defer b.stopChildRawWorkers()
	signals := func() int64 { return b.rawCounts().Signals }
	tc, clients, dur := b.st.Client, b.cfg.RawClients, b.cfg.RawDuration
	opts := func(id string) client.StartWorkflowOptions {
		return client.StartWorkflowOptions{ID: id, TaskQueue: rawTaskQueue}
	}
	raw := &b.rep.Raw
	raw.Workers = b.cfg.Workers

	// One run first, so the task queue is loaded and polled before the
	// clock starts, as ripen's is by the time it is measured.
	base := signals()
	if _, err := tc.SignalWithStartWorkflow(ctx, "bench-raw/warm-up", rawSignal, nil, opts("bench-raw/warm-up"), rawWorkflowName); err != nil {
		return fmt.Errorf("warm up: %w", err)
	}
	if err := waitCount(ctx, signals, base+1, 2*time.Minute); err != nil {
		return fmt.Errorf("warm up: %w", err)
	}

	// New runs by SignalWithStart.
	b.progress("raw ceiling: SignalWithStart of new runs, %d clients for %s, %d worker process(es)", clients, dur, b.cfg.Workers)
	var seq atomic.Int64
	var mu sync.Mutex
	var ids []string
	base = signals()
	began := time.Now()
	raw.SignalWithStart = closedLoop(ctx, clients, dur, func(ctx context.Context, _ int) error {
		id := fmt.Sprintf("bench-raw/%d", seq.Add(1))
		if _, err := tc.SignalWithStartWorkflow(ctx, id, rawSignal, nil, opts(id), rawWorkflowName); err != nil {
			return err
		}
		mu.Lock()
		ids = append(ids, id)
		mu.Unlock()
		return nil
	})
	if err := waitProcessed(ctx, &raw.SignalWithStart, signals, base, began); err != nil {
		return fmt.Errorf("SignalWithStart: %w", err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("SignalWithStart: no run started (%d errors)", raw.SignalWithStart.Errors)
	}

	// Signals to those runs, now waiting for the next one.
	b.progress("raw ceiling: signals to %d running runs, %d clients for %s", len(ids), clients, dur)
	base, began = signals(), time.Now()
	raw.Signals = closedLoop(ctx, clients, dur, func(ctx context.Context, _ int) error {
		return tc.SignalWorkflow(ctx, ids[rand.IntN(len(ids))], "", rawSignal, nil)
	})
	if err := waitProcessed(ctx, &raw.Signals, signals, base, began); err != nil {
		return fmt.Errorf("signals: %w", err)
	}

	if err := b.likeForLike(ctx); err != nil {
		return fmt.Errorf("like-for-like: %w", err)
	}

	// Signal→query round trips: each client its own run.
	clients = b.cfg.Clients
	b.progress("raw ceiling: signal→query round trips, %d clients for %s", clients, dur)
	own := make([]string, clients)
	base = signals()
	for i := range own {
		own[i] = fmt.Sprintf("bench-raw/query/%d", i)
		if _, err := tc.SignalWithStartWorkflow(ctx, own[i], rawSignal, nil, opts(own[i]), rawWorkflowName); err != nil {
			return fmt.Errorf("start query runs: %w", err)
		}
	}
	if err := waitCount(ctx, signals, base+int64(clients), 2*time.Minute); err != nil {
		return fmt.Errorf("start query runs: %w", err)
	}
	sent := make([]int, clients)
	for i := range sent {
		sent[i] = 1
	}
	roundTrip := func(ctx context.Context, i int, lat *samples) error {
		start := time.Now()
		if err := tc.SignalWorkflow(ctx, own[i], "", rawSignal, nil); err != nil {
			return err
		}
		sent[i]++
		for {
			v, err := tc.QueryWorkflow(ctx, own[i], "", rawQuery)
			if err != nil {
				return err
			}
			var n int
			if err := v.Get(&n); err != nil {
				return err
			}
			if n >= sent[i] {
				lat.add(time.Since(start))
				return nil
			}
			time.Sleep(time.Millisecond)
		}
	}
	var lat samples
	t := closedLoop(ctx, clients, dur, func(ctx context.Context, i int) error { return roundTrip(ctx, i, &lat) })
	raw.SignalQuery.Clients, raw.SignalQuery.DurationS, raw.SignalQuery.Errors = clients, t.DurationS, t.Errors
	raw.SignalQuery.Latency = lat.latency()

	// The same with one client: the reaction time of an idle server.
	alone := max(time.Second, dur/4)
	b.progress("raw ceiling: signal→query round trips, 1 client for %s", alone)
	var lat1 samples
	closedLoop(ctx, 1, alone, func(ctx context.Context, i int) error { return roundTrip(ctx, i, &lat1) })
	raw.SignalQueryAlone = lat1.latency()
	return nil
}

// likeForLike starts runs of the like-for-like workflow (one activity, then
// asleep) by SignalWithStart from RawClients clients for RawDuration, and
// counts runs per second until every run has completed its activity: the
// count that matches ripen's runs to first email.
func (b *bench) likeForLike(ctx context.Context) error {
	l := &b.rep.Raw.LikeForLike
	tc, clients, dur := b.st.Client, b.cfg.RawClients, b.cfg.RawDuration
	activities := func() int64 { return b.rawCounts().Activities }
	opts := func(id string) client.StartWorkflowOptions {
		return client.StartWorkflowOptions{ID: id, TaskQueue: rawTaskQueue}
	}
	base := activities()
	if _, err := tc.SignalWithStartWorkflow(ctx, "bench-like/warm-up", rawSignal, nil, opts("bench-like/warm-up"), likeWorkflowName); err != nil {
		return fmt.Errorf("warm up: %w", err)
	}
	if err := waitCount(ctx, activities, base+1, 2*time.Minute); err != nil {
		return fmt.Errorf("warm up: %w", err)
	}
	b.progress("raw ceiling: like-for-like runs (one activity, then asleep) by SignalWithStart, %d clients for %s", clients, dur)
	var seq atomic.Int64
	base = activities()
	began := time.Now()
	t := closedLoop(ctx, clients, dur, func(ctx context.Context, _ int) error {
		id := fmt.Sprintf("bench-like/%d", seq.Add(1))
		_, err := tc.SignalWithStartWorkflow(ctx, id, rawSignal, nil, opts(id), likeWorkflowName)
		return err
	})
	if t.Calls == 0 {
		return fmt.Errorf("no run started (%d errors)", t.Errors)
	}
	if err := waitCount(ctx, activities, base+int64(t.Calls), 5*time.Minute+time.Duration(t.Calls)*100*time.Millisecond); err != nil {
		return err
	}
	took := time.Since(began)
	*l = LikeForLike{
		Clients: clients, DurationS: t.DurationS, Runs: t.Calls, Errors: t.Errors, CallsPerS: t.CallsPerS, CallLatency: t.CallLatency,
		Activities: int(activities() - base), AllActivitiesS: secs(took), RunsPerS: perSecond(t.Calls, took),
	}
	b.progress("raw ceiling: %d like-for-like runs, every activity done after %.1fs (%.1f runs/s; %.1f calls/s)",
		l.Runs, took.Seconds(), l.RunsPerS, l.CallsPerS)
	return nil
}

// closedLoop runs clients goroutines that call fn back to back until d has
// passed; client i always passes i. Calls that fail count as errors.
func closedLoop(ctx context.Context, clients int, d time.Duration, fn func(ctx context.Context, client int) error) Throughput {
	var (
		ok, failed atomic.Int64
		lat        samples
		wg         sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				cctx, cancel := context.WithTimeout(ctx, time.Minute)
				t0 := time.Now()
				err := fn(cctx, i)
				cancel()
				if err != nil {
					failed.Add(1)
					time.Sleep(10 * time.Millisecond) // do not spin on a failing server
					continue
				}
				ok.Add(1)
				lat.add(time.Since(t0))
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	return Throughput{
		Clients: clients, DurationS: secs(took), Calls: int(ok.Load()), Errors: int(failed.Load()),
		CallsPerS: perSecond(int(ok.Load()), took), CallLatency: lat.latency(),
	}
}

// waitProcessed waits until the workflows have handled every successful
// call since base, and fills in how long it took from began.
func waitProcessed(ctx context.Context, t *Throughput, processed func() int64, base int64, began time.Time) error {
	if err := waitCount(ctx, processed, base+int64(t.Calls), 5*time.Minute+time.Duration(t.Calls)*100*time.Millisecond); err != nil {
		return err
	}
	took := time.Since(began)
	t.Processed = int(processed() - base)
	t.ProcessedS = secs(took)
	t.ProcessedPerS = perSecond(t.Calls, took)
	return nil
}

// waitCount waits until n() reaches want; n sums the counts of every
// worker process.
func waitCount(ctx context.Context, n func() int64, want int64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for n() < want {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d handled after %s", n(), want, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}
