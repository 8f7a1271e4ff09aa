// Package bench measures how fast ripen reacts and how far it scales, next
// to what the same embedded Temporal server does with a trivial workflow
// (the raw ceiling). It starts ripen-dev's stack in-process on free ports
// against a fresh database and drives it only through the HTTP API, as
// marketing tools, mail clients and contacts would; it only looks inside
// (Postgres, the local SendGrid inbox, Temporal) to see when something
// happened.
//
// It is a program, not a test of speed: nothing here asserts timings.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/devstack"
	"github.com/ripen/ripen/internal/devtemporal"
)

// Config shapes one benchmark run. Defaults gives the two standard shapes.
type Config struct {
	Quick bool
	// DatabaseURL names the Postgres server; with CreateDatabase a fresh
	// database ripen_bench_<unix> is made on it (and dropped unless Keep),
	// otherwise the URL's database is used as it is.
	DatabaseURL    string
	CreateDatabase bool
	// DataDir holds Temporal's SQLite file; empty makes a temporary one
	// (removed unless Keep).
	DataDir string
	Keep    bool

	Customers int // enrolled through the API
	// ReportRuns and ReportEvents are the seeded history of the report
	// phase (RunReporting), in a journey of its own.
	ReportRuns, ReportEvents int
	EnrolBatch               int           // customers per enrolment request (≤ 10,000)
	Rate                     float64       // offered engagement events per second
	Duration                 time.Duration // how long the offered rate runs
	Runs                     int           // sleeping runs for the scale figure

	Clients int // concurrent clients: signal→query, saturation, setup
	// RawClients drive the raw ceiling's throughput phases: enough to find
	// the server's ceiling rather than the clients'.
	RawClients         int
	RawDuration        time.Duration
	SaturationDuration time.Duration
	SaturationBatch    int // events per /v1/events request at saturation
	FastLanes          int
	// CollectRate page views per second are offered to the water hole's
	// collection endpoint for CollectDuration.
	CollectRate     float64
	CollectDuration time.Duration
	// YearWeeks is how many weekly emails the simulated year has (52); one
	// week passes in a second. YearRuns runs are enrolled through the API
	// and as many started through the SDK with YearContinueAsNewAfter.
	YearWeeks              int
	YearRuns               int
	YearContinueAsNewAfter int
	// StickyCacheSize, when set, sizes the worker's workflow cache (what
	// RIPEN_WORKER_STICKY_CACHE_SIZE does); 0 keeps the SDK's default.
	StickyCacheSize int
	// Worker sizes ripen's worker as the RIPEN_WORKER_* variables do; zero
	// fields keep the SDK's defaults. The raw ceiling's worker keeps the
	// SDK's defaults whatever this says. Its StickyCacheSize is ignored:
	// use StickyCacheSize above.
	Worker config.WorkerTuning
	// Temporal overrides the embedded server's dynamic config and SQLite
	// settings; it applies to the raw ceiling and ripen alike.
	Temporal devtemporal.Tuning
	// TemporalStore is the embedded server's store (default SQLite). On
	// Postgres its databases go with the benchmark's (fresh per run, and
	// dropped with it unless Keep).
	TemporalStore devtemporal.Store
	// TemporalShards is the embedded cluster's history shard count (0: the
	// store's default).
	TemporalShards int32

	// Workers is how many ripen worker processes run: this one and
	// Workers-1 children started with WorkerCommand (default this
	// executable with the argument bench-worker; see RunWorkerProcess).
	// The raw ceiling runs on as many.
	Workers       int
	WorkerCommand []string
	// Growth lists levels of sleeping runs (ascending) at which enrolment
	// and event→state are measured, with bursts of GrowthBurst; none: off.
	Growth      []int
	GrowthBurst time.Duration
	// EventRows synthetic events fill the events table before routing and
	// detection (DetectCalls calls) are measured on it; 0: off.
	EventRows   int64
	DetectCalls int
	// ProfileDir, when set, receives CPU and heap profiles of every worker
	// process (this one holds the server and the API too) during the
	// enrolment phase, and their tops.
	ProfileDir string

	// Progress receives one line per phase; nil discards.
	Progress io.Writer
	// Log receives the stack's logs (Temporal, API, worker).
	Log zerolog.Logger
}

