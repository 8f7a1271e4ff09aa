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
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/simulate"
	"github.com/ripen/ripen/store"
)

func runJourneys(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		journeysUsage(stderr)
		return exitError(2)
	}
	switch args[0] {
	case "validate":
		return journeysValidate(args[1:], stdout, stderr)
	case "simulate":
		return journeysSimulate(args[1:], stdout, stderr)
	}
	if isHelp(args[0]) {
		journeysUsage(stdout)
		return nil
	}
	fmt.Fprintf(stderr, "ripen journeys: unknown command %q (validate or simulate)\n\n", args[0])
	journeysUsage(stderr)
	return exitError(2)
}

// journeysUsage shows both subcommands and their flags.
func journeysUsage(w io.Writer) {
	fmt.Fprintf(w, "usage:\n%s", synopsis("ripen journeys"))
	for _, fs := range []*flag.FlagSet{validateFlags(w).fs, simulateFlags(w).fs} {
		fmt.Fprintf(w, "\n%s flags:\n", fs.Name())
		fs.PrintDefaults()
	}
}

// validateArgs are the flags of `ripen journeys validate`.
type validateArgs struct {
	fs      *flag.FlagSet
	content *string
}

func validateFlags(stderr io.Writer) validateArgs {
	fs := newFlags("ripen journeys validate", stderr)
	return validateArgs{
		fs:      fs,
		content: fs.String("content", "", "a YAML/JSON `FILE` listing content blocks or ids; a step that sends content not in it is then a problem"),
	}
}

// simulateArgs are the flags of `ripen journeys simulate`.
type simulateArgs struct {
	fs                     *flag.FlagSet
	content, events, start *string
	timezone               *string
	contacts, customer     *string
	json                   *bool
}

func simulateFlags(stderr io.Writer) simulateArgs {
	fs := newFlags("ripen journeys simulate", stderr)
	return simulateArgs{
		fs:       fs,
		content:  fs.String("content", "", "a YAML/JSON `FILE` listing content blocks or ids, to check what steps send; blocks with variants choose each contact's email"),
		events:   fs.String("events", "", "a YAML `FILE` listing scripted events, times relative to enrolment (required)"),
		contacts: fs.String("contacts", "", "a YAML `FILE` listing the account's contacts (id, persona, locale, timezone; default: one contact c1)"),
		customer: fs.String("customer", "", "the customer `ID` to simulate (default simulated-customer): the arm it takes at each split and whether the holdout holds it out"),
		start:    fs.String("start", "", "enrolment time, RFC 3339 (default: next Monday 09:00 in --timezone)"),
		timezone: fs.String("timezone", "", "the IANA time zone of the send window and report, e.g. Europe/Berlin (default: the first contact's, else UTC)"),
		json:     fs.Bool("json", false, "print one JSON object instead of the timeline"),
	}
}

// flagsHelp prints fs's usage on stdout when args ask for help, as the
// flag package would on stderr with exit 2: help that was asked for is an
// answer, not a mistake.
func flagsHelp(fs *flag.FlagSet, args []string, stdout io.Writer) bool {
	if !helpRequested(args) {
		return false
	}
	fs.SetOutput(stdout)
	fs.Usage()
	return true
}

// loadJourney parses and validates FILE, printing FILE:LINE: field: problem
// lines to stderr and answering exit 1 when it has problems.
func loadJourney(file, contentFile string, stderr io.Writer) (*journey.Definition, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var opt journey.ValidateOptions
	if contentFile != "" {
		ids, err := loadContentIDs(contentFile)
		if err != nil {
			return nil, err
		}
		opt.Content = func(id string) bool { return ids[id] }
	}
	def, err := journey.ParseWith(data, opt)
	var probs journey.Problems
	if errors.As(err, &probs) {
		for _, l := range probs.Lines(file) {
			fmt.Fprintln(stderr, l)
		}
		return nil, exitError(1)
	}
	return def, err
}

// printProblems prints err's problems as FILE:LINE: field: problem lines
// and reports whether it had any.
func printProblems(err error, file string, stderr io.Writer) bool {
	var probs journey.Problems
	if !errors.As(err, &probs) {
		return false
	}
	for _, l := range probs.Lines(file) {
		fmt.Fprintln(stderr, l)
	}
	return true
}

// loadContentBlocks reads the blocks of a content file, the simulator's
// library for each contact's variant: the file's YAML fields are the API's
// JSON ones (variants, persona, locale, email). Plain ids are left out:
// their emails are the base ones.
func loadContentBlocks(file string) (map[string]store.Content, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var items []yaml.Node
	if err := yaml.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("%s: want a list of content blocks or ids: %w", file, err)
	}
	lib := map[string]store.Content{}
	for i, n := range items {
		if n.Kind != yaml.MappingNode {
			continue
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s:%d: content[%d]: %w", file, n.Line, i, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: content[%d]: %w", file, n.Line, i, err)
		}
		var c store.Content
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("%s:%d: content[%d]: %w", file, n.Line, i, err)
		}
		lib[c.ID] = c
	}
	return lib, nil
}

