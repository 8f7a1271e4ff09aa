package chaos

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// faults injects the planned faults in time order: worker kills (one of the
// two workers each time, restarted after a moment), the Temporal server's
// kill and restart on the same data, the Postgres restart, and SendGrid's
// bad minute.
func (r *runner) faults(ctx context.Context) {
	type event struct {
		at time.Duration
		do func()
	}
	var evs []event
	for _, at := range r.plan.kills {
		evs = append(evs, event{at, func() { r.killWorker(ctx) }})
	}
	evs = append(evs, event{r.plan.temporalKill, func() { r.killTemporal(ctx) }})
	if r.plan.postgresAt > 0 {
		evs = append(evs, event{r.plan.postgresAt, func() { r.restartPostgres(ctx) }})
	}
	var sgStart time.Time
	evs = append(evs,
		event{r.plan.sendgridFrom, func() {
			sgStart = time.Now()
			err := r.st.http.setFaults(ctx, r.st.sendgridURL, map[string]any{"rate_429": 0.25, "rate_500": 0.25, "rate_hang": 0.05, "hang": "15s"})
			if err != nil {
				r.progress("SendGrid faults: %v", err)
				return
			}
			r.progress("SendGrid answers 429 to 25%%, 500 to 25%% and hangs 15s for 5%% of mail sends")
		}},
		event{r.plan.sendgridTo, func() {
			if err := r.st.http.setFaults(ctx, r.st.sendgridURL, map[string]any{}); err != nil {
				r.progress("SendGrid faults off: %v", err)
			}
			r.rec.addFault(faultRecord{Kind: "sendgrid faults", Target: "sendgrid-dev", At: sgStart, Back: time.Now(),
				Detail: "429 25%, 500 25%, hang 15s (past the client's 10s timeout) 5%"})
			r.progress("SendGrid healthy again")
		}},
	)
	slices.SortStableFunc(evs, func(a, b event) int { return int(a.at - b.at) })
	for _, ev := range evs {
		if !r.at(ctx, ev.at) {
			return
		}
		ev.do()
	}
	r.at(ctx, r.plan.faultEnd)
}

// killWorker kills one of the two workers with SIGKILL while the other one
// runs, and starts it again after up to 3 s.
func (r *runner) killWorker(ctx context.Context) {
	w := r.st.workers[r.intn(len(r.st.workers))]
	other := r.st.workers[0]
	if other == w {
		other = r.st.workers[1]
	}
	w.hold()
	defer w.release()
	at, err := w.kill()
	if err != nil {
		r.progress("kill %s: %v", w.name, err)
		return
	}
	down := r.between(300*time.Millisecond, 3*time.Second)
	sleep(ctx, down)
	back := r.startAgain(ctx, w)
	otherUp := "the other worker kept running"
	if !other.running() {
		otherUp = "the other worker was down too"
	}
	r.rec.addFault(faultRecord{Kind: "worker kill", Target: w.name, At: at, Back: back,
		Detail: fmt.Sprintf("SIGKILL, restarted after %s; %s", back.Sub(at).Round(10*time.Millisecond), otherUp)})
	r.progress("killed %s (SIGKILL); back after %s", w.name, back.Sub(at).Round(10*time.Millisecond))
}

// startAgain starts a process, retrying while it fails (a worker cannot
// start while Temporal is down), and returns when it served again.
func (r *runner) startAgain(ctx context.Context, p *proc) time.Time {
	for ctx.Err() == nil {
		err := p.start(ctx)
		if err == nil {
			return time.Now()
		}
		r.progress("start %s again: %v", p.name, err)
		sleep(ctx, 2*time.Second)
	}
	return time.Now()
}

// killTemporal kills the Temporal server with SIGKILL mid-run and starts it
// again on the same SQLite data.
func (r *runner) killTemporal(ctx context.Context) {
	t := r.st.temporal
	t.hold()
	defer t.release()
	at, err := t.kill()
	if err != nil {
		r.progress("kill Temporal: %v", err)
		return
	}
	r.progress("killed the Temporal server (SIGKILL)")
	sleep(ctx, r.plan.temporalDown)
	back := r.startAgain(ctx, t)
	r.rec.addFault(faultRecord{Kind: "temporal kill", Target: "temporal", At: at, Back: back,
		Detail: fmt.Sprintf("SIGKILL, restarted on the same SQLite data after %s", back.Sub(at).Round(10*time.Millisecond))})
	r.rec.lock(func() {
		r.rec.windows = append(r.rec.windows, window{Kind: "Temporal restart", From: at, To: back.Add(3 * time.Second)})
	})
	r.progress("Temporal back after %s", back.Sub(at).Round(10*time.Millisecond))
}

// restartPostgres restarts the local Postgres server.
func (r *runner) restartPostgres(ctx context.Context) {
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(rctx, r.cfg.PostgresRestart[0], r.cfg.PostgresRestart[1:]...).CombinedOutput()
	if err != nil {
		r.progress("Postgres restart failed: %v: %s", err, out)
		r.rec.addFault(faultRecord{Kind: "postgres restart", Target: "postgres", At: start, Back: time.Now(), Detail: "FAILED: " + err.Error()})
		return
	}
	// Back when it takes a connection again.
	for ctx.Err() == nil {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, r.st.dbURL)
		if err == nil {
			conn.Close(cctx)
			ccancel()
			break
		}
		ccancel()
		sleep(ctx, 200*time.Millisecond)
	}
	back := time.Now()
	r.rec.addFault(faultRecord{Kind: "postgres restart", Target: "postgres", At: start, Back: back,
		Detail: fmt.Sprintf("pg_ctlcluster restart; accepting connections again after %s", back.Sub(start).Round(10*time.Millisecond))})
	r.rec.lock(func() {
		r.rec.windows = append(r.rec.windows, window{Kind: "Postgres restart", From: start, To: back.Add(5 * time.Second)})
	})
	r.progress("Postgres restarted in %s", back.Sub(start).Round(10*time.Millisecond))
}

// supervise restarts a process that went down without being asked to (a
// crash is recorded by the process itself and reported).
func (r *runner) supervise(ctx context.Context) {
	procs := append([]*proc{r.st.temporal, r.st.sendgrid, r.st.api}, r.st.workers...)
	for sleep(ctx, time.Second) {
		for _, p := range procs {
			if p.needsRestart() {
				r.progress("%s went down on its own; starting it again", p.name)
				p.hold()
				r.startAgain(ctx, p)
				p.release()
			}
		}
	}
}
