// Command ripen is the production binary: the Temporal worker, the HTTP API,
// migrations, offline journey checks, API keys and the local SendGrid server.
// It never links the embedded Temporal server (that lives in ripen-dev).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `ripen — a nurture orchestrator for existing B2B customers

usage:
  ripen worker                      run the Temporal worker (journeys and their activities)
  ripen api                         run the HTTP API
  ripen migrate [--create-database] apply the Postgres schema
  ripen migrate --check [--wait D]  exit 0 once the schema is up to date (changes nothing)
  ripen journeys validate FILE [--content FILE]
  ripen journeys simulate FILE --events FILE [--content FILE] [--start RFC3339] [--timezone TZ] [--json]
  ripen apikeys create --role ROLE --label TEXT
  ripen apikeys list
  ripen apikeys revoke ID
  ripen sendgrid-dev [--addr 127.0.0.1:8025] [--webhook-url URL]
  ripen healthcheck URL             exit 0 when URL answers 2xx (container health checks)

Configuration comes from the environment; see README.md.
`

// exitError carries a process exit code without printing anything more.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var code exitError
	switch {
	case err == nil:
	case errors.As(err, &code):
		os.Exit(int(code))
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "ripen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError(2)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "worker":
		return runWorker(ctx, rest, stderr)
	case "api":
		return runAPI(ctx, rest, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "journeys":
		return runJourneys(ctx, rest, stdout, stderr)
	case "apikeys":
		return runAPIKeys(ctx, rest, stdout, stderr)
	case "sendgrid-dev":
		return runSendGridDev(ctx, rest, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "ripen: unknown command %q\n\n%s", cmd, usage)
	return exitError(2)
}

// parseArgs parses flags that may come before or after positional arguments
// ("validate FILE --content X" reads naturally) and returns the positionals.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func oneArg(pos []string, what string) (string, error) {
	if len(pos) != 1 {
		return "", fmt.Errorf("want exactly one %s, got %d (%s)", what, len(pos), strings.Join(pos, " "))
	}
	return pos[0], nil
}
