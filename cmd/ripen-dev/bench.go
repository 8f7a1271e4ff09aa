package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/bench"
	"github.com/ripen/ripen/internal/devtemporal"
	"github.com/ripen/ripen/logging"
)

// runBench measures the stack against raw Temporal on the same machine (see
// package bench and BENCHMARKS.md):
//
//	ripen-dev bench [--quick] [--out FILE] [--customers N] [--rate R]
//	                [--duration D] [--runs M] [--database-url URL] [--keep]
//	                [--worker-wft-pollers N] [--worker-activity-pollers N]
//	                [--worker-wft-concurrency N] [--worker-activity-concurrency N]
//	                [--server-config key=value]... [--sqlite-pragma name=value]...
//	                [--sqlite-max-conns N] [--temporal-store sqlite|postgres]
//	                [--temporal-shards N] [--workers N] [--growth 1000,10000,100000]
//	                [--growth-burst D] [--event-rows N] [--profile DIR]
func runBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ripen-dev bench", flag.ContinueOnError)
	fs.SetOutput(out)
	quick := fs.Bool("quick", false, "the short run CI uses (under 3 minutes); other flags still override it")
	outFile := fs.String("out", "bench.json", "write every figure as JSON to this file")
	customers := fs.Int("customers", 0, "customers enrolled through the API (default 2000, quick 200)")
	rate := fs.Float64("rate", 0, "engagement events offered per second (default 50, quick 20)")
	duration := fs.Duration("duration", 0, "how long events are offered (default 60s, quick 10s)")
	runs := fs.Int("runs", 0, "sleeping runs for the scale figure (default 20000, quick 300; 100000 for the full figure)")
	clients := fs.Int("clients", 0, "concurrent clients for signal→query, saturation and setup (default 16)")
	rawClients := fs.Int("raw-clients", 0, "concurrent clients for the raw ceiling's throughput (default 64)")
	rawDuration := fs.Duration("raw-duration", 0, "length of each raw-ceiling phase (default 20s, quick 2s)")
	fastLanes := fs.Int("fast-lanes", 0, "fast-lane requests (default 50, quick 5)")
	collectRate := fs.Float64("collect-rate", 0, "page views per second offered to the water hole (default 500; 0 with --collect-duration 0 skips it)")
	collectDuration := fs.Duration("collect-duration", 0, "how long page views are offered (default 30s, quick 5s; 0 skips the phase)")
	stickyCache := fs.Int("sticky-cache", 0, "worker workflow cache size, as RIPEN_WORKER_STICKY_CACHE_SIZE (default the SDK's 10000)")
	databaseURL := fs.String("database-url", "", "Postgres server; a fresh database ripen_bench_<unix> is made on it (default $DATABASE_URL or the local server)")
	dataDir := fs.String("data-dir", "", "where Temporal's SQLite file goes (default a temporary directory)")
	keep := fs.Bool("keep", false, "keep the database and the data directory afterwards")
	logLevel := fs.String("log-level", "error", "log level of the stack (debug, info, warn, error)")
	wftPollers := fs.Int("worker-wft-pollers", 0, "ripen worker's workflow-task pollers, as RIPEN_WORKER_WORKFLOW_POLLERS (default the SDK's 2; at least 2)")
	actPollers := fs.Int("worker-activity-pollers", 0, "ripen worker's activity-task pollers, as RIPEN_WORKER_ACTIVITY_POLLERS (default the SDK's 2)")
	wftSlots := fs.Int("worker-wft-concurrency", 0, "ripen worker's concurrent workflow tasks, as RIPEN_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (default the SDK's 1000; at least 2)")
	actSlots := fs.Int("worker-activity-concurrency", 0, "ripen worker's concurrent activities, as RIPEN_WORKER_MAX_CONCURRENT_ACTIVITIES (default the SDK's 1000)")
	serverConfig := map[string]any{}
	fs.Func("server-config", "embedded Temporal dynamic config `key=value` on top of devtemporal's defaults, repeatable, e.g. history.eventsCacheMaxSizeBytes=8388608; the value is read as int, float, bool, duration (5s) or string, whichever the key takes", func(kv string) error {
		key, v, err := devtemporal.ParseDynamicConfig(kv)
		if err != nil {
			return err
		}
		for k := range serverConfig {
			if strings.EqualFold(k, key) {
				delete(serverConfig, k)
			}
		}
		serverConfig[key] = v
		return nil
	})
	pragmas := map[string]string{}
	fs.Func("sqlite-pragma", "pragma `name=value` for every connection to Temporal's SQLite file, repeatable, e.g. journal_mode=wal, synchronous=normal, cache_size=-65536 (KiB), busy_timeout=5000 (default none: SQLite's own)", func(kv string) error {
		name, v, err := devtemporal.ParsePragma(kv)
		if err != nil {
			return err
		}
		pragmas[name] = v
		return nil
	})
	sqliteConns := fs.Int("sqlite-max-conns", 0, "connections to Temporal's SQLite file (default 1; more want --sqlite-pragma journal_mode=wal)")
	var store devtemporal.Store
	fs.Func("temporal-store", "embedded Temporal's store: sqlite (default) or postgres (fresh databases ripen_bench_<unix>_temporal and _temporal_visibility, dropped afterwards unless --keep)", func(s string) (err error) {
		store, err = devtemporal.ParseStore(s)
		return err
	})
	var shards int32
	fs.Func("temporal-shards", "embedded Temporal's history shards (default 1 on sqlite, 4 on postgres)", func(s string) (err error) {
		shards, err = devtemporal.ParseShards(s)
		return err
	})
	workers := fs.Int("workers", 1, "ripen worker `processes`: this one and N-1 children (ripen-dev bench-worker, which runs ripen worker's code) on the same task queue; the raw ceiling runs on as many")
	var growth []int
	fs.Func("growth", "`levels` of sleeping runs at which enrolment and event→state are measured, e.g. 1000,10000,100000 (default off; 200,1000 suits --quick)", func(s string) (err error) {
		growth, err = bench.ParseGrowth(s)
		return err
	})
	growthBurst := fs.Duration("growth-burst", 0, "length of the event bursts of the growth and event-rows phases, at --rate (default 20s, quick 10s)")
	eventRows := fs.Int64("event-rows", 0, "fill the events table with N synthetic events, then measure routing and detection on it, e.g. 10000000 (default off)")
	profileDir := fs.String("profile", "", "write CPU and heap profiles of every process during the enrolment and event phases, and their tops (go tool pprof -top), to this `directory`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("ripen-dev bench takes no arguments, got %q", fs.Args())
	}

	cfg := bench.Defaults(*quick)
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "customers":
			cfg.Customers = *customers
		case "rate":
			cfg.Rate = *rate
		case "duration":
			cfg.Duration = *duration
		case "runs":
			cfg.Runs = *runs
		case "clients":
			cfg.Clients = *clients
		case "raw-clients":
			cfg.RawClients = *rawClients
		case "raw-duration":
			cfg.RawDuration = *rawDuration
		case "fast-lanes":
			cfg.FastLanes = *fastLanes
		case "collect-rate":
			cfg.CollectRate = *collectRate
		case "collect-duration":
			cfg.CollectDuration = *collectDuration
		case "growth-burst":
			cfg.GrowthBurst = *growthBurst
		}
	})
	if *workers < 1 {
		return fmt.Errorf("--workers %d: want at least 1", *workers)
	}
	if *eventRows < 0 {
		return fmt.Errorf("--event-rows %d: want 0 (off) or more", *eventRows)
	}
	cfg.Workers, cfg.Growth, cfg.EventRows, cfg.ProfileDir = *workers, growth, *eventRows, *profileDir
	for _, f := range []struct {
		name string
		v    int
		min  int
		dst  *int
	}{
		{"sticky-cache", *stickyCache, 1, &cfg.StickyCacheSize},
		{"worker-wft-pollers", *wftPollers, 2, &cfg.Worker.WorkflowPollers},
		{"worker-activity-pollers", *actPollers, 1, &cfg.Worker.ActivityPollers},
		{"worker-wft-concurrency", *wftSlots, 2, &cfg.Worker.MaxConcurrentWorkflowTasks},
		{"worker-activity-concurrency", *actSlots, 1, &cfg.Worker.MaxConcurrentActivities},
		{"sqlite-max-conns", *sqliteConns, 1, &cfg.Temporal.SQLiteMaxConns},
	} {
		if !flagSet(fs, f.name) {
			continue
		}
		if f.v < f.min {
			return fmt.Errorf("--%s %d: want at least %d", f.name, f.v, f.min)
		}
		*f.dst = f.v
	}
	if len(serverConfig) > 0 {
		cfg.Temporal.DynamicConfig = serverConfig
	}
	if len(pragmas) > 0 {
		cfg.Temporal.SQLitePragmas = pragmas
	}
	cfg.DatabaseURL = *databaseURL
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = os.Getenv("DATABASE_URL")
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = config.DefaultDatabaseURL
	}
	cfg.DataDir, cfg.Keep = *dataDir, *keep
	cfg.TemporalStore, cfg.TemporalShards = store, shards
	cfg.Progress = out
	cfg.Log = logging.New("console", *logLevel)

	rep, err := bench.Run(ctx, cfg)
	if rep == nil {
		return err
	}
	if terr := rep.WriteTable(out); terr != nil && err == nil {
		err = terr
	}
	if *outFile != "" {
		data, jerr := json.MarshalIndent(rep, "", "  ")
		if jerr == nil {
			jerr = os.WriteFile(*outFile, append(data, '\n'), 0o644)
		}
		if jerr != nil {
			return errors.Join(err, fmt.Errorf("write %s: %w", *outFile, jerr))
		}
		fmt.Fprintf(out, "figures in %s\n", *outFile)
	}
	if rep.Settings.DatabaseName != "" && cfg.Keep {
		fmt.Fprintf(out, "kept database %s and %s\n", rep.Settings.DatabaseName, rep.Settings.DataDir)
		if store == devtemporal.StorePostgres {
			fmt.Fprintf(out, "kept Temporal's databases %s_temporal and %s_temporal_visibility\n", rep.Settings.DatabaseName, rep.Settings.DatabaseName)
		}
	}
	return err
}

// flagSet says whether the flag was given.
func flagSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}
