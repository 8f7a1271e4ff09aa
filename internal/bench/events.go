package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ripen/ripen/workflows"
)

// eventReaction offers engagement events through /v1/events at a fixed
// rate, one event per request as a website tracker sends them, and times
// each from the request to the run's state showing the new score; then it
// finds the sustained rate with clients posting batches back to back.
func (b *bench) eventReaction(ctx context.Context) error {
	tg := b.nurtureRuns()
	if err := b.offer(ctx, "event reaction", tg, b.cfg.Rate, b.cfg.Duration, &b.rep.Events); err != nil {
		return err
	}
	return b.saturation(ctx, tg)
}

// eventTarget is the running runs of one journey that events are offered
// to, by customer, with the points each customer has earned there.
type eventTarget struct {
	journey   string
	customers []string
	points    []float64
}

// nurtureRuns are the enrolment journey's runs that take events: all but
// the fast-lane customers', which are in hand-off. Its points are
// b.points, shared.
func (b *bench) nurtureRuns() *eventTarget {
	pool := len(b.nurture) - b.cfg.FastLanes
	return &eventTarget{journey: nurtureJourney, customers: b.nurture[:pool], points: b.points[:pool]}
}

func (tg *eventTarget) visit(i int, seq int64) event {
	return event{
		ID: fmt.Sprintf("bench-%s-%d", tg.customers[i], seq), CustomerID: tg.customers[i], Type: "visit", Topic: benchTopic,
		OccurredAt: time.Now().UTC(),
	}
}

var eventSeq atomic.Int64

