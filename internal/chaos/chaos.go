// Package chaos breaks a running ripen on purpose and checks what must
// never happen: a journey lost or stuck, an email sent twice or to someone
// who unsubscribed, a demo request nobody hears of, an engagement counted
// twice, a forged webhook that changes anything, an acknowledged request
// that is lost.
//
// It runs the stack as separate processes (the embedded Temporal server on
// its own, two workers, the API and the local SendGrid server, against a
// fresh database on the local Postgres), enrols customers in a journey that
// passes in seconds, drives them through the public API as contacts, sales
// and SendGrid would, and meanwhile kills workers and the Temporal server
// with SIGKILL, restarts Postgres, makes SendGrid fail and hang, and storms
// the webhook. Afterwards it checks the invariants from the local SendGrid
// server's inbox, Postgres and Temporal, and reports every violation with
// the run and step it concerns.
//
// `ripen-dev chaos` is the command; the short form runs in CI as a test.
// The suite observes ripen from outside, through its HTTP API, its
// processes, Postgres and Temporal; of ripen's code it uses only the names
// and shapes of signals, activities and webhook signatures (workflows,
// sendgrid, linktoken) and the payload codec an operator would read
// histories with (codec), never the store, the activities or the API.
package chaos

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/ripen/ripen/config"
)

// Config shapes one run of the suite.
type Config struct {
	// Customers to enrol (default 1,000; 100 in the short form).
	Customers int
	// Short is the CI form: 100 customers, 3 worker kills, no Postgres
	// restart, a smaller storm, a few minutes in all.
	Short bool
	// RipenBin is the production binary (worker, api, migrate,
	// sendgrid-dev, apikeys).
	RipenBin string
	// TemporalCommand runs `ripen-dev temporal`; the suite appends
	// --data-dir, the ports and the log level.
	TemporalCommand []string
	// TemporalStore is the embedded server's --temporal-store: "" or
	// "sqlite" (a file in the work directory) or "postgres" (databases
	// <database>_temporal and <database>_temporal_visibility next to the
	// run's fresh database, dropped with it). TemporalShards, when
	// positive, is its --temporal-shards.
	TemporalStore  string
	TemporalShards int
	// DatabaseURL names the Postgres server; a fresh database
	// ripen_chaos_<unix> is created on it and dropped afterwards unless Keep.
	DatabaseURL string
	// WorkDir keeps the processes' logs and Temporal's data; empty uses a
	// temporary directory (removed unless Keep).
	WorkDir string
	Keep    bool
	// RestartPostgres restarts the local Postgres once mid-run with
	// PostgresRestart (it affects everyone on the machine).
	RestartPostgres bool
	PostgresRestart []string
	// WorkerKills is how many times a worker is killed (20; 3 short).
	WorkerKills int
	// StormEvents is the size of the webhook storm (10 per customer).
	StormEvents int
	// Seed makes the random choices repeatable; 0 draws one.
	Seed uint64
	// Progress receives one line per thing done; nil discards.
	Progress io.Writer
}

// Defaults returns the full or the short form.
func Defaults(short bool) Config {
	c := Config{
		Short: short, Customers: 1000, WorkerKills: 20, RestartPostgres: true,
		DatabaseURL:     os.Getenv("DATABASE_URL"),
		PostgresRestart: []string{"sh", "-c", "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -1) main restart"},
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = config.DefaultDatabaseURL
	}
	if short {
		c.Customers, c.WorkerKills, c.RestartPostgres = 100, 3, false
	}
	return c
}

// plan is when things happen, relative to the first enrolment.
type plan struct {
	waves     int
	waveEvery time.Duration
	// faultEnd is when the last fault is over and the run drains.
	faultEnd time.Duration
	kills    []time.Duration
	// temporalKill is when the Temporal server is killed; it comes back
	// after temporalDown.
	temporalKill time.Duration
	temporalDown time.Duration
	postgresAt   time.Duration // 0: no restart
	// sendgridFrom..sendgridTo: SendGrid answers 429/500 to half the
	// requests and hangs past the client's timeout for some.
	sendgridFrom, sendgridTo time.Duration
	stormAt                  time.Duration
	// drain bounds the wait for every run to end after faultEnd.
	drain time.Duration
}

func makePlan(cfg Config, rng *rand.Rand) plan {
	p := plan{waves: 10, waveEvery: 20 * time.Second, temporalDown: 3 * time.Second, drain: 6 * time.Minute}
	if cfg.Short {
		p.waves, p.waveEvery, p.drain = 4, 10*time.Second, 150*time.Second
	}
	enrolEnd := time.Duration(p.waves-1) * p.waveEvery
	if cfg.Short {
		p.faultEnd = enrolEnd + 40*time.Second
		p.temporalKill = 32 * time.Second
		p.sendgridFrom, p.sendgridTo = 12*time.Second, 37*time.Second
		p.stormAt = 38 * time.Second
	} else {
		p.faultEnd = enrolEnd + 90*time.Second
		p.temporalKill = 115 * time.Second
		p.sendgridFrom, p.sendgridTo = 30*time.Second, 90*time.Second
		p.stormAt = 130 * time.Second
	}
	if cfg.RestartPostgres {
		p.postgresAt = p.faultEnd * 7 / 10
	}
	// Worker kills at random moments, sequential (a killed worker is back
	// before the next kill), clear of the Temporal and Postgres outages.
	clear := func(t time.Duration) bool {
		if t > p.temporalKill-6*time.Second && t < p.temporalKill+p.temporalDown+8*time.Second {
			return false
		}
		if p.postgresAt > 0 && t > p.postgresAt-6*time.Second && t < p.postgresAt+12*time.Second {
			return false
		}
		return true
	}
	lo, hi := 3*time.Second, p.faultEnd-4*time.Second
	for tries := 0; len(p.kills) < cfg.WorkerKills && tries < 10000; tries++ {
		t := lo + time.Duration(rng.Int64N(int64(hi-lo)))
		ok := clear(t)
		for _, k := range p.kills {
			if t > k-5*time.Second && t < k+5*time.Second {
				ok = false
			}
		}
		if ok {
			p.kills = append(p.kills, t)
		}
	}
	sortDurations(p.kills)
	return p
}

