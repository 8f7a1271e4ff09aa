package simulate

import (
	"fmt"
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
	fmt.Fprintf(&b, "journey %s%s, enrolled %s\n\n", r.Journey, version, r.Start.Format("Mon 2006-01-02 15:04 MST"))
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
