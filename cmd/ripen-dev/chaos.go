package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ripen/ripen/internal/chaos"
	"github.com/ripen/ripen/internal/devtemporal"
)

// runChaos runs the fault-injection suite: the stack as separate processes
// (this binary's `temporal` command, the ripen binary's worker, api and
// sendgrid-dev), faults while customers go through a journey in seconds,
// then the invariants. It exits non-zero on any violation.
func runChaos(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ripen-dev chaos", flag.ContinueOnError)
	short := fs.Bool("short", false, "the CI form: 100 customers, 3 worker kills, no Postgres restart, a few minutes")
	customers := fs.Int("customers", 0, "customers to enrol (default 1000; 100 with --short)")
	outFile := fs.String("out", "", "write the figures to this file (default RELIABILITY.md for the full form, none for --short)")
	keep := fs.Bool("keep", false, "keep the database, Temporal's data and the processes' logs")
	noPG := fs.Bool("no-postgres-restart", false, "do not restart the local Postgres mid-run (it affects everyone on the machine)")
	ripenBin := fs.String("ripen", "", "the ripen binary (default: next to this one, else built with go build, else on PATH)")
	workDir := fs.String("work-dir", "", "where logs and Temporal's data go (default a temporary directory)")
	dbURL := fs.String("database-url", "", "Postgres server URL (default $DATABASE_URL or the local server); a fresh database is made on it")
	seed := fs.Uint64("seed", 0, "repeat a run's random choices (0 draws a seed)")
	kills := fs.Int("worker-kills", -1, "worker kills (default 20; 3 with --short)")
	store := fs.String("temporal-store", "sqlite", "the Temporal server's store: sqlite, or postgres (databases next to the run's, dropped with it)")
	shards := fs.String("temporal-shards", "", "the Temporal server's history shards (default 1 on sqlite, 4 on postgres)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := chaos.Defaults(*short)
	st, err := devtemporal.ParseStore(*store)
	if err != nil {
		return err
	}
	cfg.TemporalStore = string(st)
	if *shards != "" {
		n, err := devtemporal.ParseShards(*shards)
		if err != nil {
			return err
		}
		cfg.TemporalShards = int(n)
	}
	if *customers > 0 {
		cfg.Customers = *customers
	}
	if *kills >= 0 {
		cfg.WorkerKills = *kills
	}
	if *noPG {
		cfg.RestartPostgres = false
	}
	if *dbURL != "" {
		cfg.DatabaseURL = *dbURL
	}
	cfg.Keep, cfg.WorkDir, cfg.Seed, cfg.Progress = *keep, *workDir, *seed, out
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cfg.TemporalCommand = []string{self, "temporal"}
	var cleanup func()
	if cfg.RipenBin, cleanup, err = findRipen(ctx, *ripenBin, self, out); err != nil {
		return err
	}
	defer cleanup()
	if *outFile == "" && !*short {
		*outFile = "RELIABILITY.md"
	}

	rep, err := chaos.Run(ctx, cfg)
	if err != nil {
		return err
	}
	rep.Print(out)
	if *outFile != "" {
		if err := rep.WriteFile(*outFile); err != nil {
			return err
		}
		fmt.Fprintf(out, "figures written to %s\n", *outFile)
	}
	if n := rep.Violations(); n > 0 {
		return fmt.Errorf("chaos: %d violations", n)
	}
	fmt.Fprintln(out, "chaos: every invariant held")
	return nil
}

// findRipen finds the production binary: the flag, a `ripen` next to this
// binary, one built from the module in the working directory (removed by
// cleanup), or else one on PATH.
func findRipen(ctx context.Context, flagPath, self string, out io.Writer) (path string, cleanup func(), err error) {
	cleanup = func() {}
	if flagPath != "" {
		path, err = filepath.Abs(flagPath)
		return path, cleanup, err
	}
	if p := filepath.Join(filepath.Dir(self), "ripen"); isFile(p) {
		return p, cleanup, nil
	}
	dir, err := os.MkdirTemp("", "ripen-chaos-bin-")
	if err != nil {
		return "", cleanup, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	bin := filepath.Join(dir, "ripen")
	fmt.Fprintln(out, "building ripen (go build ./cmd/ripen) …")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/ripen/ripen/cmd/ripen")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		cleanup()
		if p, lerr := exec.LookPath("ripen"); lerr == nil {
			fmt.Fprintf(out, "could not build ripen; using %s\n", p)
			path, err = filepath.Abs(p)
			return path, func() {}, err
		}
		return "", func() {}, errors.New("no ripen binary: pass --ripen, or run from the module so it can be built: " + stderr.String())
	}
	return bin, cleanup, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