// runner is one run of the suite.
type runner struct {
	cfg       Config
	plan      plan
	st        *stack
	customers []customer
	ix        *index
	rec       *record
	t0        time.Time // the first enrolment

	// hooks is the outbound webhooks' receiver (webhooks.go).
	hooks *webhookReceiver

	rngMu sync.Mutex
	rng   *rand.Rand

	outMu sync.Mutex
	out   io.Writer
}

func (r *runner) progress(format string, args ...any) {
	if r.out == nil {
		return
	}
	at := "setup"
	if !r.t0.IsZero() {
		at = fmt.Sprintf("t+%5.1fs", time.Since(r.t0).Seconds())
	}
	line := fmt.Sprintf("chaos %s  %s\n", at, fmt.Sprintf(format, args...))
	r.outMu.Lock()
	defer r.outMu.Unlock()
	_, _ = io.WriteString(r.out, line)
}

// Random draws, safe from every goroutine.
func (r *runner) float() float64 {
	r.rngMu.Lock()
	defer r.rngMu.Unlock()
	return r.rng.Float64()
}

func (r *runner) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	r.rngMu.Lock()
	defer r.rngMu.Unlock()
	return lo + time.Duration(r.rng.Int64N(int64(hi-lo)))
}

func (r *runner) intn(n int) int {
	r.rngMu.Lock()
	defer r.rngMu.Unlock()
	return r.rng.IntN(n)
}

// at sleeps until d after the first enrolment; false if ctx ended first.
func (r *runner) at(ctx context.Context, d time.Duration) bool {
	wait := time.Until(r.t0.Add(d))
	if wait <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Run runs the suite once. Violations are in the report; the error is for
// a run that could not be carried out (the stack did not start, the
// checks could not read their sources).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	def := Defaults(cfg.Short)
	if cfg.Customers <= 0 {
		cfg.Customers = def.Customers
	}
	if cfg.WorkerKills < 0 {
		cfg.WorkerKills = 0
	}
	if cfg.StormEvents <= 0 {
		cfg.StormEvents = 10 * cfg.Customers
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = def.DatabaseURL
	}
	if len(cfg.PostgresRestart) == 0 {
		cfg.PostgresRestart = def.PostgresRestart
	}
	if cfg.RipenBin == "" || len(cfg.TemporalCommand) == 0 {
		return nil, fmt.Errorf("chaos: RipenBin and TemporalCommand are required")
	}
	if cfg.Seed == 0 {
		cfg.Seed = rand.Uint64()
	}
	r := &runner{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), out: cfg.Progress, rec: newRecord()}
	r.plan = makePlan(cfg, r.rng)
	r.customers = population(r.rng, cfg.Customers, r.plan.waves)
	r.ix = newIndex(r.customers)
	started := time.Now()
	r.progress("seed %d: %d customers, %d worker kills, storm of %d events, Postgres restart %v",
		cfg.Seed, cfg.Customers, len(r.plan.kills), cfg.StormEvents, cfg.RestartPostgres)

	st, err := startStack(ctx, cfg, r.progress)
	if st != nil {
		defer func() {
			if err := st.stop(cfg.Keep); err != nil {
				r.progress("clean-up: %v", err)
			}
			if cfg.Keep {
				r.progress("kept database %s and %s", st.dbName, st.dir)
			}
		}()
	}
	if err != nil {
		return nil, err
	}
	r.st = st
	if err := r.setUp(ctx); err != nil {
		return nil, fmt.Errorf("set up fixtures: %w", err)
	}
	defer r.hooks.close()
	if err := r.setUpWebhook(ctx); err != nil {
		return nil, fmt.Errorf("set up the webhook: %w", err)
	}
	r.progress("fixtures: persona, %d content blocks, %d customers, journey %s", len(contents), len(r.customers), journeyID)

	r.t0 = time.Now()
	if err := r.load(ctx); err != nil {
		return nil, err
	}
	loadEnd := time.Now()
	r.progress("load and faults over; checking invariants")
	rep, err := r.check(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.hostile(ctx, rep); err != nil {
		return nil, fmt.Errorf("hostile phase: %w", err)
	}
	rep.Started, rep.Took, rep.LoadTook = started, time.Since(started), loadEnd.Sub(r.t0)
	rep.WorkDir = st.dir
	return rep, nil
}

// load enrols the customers and runs every driver and fault to the plan,
// then waits for the runs to end.
func (r *runner) load(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	goDo := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	supervise, stopSupervise := context.WithCancel(ctx)
	defer stopSupervise()
	go r.supervise(supervise)

	goDo(func() { r.enrol(ctx) })
	goDo(func() { r.faults(ctx) })
	goDo(func() { r.storm(ctx) })
	for i := range r.customers {
		cu := &r.customers[i]
		goDo(func() { r.actAs(ctx, cu) })
	}
	feedbackCtx, stopFeedback := context.WithCancel(ctx)
	defer stopFeedback()
	var fb sync.WaitGroup
	fb.Add(1)
	go func() { defer fb.Done(); r.salesDesk(feedbackCtx) }()

	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r.progress("faults over; draining (at most %s)", r.plan.drain)
	r.drain(ctx)
	stopFeedback()
	fb.Wait()
	return ctx.Err()
}
