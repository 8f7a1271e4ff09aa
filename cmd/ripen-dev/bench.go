package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/bench"
	"github.com/ripen/ripen/logging"
)

// runBench measures the stack against raw Temporal on the same machine (see
// package bench and BENCHMARKS.md):
//
//	ripen-dev bench [--quick] [--out FILE] [--customers N] [--rate R]
//	                [--duration D] [--runs M] [--database-url URL] [--keep]
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
	stickyCache := fs.Int("sticky-cache", 0, "worker workflow cache size, as RIPEN_WORKER_STICKY_CACHE_SIZE (default the SDK's 10000)")
	databaseURL := fs.String("database-url", "", "Postgres server; a fresh database ripen_bench_<unix> is made on it (default $DATABASE_URL or the local server)")
	dataDir := fs.String("data-dir", "", "where Temporal's SQLite file goes (default a temporary directory)")
	keep := fs.Bool("keep", false, "keep the database and the data directory afterwards")
	logLevel := fs.String("log-level", "error", "log level of the stack (debug, info, warn, error)")
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
		case "sticky-cache":
			cfg.StickyCacheSize = *stickyCache
		}
	})
	cfg.DatabaseURL = *databaseURL
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = os.Getenv("DATABASE_URL")
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = config.DefaultDatabaseURL
	}
	cfg.DataDir, cfg.Keep = *dataDir, *keep
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
	}
	return err
}
