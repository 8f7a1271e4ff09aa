package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

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

func (b *bench) rawCeiling(ctx context.Context) error {
	var processed atomic.Int64
	w := worker.New(b.st.Client, rawTaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(rawWorkflow(&processed), workflow.RegisterOptions{Name: rawWorkflowName})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start raw worker: %w", err)
	}
	defer w.Stop()
	tc, clients, dur := b.st.Client, b.cfg.RawClients, b.cfg.RawDuration
	opts := func(id string) client.StartWorkflowOptions {
		return client.StartWorkflowOptions{ID: id, TaskQueue: rawTaskQueue}
	}
	raw := &b.rep.Raw

	// One run first, so the task queue is loaded and polled before the
	// clock starts, as ripen's is by the time it is measured.
	base := processed.Load()
	if _, err := tc.SignalWithStartWorkflow(ctx, "bench-raw/warm-up", rawSignal, nil, opts("bench-raw/warm-up"), rawWorkflowName); err != nil {
		return fmt.Errorf("warm up: %w", err)
	}
	if err := waitCount(ctx, &processed, base+1, 2*time.Minute); err != nil {
		return fmt.Errorf("warm up: %w", err)
	}

	// New runs by SignalWithStart.
	b.progress("raw ceiling: SignalWithStart of new runs, %d clients for %s", clients, dur)
	var seq atomic.Int64
	var mu sync.Mutex
	var ids []string
	base = processed.Load()
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
	if err := waitProcessed(ctx, &raw.SignalWithStart, &processed, base, began); err != nil {
		return fmt.Errorf("SignalWithStart: %w", err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("SignalWithStart: no run started (%d errors)", raw.SignalWithStart.Errors)
	}

	// Signals to those runs, now waiting for the next one.
	b.progress("raw ceiling: signals to %d running runs, %d clients for %s", len(ids), clients, dur)
	base, began = processed.Load(), time.Now()
	raw.Signals = closedLoop(ctx, clients, dur, func(ctx context.Context, _ int) error {
		return tc.SignalWorkflow(ctx, ids[rand.IntN(len(ids))], "", rawSignal, nil)
	})
	if err := waitProcessed(ctx, &raw.Signals, &processed, base, began); err != nil {
		return fmt.Errorf("signals: %w", err)
	}

	// Signal→query round trips: each client its own run.
	clients = b.cfg.Clients
	b.progress("raw ceiling: signal→query round trips, %d clients for %s", clients, dur)
	own := make([]string, clients)
	base = processed.Load()
	for i := range own {
		own[i] = fmt.Sprintf("bench-raw/query/%d", i)
		if _, err := tc.SignalWithStartWorkflow(ctx, own[i], rawSignal, nil, opts(own[i]), rawWorkflowName); err != nil {
			return fmt.Errorf("start query runs: %w", err)
		}
	}
	if err := waitCount(ctx, &processed, base+int64(clients), 2*time.Minute); err != nil {
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
func waitProcessed(ctx context.Context, t *Throughput, processed *atomic.Int64, base int64, began time.Time) error {
	if err := waitCount(ctx, processed, base+int64(t.Calls), 5*time.Minute+time.Duration(t.Calls)*100*time.Millisecond); err != nil {
		return err
	}
	took := time.Since(began)
	t.Processed = int(processed.Load() - base)
	t.ProcessedS = secs(took)
	t.ProcessedPerS = perSecond(t.Calls, took)
	return nil
}

func waitCount(ctx context.Context, n *atomic.Int64, want int64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for n.Load() < want {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d signals handled after %s", n.Load(), want, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}
