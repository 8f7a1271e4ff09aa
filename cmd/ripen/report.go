package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/ripen/ripen/reports"
	"github.com/ripen/ripen/store"
)

// runReport is `ripen report JOURNEY [--json] [--version N] [--from D]
// [--to D]`: the journey's report from Postgres, as a table or as the
// API's JSON.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ripen report", stderr)
	asJSON := fs.Bool("json", false, "print the report as the API's JSON")
	version := fs.String("version", "", "one version `N` (default: all)")
	from := fs.String("from", "", "runs started at or after `DATE` (2026-03-01, or an RFC 3339 time)")
	to := fs.String("to", "", "runs started up to and including `DATE` (or before an RFC 3339 time)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	id, err := oneArg(pos, "JOURNEY, the journey's ID")
	if err != nil {
		return err
	}
	f, err := reports.ParseFilter(*version, *from, *to)
	if err != nil {
		return err
	}
	cfg, _, err := setup()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := reports.New(st).Journey(ctx, id, f)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return printReport(stdout, r)
}

// printReport writes the report as tables a terminal shows well.
func printReport(out io.Writer, r reports.Report) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(out, "Journey %s", r.JourneyID)
	if r.Version > 0 {
		fmt.Fprintf(out, " v%d", r.Version)
	}
	if r.From != nil {
		fmt.Fprintf(out, ", runs from %s", r.From.Format("2006-01-02 15:04"))
	}
	if r.To != nil {
		fmt.Fprintf(out, ", runs before %s", r.To.Format("2006-01-02 15:04"))
	}
	fmt.Fprintln(out)
	fmt.Fprintln(w, "\tenrolled\temailed\tengaged\tMQN\thanded off\taccepted\twon\tconverted\tMQN rate\tp-value\t")
	row := func(name string, f reports.Funnel, rate, p string) {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", name,
			f.Enrolled, f.Emailed, f.Engaged, f.MQN, f.HandedOff, f.Accepted, f.Won, f.Converted, rate, p)
	}
	percent := func(g reports.Group) string { return fmt.Sprintf("%.1f%%", 100*g.MQNRate) }
	all := reports.Group{Funnel: r.Funnel}
	if r.Funnel.Enrolled > 0 {
		all.MQNRate = float64(r.Funnel.MQN) / float64(r.Funnel.Enrolled)
	}
	row("all runs", r.Funnel, percent(all), "")
	if h := r.Holdout; h != nil {
		row("treated", h.Treated.Funnel, percent(h.Treated), "")
		row("held out", h.Funnel, percent(h.Group), pNote(h.PValue))
	}
	steps := make([]string, 0, len(r.Arms))
	for step := range r.Arms {
		steps = append(steps, step)
	}
	slices.Sort(steps)
	for _, step := range steps {
		sp := r.Arms[step]
		arms := make([]string, 0, len(sp.Arms))
		for arm := range sp.Arms {
			arms = append(arms, arm)
		}
		slices.Sort(arms)
		for i, arm := range arms {
			note := ""
			if i == len(arms)-1 {
				note = pNote(sp.PValue)
			}
			row(step+" "+arm, sp.Arms[arm].Funnel, percent(sp.Arms[arm]), note)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(r.Content) > 0 {
		fmt.Fprintln(out)
		fmt.Fprintln(w, "content\tsent\topened\tclicked\tMQN within 30d\t")
		for _, c := range r.Content {
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t\n", c.ContentID, c.Sent, c.Opened, c.Clicked, c.MQNWithin30d)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if t := r.TimeToMQN; t != nil {
		fmt.Fprintf(out, "\ntime to MQN (%d runs): p50 %.1f days, p90 %.1f days\n", t.Runs, t.P50Days, t.P90Days)
	}
	return nil
}

// pNote is the p-value on the last row of a comparison: whether its
// groups' MQN rates differ by more than chance ("-": nothing to test).
func pNote(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.4f", *p)
}