// Defaults returns the full benchmark, or with quick the short one CI runs
// (under three minutes on a 2-core machine).
func Defaults(quick bool) Config {
	if quick {
		return Config{
			Quick: true, Customers: 200, EnrolBatch: 10000, Rate: 20, Duration: 10 * time.Second, Runs: 300,
			Clients: 16, RawClients: 64, RawDuration: 2 * time.Second, SaturationDuration: 5 * time.Second, SaturationBatch: 10,
			FastLanes: 5, YearWeeks: 52, YearRuns: 1, YearContinueAsNewAfter: 200, CreateDatabase: true,
			ReportRuns: 2000, ReportEvents: 20000, CollectRate: 500, CollectDuration: 5 * time.Second,
			Workers: 1, GrowthBurst: 10 * time.Second, DetectCalls: 50,
		}
	}
	return Config{
		Customers: 2000, EnrolBatch: 10000, Rate: 50, Duration: 60 * time.Second, Runs: 20000,
		Clients: 16, RawClients: 64, RawDuration: 20 * time.Second, SaturationDuration: 30 * time.Second, SaturationBatch: 10,
		FastLanes: 50, YearWeeks: 52, YearRuns: 2, YearContinueAsNewAfter: 500, CreateDatabase: true,
		ReportRuns: 100000, ReportEvents: 1000000, CollectRate: 500, CollectDuration: 30 * time.Second,
		Workers: 1, GrowthBurst: 20 * time.Second, DetectCalls: 50,
	}
}

