package capacity

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// num writes v for reading: whole numbers with thousands separators,
// small ones with three significant digits.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	if math.Abs(v) >= 100 || v == math.Trunc(v) {
		return group(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// num2 writes v with two decimals (thousands separated).
func num2(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	whole, frac, _ := strings.Cut(s, ".")
	return group(whole) + "." + frac
}

func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func usd(v float64) string { return "$" + num(v) }

func usdPrice(v float64) string {
	if v >= 1 {
		return "$" + num2(v)
	}
	return "$" + strconv.FormatFloat(v, 'g', 3, 64)
}

func pct(v float64) string { return strconv.FormatFloat(v*100, 'f', 0, 64) + " %" }

func bytesText(v float64) string {
	switch {
	case v >= gib:
		return num2(v/gib) + " GiB"
	case v >= 1<<20:
		return num2(v/(1<<20)) + " MiB"
	case v >= 1<<10:
		return num2(v/(1<<10)) + " KiB"
	}
	return num(v) + " B"
}

// WriteText prints the model as tables for a terminal.
func (m *Model) WriteText(out io.Writer) error {
	fmt.Fprintf(out, "ripen capacity: %s accounts × %s contacts, %s journeys a year\n", num(m.Scenario.Accounts), num(m.Scenario.Contacts), num(m.Scenario.JourneysPerYear))
	fmt.Fprintf(out, "measured: bench (%s) of %s; %s; %s; %s\n\n", m.Bench.Mode, m.Bench.StartedAt, m.Bench.Machine, m.Bench.Temporal, m.Bench.Settings)
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	for _, s := range m.Sections {
		fmt.Fprintf(w, "== %s\n", s.Title)
		for _, r := range s.Rows {
			fmt.Fprintf(w, "%s\t%s\t%s\n", r.Figure, r.Value, r.How)
		}
		for _, a := range s.Advice {
			fmt.Fprintf(w, "→ %s\n", a)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "== Measured inputs")
	for _, in := range m.Inputs {
		fmt.Fprintf(w, "%s\t%s\t%s\n", in.Name, num2(in.Value), in.Path)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "== Assumptions (flags)")
	for _, a := range m.Assumptions {
		fmt.Fprintf(w, "%s\t%s\t%s\n", a.Flag, a.Value, a.Why)
	}
	if len(m.Missing) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "== Missing from the report")
		for _, s := range m.Missing {
			fmt.Fprintf(w, "- %s\n", s)
		}
	}
	return w.Flush()
}

// WriteMarkdown prints the model as Markdown: the generated body of
// docs/capacity.md.
func (m *Model) WriteMarkdown(out io.Writer) error {
	p := func(format string, args ...any) { fmt.Fprintf(out, format, args...) }
	cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	p("Model for **%s accounts × %s contacts, %s journeys a year**, from the bench (%s) of %s: %s; %s; %s.\n\n",
		num(m.Scenario.Accounts), num(m.Scenario.Contacts), num(m.Scenario.JourneysPerYear), m.Bench.Mode, m.Bench.StartedAt, m.Bench.Machine, m.Bench.Temporal, m.Bench.Settings)
	for _, s := range m.Sections {
		p("### %s\n\n| figure | value | how |\n| --- | --- | --- |\n", s.Title)
		for _, r := range s.Rows {
			p("| %s | %s | %s |\n", cell(strings.TrimSpace(r.Figure)), cell(r.Value), cell(r.How))
		}
		p("\n")
		for _, a := range s.Advice {
			p("- %s\n", a)
		}
		if len(s.Advice) > 0 {
			p("\n")
		}
	}
	p("### Measured inputs\n\n| input | value | from bench.json |\n| --- | --- | --- |\n")
	for _, in := range m.Inputs {
		p("| %s | %s | `%s` |\n", cell(in.Name), num2(in.Value), in.Path)
	}
	p("\n### Assumptions\n\n| flag | value | why |\n| --- | --- | --- |\n")
	for _, a := range m.Assumptions {
		p("| `%s` | %s | %s |\n", a.Flag, cell(a.Value), cell(a.Why))
	}
	if len(m.Missing) > 0 {
		p("\n### Missing from the report\n\n")
		for _, s := range m.Missing {
			p("- %s\n", s)
		}
	}
	return nil
}
