package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/bench"
)

// runBenchReport is `ripen-dev bench-report [--runs N] [--events N]
// [--answers N] [--out FILE]`: how long a journey's report takes over a
// seeded history (issue 18's goal: under a second over 100,000 runs and
// 1,000,000 events). It needs Postgres only.
func runBenchReport(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ripen-dev bench-report", flag.ContinueOnError)
	fs.SetOutput(out)
	runs := fs.Int("runs", 100000, "runs (and accounts) to seed")
	events := fs.Int("events", 1000000, "events to seed")
	answers := fs.Int("answers", 6, "reports to time; the first is cold")
	outFile := fs.String("out", "bench-report.json", "write the figures as JSON to this file")
	databaseURL := fs.String("database-url", "", "Postgres server; a fresh database ripen_report_bench_<unix> is made on it (default $DATABASE_URL or the local server)")
	keep := fs.Bool("keep", false, "keep the database afterwards")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *runs < 1 || *events < 0 || *answers < 1 {
		return fmt.Errorf("ripen-dev bench-report: want --runs ≥ 1, --events ≥ 0, --answers ≥ 1 and no arguments")
	}
	server := *databaseURL
	if server == "" {
		server = os.Getenv("DATABASE_URL")
	}
	if server == "" {
		server = config.DefaultDatabaseURL
	}
	res, err := bench.ReportingBench(ctx, server, *runs, *events, *answers, *keep, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "report over %d runs, %d events, %d emails, %d hand-offs (seeded in %.1f s): cold %.0f ms, warm p50 %.0f ms, max %.0f ms\n",
		res.Runs, res.Events, res.Sends, res.Handoffs, res.SeedS, res.ColdMs, res.WarmP50, res.WarmMax)
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*outFile, append(b, '\n'), 0o644)
}