func (c *Config) check() error {
	var probs []string
	if c.Customers < c.FastLanes+1 {
		probs = append(probs, fmt.Sprintf("customers (%d) must exceed fast lanes (%d)", c.Customers, c.FastLanes))
	}
	if c.EnrolBatch < 1 || c.EnrolBatch > 10000 {
		probs = append(probs, "enrolment batch must be 1 to 10,000")
	}
	if c.Rate <= 0 || c.Duration <= 0 {
		probs = append(probs, "rate and duration must be positive")
	}
	if c.Runs < 1 || c.Clients < 1 || c.RawClients < 1 || c.RawDuration <= 0 || c.SaturationDuration <= 0 || c.SaturationBatch < 1 {
		probs = append(probs, "runs, clients, raw and saturation settings must be positive")
	}
	if c.FastLanes < 1 || c.YearWeeks < 1 || c.YearRuns < 1 {
		probs = append(probs, "fast lanes, year weeks and year runs must be positive")
	}
	if c.Workers < 1 {
		probs = append(probs, "workers must be at least 1")
	}
	for i, g := range c.Growth {
		if g < 1 || (i > 0 && g <= c.Growth[i-1]) {
			probs = append(probs, "growth levels must be positive and ascend")
			break
		}
	}
	if len(c.Growth) > 0 && c.GrowthBurst <= 0 {
		probs = append(probs, "the growth burst must be positive")
	}
	if c.EventRows < 0 || (c.EventRows > 0 && (c.DetectCalls < 1 || c.GrowthBurst <= 0)) {
		probs = append(probs, "event rows must not be negative, and with them detect calls and the burst must be positive")
	}
	probs = append(probs, checkWorker(c.Worker)...)
	if err := c.Temporal.Check(); err != nil {
		probs = append(probs, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if len(probs) > 0 {
		return errors.New("bench: " + strings.Join(probs, "; "))
	}
	return nil
}

// bench is one run in progress.
type bench struct {
	cfg   Config
	st    *devstack.Stack
	api   *apiClient
	rep   *Report
	start time.Time

	// nurture are the customers of the enrolment journey, in order; the
	// last FastLanes of them ask for a demo, the rest get engagement.
	nurture []string
	points  []float64 // points each nurture customer has earned, by index

	// children are the extra worker processes; rawLocal counts what this
	// process's raw workflows handled.
	children  []*child
	rawLocal  rawCounters
	profiling *profiling
}

// Run runs every phase and returns the report. On failure the report holds
// what was measured so far, and its Error says what went wrong.
func Run(ctx context.Context, cfg Config) (rep *Report, err error) {
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.Workers == 0 {
		cfg.Workers = 1 // a Config built without Defaults
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, start: time.Now()}
	rep = b.newReport()
	b.rep = rep
	defer func() {
		rep.TookS = secs(time.Since(b.start))
		rep.Machine.LoadAvgEnd = loadAvg()
		if err != nil {
			rep.Error = err.Error()
		}
	}()

	dbURL := cfg.DatabaseURL
	if cfg.CreateDatabase {
		name := fmt.Sprintf("ripen_bench_%d", time.Now().Unix())
		if dbURL, err = withDatabase(cfg.DatabaseURL, name); err != nil {
			return rep, err
		}
		rep.Settings.DatabaseName = name
		if !cfg.Keep {
			defer func() {
				if derr := dropDatabase(dbURL); derr != nil && err == nil {
					err = derr
				}
				if cfg.TemporalStore == devtemporal.StorePostgres {
					if derr := dropTemporal(dbURL); derr != nil && err == nil {
						err = derr
					}
				}
			}()
		}
	} else {
		rep.Settings.DatabaseName = databaseName(dbURL)
	}
	dataDir := cfg.DataDir
	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "ripen-bench-"); err != nil {
			return rep, err
		}
		if !cfg.Keep {
			defer os.RemoveAll(dataDir)
		}
	}
	rep.Settings.DataDir = dataDir

	if cfg.StickyCacheSize > 0 {
		// Process-wide, read when the first worker starts: set it before.
		sdkworker.SetStickyWorkflowCacheSize(cfg.StickyCacheSize)
		defer sdkworker.SetStickyWorkflowCacheSize(defaultStickyCacheSize)
	}
	if cfg.TemporalStore == devtemporal.StorePostgres {
		rep.Notes = append(rep.Notes, fmt.Sprintf("Temporal on Postgres (databases %s_temporal and %s_temporal_visibility), %s history shards.",
			databaseName(dbURL), databaseName(dbURL), shardsText(cfg.TemporalShards)))
		b.progress("starting the stack (embedded Temporal on Postgres, %s history shards)", shardsText(cfg.TemporalShards))
	} else {
		b.progress("starting the stack (embedded Temporal with SQLite in %s)", dataDir)
	}
	worker := cfg.Worker
	worker.StickyCacheSize = 0 // set above, and reset afterwards
	st, err := devstack.Start(ctx, devstack.Options{
		DataDir: dataDir, DatabaseURL: dbURL, UIPort: -1, Log: cfg.Log,
		Worker: worker, TemporalTuning: cfg.Temporal, TemporalStore: cfg.TemporalStore, TemporalShards: cfg.TemporalShards,
	})
	if err != nil {
		return rep, fmt.Errorf("start the stack: %w", err)
	}
	defer st.Stop()
	b.st = st
	key, _, err := st.Store.CreateAPIKey(ctx, "admin", "bench")
	if err != nil {
		return rep, fmt.Errorf("create API key: %w", err)
	}
	b.api = newAPIClient(st.APIURL, key)
	defer b.api.close()
	// Stopped before the stack (deferred after it).
	defer b.stopWorkers()
	if err := b.startWorkers(ctx); err != nil {
		return rep, fmt.Errorf("start worker processes: %w", err)
	}

	phases := []struct {
		name string
		run  func(context.Context) error
	}{
		{"raw ceiling", b.rawCeiling},
		{"setup", b.setUp},
		{"enrolment", b.profiledEnrolment},
		{"fast lane", b.fastLane},
		{"event reaction", b.profiledEvents},
		{"collection", b.collection},
		{"growth", b.growth},
		{"year and scale", b.yearAndScale},
		{"report", b.reporting},
		{"table sizes", b.tableSizes},
		// Last: its synthetic events would count in the table sizes.
		{"event rows", b.eventRows},
	}
	for _, p := range phases {
		if err := p.run(ctx); err != nil {
			return rep, fmt.Errorf("%s: %w", p.name, err)
		}
		if err := b.childExits(); err != nil {
			return rep, fmt.Errorf("after %s: %w", p.name, err)
		}
	}
	rep.computeRatios()
	rep.judgeTargets()
	return rep, nil
}

