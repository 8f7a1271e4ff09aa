package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ripen/ripen/internal/capacity"
)

// runCapacity sizes ripen for a population of accounts from a bench
// report: `ripen-dev capacity --from bench.json [--markdown]`. Every
// assumption of the model is a flag; docs/capacity.md explains them.
func runCapacity(args []string, out io.Writer) error {
	sc, as := capacity.DefaultScenario(), capacity.DefaultAssumptions()
	fs := flag.NewFlagSet("ripen-dev capacity", flag.ContinueOnError)
	from := fs.String("from", "", "the JSON report of `ripen-dev bench --out` (required)")
	markdown := fs.Bool("markdown", false, "print Markdown, the body of docs/capacity.md, instead of tables")
	fs.Float64Var(&sc.Accounts, "accounts", sc.Accounts, "customer accounts")
	fs.Float64Var(&sc.Contacts, "contacts", sc.Contacts, "contacts per account")
	fs.Float64Var(&sc.JourneysPerYear, "journeys-per-year", sc.JourneysPerYear, "journeys (runs) per account and year")
	as.Register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || fs.NArg() > 0 {
		return errors.New("usage: ripen-dev capacity --from bench.json [--accounts N --contacts N --journeys-per-year N …] [--markdown]")
	}
	f, err := os.Open(*from)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := capacity.ReadBench(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *from, err)
	}
	m, err := capacity.Compute(b, sc, as)
	if err != nil {
		return err
	}
	if *markdown {
		return m.WriteMarkdown(out)
	}
	return m.WriteText(out)
}
