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
	"slices"
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
  ripen report JOURNEY [--json] [--version N] [--from DATE] [--to DATE]
  ripen apikeys create --role ROLE --label TEXT [--owner OWNER_ID] [--expires 90d]
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
	switch {
	case isHelp(cmd):
		return help(ctx, rest, stdout, stderr)
	case cmd == "journeys":
		return runJourneys(ctx, rest, stdout, stderr) // answers --help per subcommand
	case helpRequested(rest):
		return help(ctx, []string{cmd}, stdout, stderr)
	}
	if c, ok := commands[cmd]; ok {
		return c(ctx, rest, stdout, stderr)
	}
	fmt.Fprintf(stderr, "ripen: unknown command %q\n\n%s", cmd, usage)
	return exitError(2)
}

// commands are ripen's commands but journeys, each given the arguments after
// its name.
var commands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"worker": func(ctx context.Context, args []string, _, stderr io.Writer) error {
		return runWorker(ctx, args, stderr)
	},
	"api":     func(ctx context.Context, args []string, _, stderr io.Writer) error { return runAPI(ctx, args, stderr) },
	"migrate": runMigrate,
	"report":  runReport,
	"apikeys": runAPIKeys,
	"sendgrid-dev": func(ctx context.Context, args []string, _, stderr io.Writer) error {
		return runSendGridDev(ctx, args, stderr)
	},
	"healthcheck": runHealthcheck,
}

// help answers `ripen help [COMMAND]` and `ripen COMMAND --help`: the usage
// on stdout and exit 0, since it was asked for.
func help(ctx context.Context, topic []string, stdout, stderr io.Writer) error {
	if len(topic) == 0 {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch cmd := topic[0]; cmd {
	case "journeys":
		return runJourneys(ctx, append(slices.Clone(topic[1:]), "--help"), stdout, stderr)
	case "apikeys":
		// runAPIKeys opens the database before it reads its flags, so its
		// help cannot come from them.
		fmt.Fprintf(stdout, "usage:\n%s", synopsis("ripen apikeys"))
		return nil
	default:
		c, ok := commands[cmd]
		if !ok {
			fmt.Fprintf(stderr, "ripen help: unknown command %q\n\n%s", cmd, usage)
			return exitError(2)
		}
		// The other commands read their flags before anything else, so -h
		// has their flag set print its usage (to what they take as stderr)
		// and ends them with exit 2, as the flag package does.
		err := c(ctx, []string{"-h"}, io.Discard, stdout)
		if code := exitError(0); errors.As(err, &code) && code == 2 {
			return nil
		}
		return err
	}
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

// helpRequested reports whether a command's arguments ask for help: "help"
// first, or a help flag anywhere before "--", as the flag package would
// read it.
func helpRequested(args []string) bool {
	if len(args) > 0 && args[0] == "help" {
		return true
	}
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a != "help" && isHelp(a) {
			return true
		}
	}
	return false
}

// synopsis returns the lines of usage that show command, e.g. "ripen
// migrate" (both of its forms).
func synopsis(command string) string {
	var b strings.Builder
	for line := range strings.Lines(usage) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), command); ok && (rest == "" || rest[0] == ' ') {
			b.WriteString(line)
		}
	}
	return b.String()
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

// newFlags returns a flag set whose usage shows the command's lines of the
// main usage, then its flags.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { printUsage(fs) }
	return fs
}

func printUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "usage:\n%s", synopsis(fs.Name()))
	flags := false
	fs.VisitAll(func(*flag.Flag) { flags = true })
	if flags {
		fmt.Fprintf(w, "\n%s flags:\n", fs.Name())
		fs.PrintDefaults()
	}
}

func oneArg(pos []string, what string) (string, error) {
	if len(pos) != 1 {
		return "", fmt.Errorf("want exactly one %s, got %d (%s)", what, len(pos), strings.Join(pos, " "))
	}
	return pos[0], nil
}