func (b *bench) newReport() *Report {
	c := b.cfg
	mode := "full"
	if c.Quick {
		mode = "quick"
	}
	rep := &Report{
		StartedAt: b.start.UTC(), Mode: mode, Machine: machineInfo(), Versions: versions(),
		Settings: Settings{
			Customers: c.Customers, EnrolBatch: c.EnrolBatch, Rate: c.Rate, DurationS: secs(c.Duration), Runs: c.Runs,
			Clients: c.Clients, RawClients: c.RawClients, RawDurationS: secs(c.RawDuration), SaturationDurationS: secs(c.SaturationDuration),
			SaturationBatch: c.SaturationBatch, FastLanes: c.FastLanes, YearWeeks: c.YearWeeks, YearRuns: c.YearRuns,
			YearContinueAsNewAfter: c.YearContinueAsNewAfter, Kept: c.Keep, StickyCacheSize: defaultStickyCacheSize,
			Worker:                workerSettings(c.Worker),
			TemporalDynamicConfig: jsonValues(c.Temporal.EffectiveDynamicConfig()),
			TemporalOverrides:     jsonValues(c.Temporal.DynamicConfig),
			SQLitePragmas:         c.Temporal.EffectiveSQLitePragmas(),
			SQLiteMaxConns:        max(c.Temporal.SQLiteMaxConns, 1),
			Temporal:              temporalSummary(c),
			Workers:               c.Workers,
			Growth:                c.Growth,
			GrowthBurstS:          secs(c.GrowthBurst),
			EventRows:             c.EventRows,
			DetectCalls:           c.DetectCalls,
			ProfileDir:            c.ProfileDir,
		},
		Notes: []string{
			"Everything runs in one process (Temporal server, worker, API, local SendGrid): memory figures are the whole process.",
			"The raw ceiling and ripen share the same server, process and machine, measured one after the other.",
		},
	}
	if c.StickyCacheSize > 0 {
		rep.Settings.StickyCacheSize = c.StickyCacheSize
	}
	if c.Workers > 1 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d worker processes: this one (with the server, the API and a worker) and %d children running `ripen worker`'s code (app.Open, app.App.Run) from the same environment variables; the raw ceiling's workflows ran on as many. Memory figures without \"children\" are this process's only.",
			c.Workers, c.Workers-1))
	}
	if c.Worker != (config.WorkerTuning{}) {
		rep.Notes = append(rep.Notes, "Worker settings apply to ripen's worker only; the raw ceiling's worker keeps the SDK's defaults.")
	}
	return rep
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.cfg.Progress, "%6.1fs  %s\n", time.Since(b.start).Seconds(), fmt.Sprintf(format, args...))
}

// defaultStickyCacheSize is the SDK's default workflow cache, which ripen's
// worker keeps unless told otherwise.
const defaultStickyCacheSize = 10000

// withDatabase returns the server URL (a URL or a key=value DSN) naming
// another database.
func withDatabase(server, name string) (string, error) {
	if strings.HasPrefix(server, "postgres://") || strings.HasPrefix(server, "postgresql://") {
		u, err := url.Parse(server)
		if err != nil {
			return "", fmt.Errorf("database URL: %w", err)
		}
		u.Path, u.RawPath = "/"+name, ""
		return u.String(), nil
	}
	return server + " dbname=" + name, nil
}

func databaseName(dbURL string) string {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return ""
	}
	return cfg.Database
}

// dropDatabase drops the benchmark's database from the server's
// maintenance database.
func dropDatabase(dbURL string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return err
	}
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// dropTemporal drops the embedded Temporal's databases that went with the
// benchmark's database.
func dropTemporal(dbURL string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pg, err := devtemporal.PostgresFor(dbURL)
	if err != nil {
		return err
	}
	return devtemporal.DropPostgres(ctx, pg)
}

func shardsText(n int32) string {
	if n == 0 {
		return strconv.Itoa(devtemporal.DefaultPostgresShards) + " (the default)"
	}
	return strconv.Itoa(int(n))
}

// sqliteBytes is the size of Temporal's store: its SQLite database and
// WAL, or on Postgres its two databases (persistence and visibility), as
// the server reports them (0 when it cannot).
func (b *bench) sqliteBytes() int64 {
	if b.cfg.TemporalStore != devtemporal.StorePostgres {
		f := filepath.Join(b.rep.Settings.DataDir, "temporal.sqlite")
		return fileSizes(f, f+"-wal", f+"-shm")
	}
	pg, err := devtemporal.PostgresFor(b.st.DatabaseURL)
	if err != nil {
		return 0
	}
	var n int64
	err = b.st.Store.Pool().QueryRow(context.Background(),
		`SELECT pg_database_size($1) + pg_database_size($2)`, pg.Database, pg.VisibilityDatabase()).Scan(&n)
	if err != nil {
		return 0
	}
	return n
}
