package simulate

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Text renders the report for people: one line per moment, then a summary.
func (r *Report) Text() string {
	var b strings.Builder
	version := "" // a file that was never published has no version
	if r.Version > 0 {
		version = fmt.Sprintf(" v%d", r.Version)
	}
	fmt.Fprintf(&b, "journey %s%s, enrolled %s\n", r.Journey, version, r.Start.Format("Mon 2006-01-02 15:04 MST"))
	if r.Customer != "" {
		fmt.Fprintf(&b, "  customer %s\n", r.Customer)
	}
	for _, c := range r.Contacts {
		fmt.Fprintf(&b, "  contact %s%s\n", c.ID, contactText(c))
	}
	b.WriteString("\n")
	for _, e := range r.Timeline {
		at := r.Start.Add(time.Duration(e.AtS * float64(time.Second)))
		what := e.Detail
		if e.Step != "" {
			what = e.Step + ": " + e.Detail
		}
		fmt.Fprintf(&b, "  %-9s %s  %-16s %s\n", Day(e.AtS), at.Format("Mon 15:04"), e.Kind, what)
	}
	fmt.Fprintf(&b, "\noutcome %s after %s: %d emails, %d hand-offs, %d cycles, final score %.1f, MQN %v\n",
		r.Outcome, Day(r.EndS), len(r.Sends), len(r.Handoffs), r.Cycles, r.Score, r.MQN)
	if len(r.Arms) > 0 || r.Holdout {
		fmt.Fprintf(&b, "%s\n", experimentText(r))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}

// Day formats seconds since enrolment as the day of the journey it falls
// on, "day 4" (whole days since enrolment; the timeline prints the clock
// time beside it).
func Day(s float64) string {
	d := time.Duration(s * float64(time.Second))
	days := int(d / (24 * time.Hour))
	return fmt.Sprintf("day %d", days)
}

// contactText is what the report says of a contact besides the id.
func contactText(c Contact) string {
	var parts []string
	for _, p := range []string{c.Persona, c.Locale, c.Timezone} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// experimentText is the summary's line on experiments: the arms taken, in
// step ID order, and whether the account is held out.
func experimentText(r *Report) string {
	steps := slices.Sorted(maps.Keys(r.Arms))
	parts := make([]string, 0, len(steps)+1)
	for _, s := range steps {
		parts = append(parts, s+" → arm "+r.Arms[s])
	}
	if r.Holdout {
		parts = append(parts, "held out (no email)")
	}
	return "experiments: " + strings.Join(parts, ", ")
}