// loadContentIDs reads a content file: a YAML or JSON list of content blocks
// (with an `id`) or of plain ids.
func loadContentIDs(file string) (map[string]bool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var items []yaml.Node
	if err := yaml.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("%s: want a list of content blocks or ids: %w", file, err)
	}
	ids := map[string]bool{}
	for i, n := range items {
		var id string
		if n.Kind == yaml.ScalarNode {
			id = n.Value
		} else {
			var c struct {
				ID string `yaml:"id"`
			}
			_ = n.Decode(&c)
			id = c.ID
		}
		if id == "" {
			return nil, fmt.Errorf("%s:%d: content[%d]: has no id", file, n.Line, i)
		}
		ids[id] = true
	}
	return ids, nil
}

func journeysValidate(args []string, stdout, stderr io.Writer) error {
	f := validateFlags(stderr)
	fs, content := f.fs, f.content
	if flagsHelp(fs, args, stdout) {
		return nil
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	file, err := oneArg(pos, "journey FILE")
	if err != nil {
		return usageError(fs, stderr, "%v", err)
	}
	def, err := loadJourney(file, *content, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok: journey %s%s (%s %s), %d steps, MQN at %g points or %s\n",
		file, def.ID, versionText(def.Version), def.Offer.Kind, def.Offer.Product, len(def.Steps), def.MQN.Threshold, fastLaneText(def.MQN.FastLane))
	return nil
}

// versionText is " v3", or nothing for a file that was never published.
func versionText(v int) string {
	if v <= 0 {
		return ""
	}
	return fmt.Sprintf(" v%d", v)
}

// fastLaneText says which fast-lane requests qualify at once: an empty list
// means every offer.
func fastLaneText(offers []string) string {
	if len(offers) == 0 {
		return "a fast-lane request for any offer"
	}
	return "a fast-lane request for " + strings.Join(offers, ", ")
}

// usageError reports a mistake in the command line the way the flag package
// does (the message, then the flags) and exits 2.
func usageError(fs *flag.FlagSet, stderr io.Writer, format string, args ...any) error {
	fmt.Fprintf(stderr, "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return exitError(2)
}

func journeysSimulate(args []string, stdout, stderr io.Writer) error {
	f := simulateFlags(stderr)
	fs, content, eventsFile, start, tz, asJSON := f.fs, f.content, f.events, f.start, f.timezone, f.json
	if flagsHelp(fs, args, stdout) {
		return nil
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	file, err := oneArg(pos, "journey FILE")
	if err != nil {
		return usageError(fs, stderr, "%v", err)
	}
	if *eventsFile == "" {
		return usageError(fs, stderr, "--events FILE is required")
	}
	opt := simulate.Options{Timezone: *tz, Customer: *f.customer}
	if _, err := simulate.LoadTimezone(*tz); err != nil {
		return usageError(fs, stderr, "--timezone: %v", err)
	}
	if *start != "" {
		if opt.Start, err = time.Parse(time.RFC3339, *start); err != nil {
			return usageError(fs, stderr, "--start %q: want RFC 3339 such as 2026-11-30T09:00:00+01:00", *start)
		}
	}
	def, err := loadJourney(file, *content, stderr)
	var code exitError
	if err != nil && !errors.As(err, &code) {
		return err
	}
	// Check the contacts and events even when the journey has problems, so
	// that one run reports every mistake (steps and offers are checked once
	// it has none; events' contacts once the contacts have none).
	var failed bool
	if *f.contacts != "" {
		data, readErr := os.ReadFile(*f.contacts)
		if readErr != nil {
			return readErr
		}
		opt.Contacts, readErr = simulate.ParseContacts(data)
		if printProblems(readErr, *f.contacts, stderr) {
			failed = true
		} else if readErr != nil {
			return readErr
		}
	}
	data, readErr := os.ReadFile(*eventsFile)
	if readErr != nil {
		return readErr
	}
	var evs []simulate.Event
	if !failed {
		var evErr error
		evs, evErr = simulate.ParseEvents(data, def, opt.Contacts)
		if printProblems(evErr, *eventsFile, stderr) {
			failed = true
		} else if evErr != nil {
			return evErr
		}
	}
	if failed {
		return exitError(1)
	}
	if err != nil {
		return err
	}
	if *content != "" {
		if opt.Content, err = loadContentBlocks(*content); err != nil {
			return err
		}
	}
	rep, err := simulate.Run(def, evs, opt)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	_, err = io.WriteString(stdout, rep.Text())
	return err
}