// offer offers one visit per POST /v1/events at rate for dur, round-robin
// over the target's runs with at most one event in flight per run, and
// times each from the request to the run's state showing it; the figures
// go in ev. Late events are waited for before it returns.
func (b *bench) offer(ctx context.Context, phase string, tg *eventTarget, rate float64, dur time.Duration, ev *Events) error {
	pool := len(tg.customers)
	ev.OfferedRate, ev.DurationS = rate, secs(dur)
	b.progress("%s: %.0f events/s offered for %s to %d running runs", phase, rate, dur, pool)

	busy := make([]atomic.Bool, pool)
	var (
		post, toState                samples
		accepted, failed, reflected  atomic.Int64
		late, stateErrs              atomic.Int64
		mu                           sync.Mutex
		lastReflected                time.Time
		wg                           sync.WaitGroup
		firstErr                     error
		offered, shed, next, nEvents = 0, 0, 0, int(rate * dur.Seconds())
	)
	interval := time.Duration(float64(time.Second) / rate)
	// Spread the events over the whole pool when there are more runs than
	// events (the growth levels), rather than on its first runs only.
	stride := max(1, pool/max(nEvents, 1))
	bySecond := make([]samples, int(dur/time.Second)+2)
	start := time.Now()
	for i := range nEvents {
		if err := sleepCtx(ctx, time.Until(start.Add(time.Duration(i)*interval))); err != nil {
			return err
		}
		offered++
		k := -1
		for j := range pool {
			if c := (next + j) % pool; busy[c].CompareAndSwap(false, true) {
				k = c
				break
			}
		}
		if k < 0 {
			shed++ // every run still has an event in flight
			continue
		}
		next = (k + stride) % pool
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer busy[k].Store(false)
			e := tg.visit(k, eventSeq.Add(1))
			t0 := time.Now()
			ans, err := b.api.postEvents(ctx, []event{e})
			if err == nil && (ans.Accepted != 1 || !slices.Contains(ans.Signalled, workflows.WorkflowID(tg.journey, e.CustomerID))) {
				err = fmt.Errorf("event %s: accepted %d, signalled %v", e.ID, ans.Accepted, ans.Signalled)
			}
			if err != nil {
				failed.Add(1)
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			post.add(time.Since(t0))
			accepted.Add(1)
			tg.points[k] += visitPoints
			ok, err := b.waitScore(ctx, tg, k, t0.Add(stateDeadline), &stateErrs)
			switch {
			case err != nil:
				return // the benchmark is being stopped
			case !ok:
				late.Add(1)
			default:
				took := time.Since(t0)
				toState.add(took)
				bySecond[min(int(t0.Sub(start)/time.Second), len(bySecond)-1)].add(took)
				reflected.Add(1)
				mu.Lock()
				lastReflected = time.Now()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	ev.Offered, ev.Shed = offered, shed
	ev.Accepted, ev.Errors, ev.Reflected, ev.Late = int(accepted.Load()), int(failed.Load()), int(reflected.Load()), int(late.Load())
	ev.StateErrors = int(stateErrs.Load())
	for i := range bySecond {
		if l := bySecond[i].latency(); l.N > 0 {
			ev.Timeline = append(ev.Timeline, SecondStat{Second: i, Events: l.N, P50Ms: l.P50Ms, MaxMs: l.MaxMs})
		}
	}
	ev.Post, ev.ToState = post.latency(), toState.latency()
	if !lastReflected.IsZero() {
		ev.AchievedRate = perSecond(ev.Reflected, lastReflected.Sub(start))
	}
	b.progress("%s: %d offered, %d accepted, %d in state; request→state p50 %.0f ms p95 %.0f ms p99 %.0f ms",
		phase, ev.Offered, ev.Accepted, ev.Reflected, ev.ToState.P50Ms, ev.ToState.P95Ms, ev.ToState.P99Ms)
	if firstErr != nil && ev.Accepted == 0 {
		return firstErr
	}
	if ev.Late > 0 {
		// Start the next phase without this one's backlog.
		b.progress("%s: waiting for the runs to catch up with %d late events", phase, ev.Late)
		start := time.Now()
		behind, _, err := b.catchUp(ctx, tg, b.cfg.Clients, func(int) bool { return true })
		if err != nil {
			return err
		}
		b.progress("%s: caught up after %.1fs, %d runs still behind", phase, time.Since(start).Seconds(), len(behind))
	}
	return nil
}

// stateDeadline is how long an event may take to show in the run's state
// before it counts as late.
const stateDeadline = 30 * time.Second

// waitScore polls the run's state until its score shows every point the
// customer has earned (less what decay takes: a half-life of 30 days costs
// a few hundredths in minutes, a visit is worth 5). It polls at once, then
// backs off from 2 ms by half again each time up to half a second, so a
// backlog is not made worse by the benchmark itself; a reading is thus at
// most a third late. Failed GETs (an overloaded server times out) count in
// errs and are retried. Only the goroutine that owns customer i calls it;
// it returns an error only when ctx ends.
func (b *bench) waitScore(ctx context.Context, tg *eventTarget, i int, deadline time.Time, errs *atomic.Int64) (bool, error) {
	want := tg.points[i] - 0.5
	wait := pollEvery
	for {
		gctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		st, err := b.api.run(gctx, tg.journey, tg.customers[i])
		cancel()
		switch {
		case ctx.Err() != nil:
			return false, ctx.Err()
		case err != nil:
			errs.Add(1)
		case st.Score >= want:
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return false, err
		}
		wait = min(wait*3/2+time.Millisecond, 500*time.Millisecond)
	}
}

// drainLimit bounds the wait for the runs to catch up after a phase.
const drainLimit = 5 * time.Minute

// catchUp waits until the state of every run that check selects shows all
// its customer's points, with clients checking their share of the pool in
// parallel. It returns the runs still behind after drainLimit.
func (b *bench) catchUp(ctx context.Context, tg *eventTarget, clients int, check func(k int) bool) (behind []int, stateErrs int, err error) {
	pool := len(tg.customers)
	var (
		mu   sync.Mutex
		errs atomic.Int64
	)
	g, gctx := errgroup.WithContext(ctx)
	deadline := time.Now().Add(drainLimit)
	for c := range clients {
		g.Go(func() error {
			for k := c; k < pool; k += clients {
				if !check(k) {
					continue
				}
				ok, err := b.waitScore(gctx, tg, k, deadline, &errs)
				if err != nil {
					return err
				}
				if !ok {
					mu.Lock()
					behind = append(behind, k)
					mu.Unlock()
				}
			}
			return nil
		})
	}
	err = g.Wait()
	return behind, int(errs.Load()), err
}

// saturation has each client post batches for its own share of customers
// back to back; then it waits until every run's state shows every event.
func (b *bench) saturation(ctx context.Context, tg *eventTarget) error {
	pool := len(tg.customers)
	sat := &b.rep.Events.Saturation
	clients, batch, dur := min(b.cfg.Clients, pool), b.cfg.SaturationBatch, b.cfg.SaturationDuration
	sat.BatchSize = batch
	b.progress("event reaction: saturation, %d clients posting batches of %d for %s", clients, batch, dur)
	cursor := make([]int, clients)
	sent := make([]int, pool) // accepted events per customer
	var events, acceptedN atomic.Int64
	start := time.Now()
	t := closedLoop(ctx, clients, dur, func(ctx context.Context, c int) error {
		evs := make([]event, 0, batch)
		var idx []int
		for range batch {
			k := c + cursor[c]*clients
			if k >= pool {
				cursor[c], k = 0, c
			}
			cursor[c]++
			evs = append(evs, tg.visit(k, eventSeq.Add(1)))
			idx = append(idx, k)
		}
		events.Add(int64(len(evs)))
		ans, err := b.api.postEvents(ctx, evs)
		if err != nil {
			return err
		}
		if ans.Accepted != len(evs) {
			return fmt.Errorf("posted %d events, %d accepted", len(evs), ans.Accepted)
		}
		acceptedN.Add(int64(ans.Accepted))
		for _, k := range idx {
			tg.points[k] += visitPoints
			sent[k]++
		}
		return nil
	})
	window := time.Since(start)
	sat.Throughput = t
	sat.Events, sat.Accepted = int(events.Load()), int(acceptedN.Load())
	// The rate is in events, not requests.
	sat.Calls, sat.CallsPerS = sat.Accepted, perSecond(sat.Accepted, window)

	// Every run must show all its points: that is when the events are
	// processed, not just accepted. The check's own GETs count in the time;
	// a run still behind after drainLimit counts its events unprocessed.
	behind, stateErrs, err := b.catchUp(ctx, tg, clients, func(k int) bool { return sent[k] > 0 })
	if err != nil {
		return err
	}
	unprocessed := 0
	for _, k := range behind {
		unprocessed += sent[k]
	}
	took := time.Since(start)
	sat.StateErrors = stateErrs
	sat.Processed, sat.ProcessedS = sat.Accepted-unprocessed, secs(took)
	sat.ProcessedPerS = perSecond(sat.Processed, took)
	b.progress("event reaction: %.1f events/s accepted (%d in %s), all in the runs' state after %.1fs (%.1f/s)",
		sat.CallsPerS, sat.Accepted, window.Round(time.Millisecond), took.Seconds(), sat.ProcessedPerS)
	return nil
}
