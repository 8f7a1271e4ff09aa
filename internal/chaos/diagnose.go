package chaos

import (
	"fmt"
	"io"
	"strings"
)

// failureMode is a known way for ripen to break an invariant, recognised by
// the violations it leaves, with its cause in plain words. Recognising them
// keeps a long list of violations readable; a violation no mode explains is
// new and needs a look.
type failureMode struct {
	Name  string
	Cause string
	match func(inv string, v Violation) bool
}

var failureModes = []failureMode{
	{
		Name: "a second MQN in a cycle gets the first, closed hand-off back",
		Cause: "After sales answer \"rejected\", the run nurtures on in the same cycle. When it qualifies again (a fast lane, " +
			"or the score), the hand-off is recorded under the store's idempotency key (run, cycle), which already holds the " +
			"closed hand-off: the store hands that one back. The run then waits for sales on a hand-off the inbox shows as " +
			"answered, sends no owner email, and the new request is lost; the run never ends.",
		match: func(inv string, v Violation) bool {
			return strings.Contains(v.Detail, "closed hand-off back") ||
				(inv == invRuns && strings.Contains(v.Detail, "which the inbox shows as")) ||
				(inv == invFastLane && strings.Contains(v.Detail, "the run still running"))
		},
	},
	{
		Name: "two answers to one hand-off are both acknowledged",
		Cause: "Sales answer a hand-off twice at once with different outcomes. The run takes one answer (an update) and " +
			"records it with an activity; the other update is refused, and the API then closes the hand-off in the store " +
			"itself with its outcome, before the run's activity gets there. Both callers get 200; the hand-off keeps one " +
			"outcome, the run acts on the other (and its own CloseHandoff fails as a conflict).",
		match: func(inv string, v Violation) bool {
			return strings.Contains(v.Detail, "both acknowledged") || strings.Contains(v.Detail, "but the hand-off says") ||
				strings.Contains(v.Detail, "but its hand-off says") ||
				// The customer asked again after the inbox said "rejected",
				// while the run was acting on the other answer.
				(inv == invFastLane && (strings.Contains(v.Detail, "the run ended won") ||
					strings.Contains(v.Detail, "the run ended accepted") || strings.Contains(v.Detail, "the run ended lost")))
		},
	},
	{
		Name: "a signal that arrives with a timer is applied after the run acted on the timer",
		Cause: "Signals are applied by a separate coroutine; when a signal and a timer land in the same workflow task, the " +
			"main loop runs first and acts on the timer (the next step's send, or the end of the journey) before the " +
			"signal is applied. An unsubscribe then comes after one more send decision; a fast lane that arrives as the " +
			"last wait ends is dropped, because the run has already finished (it accepts signals until its last activity " +
			"returns, so the API showed the thank-you page). Worker kills make it likely: delayed workflow tasks collect " +
			"both events.",
		match: func(inv string, v Violation) bool {
			return strings.Contains(v.Detail, "after it had received the unsubscribe signal") ||
				(inv == invFastLane && strings.Contains(v.Detail, "the run ended not-qualified"))
		},
	},
	{
		Name: "sales feedback times out waiting for a slow run and answers 500",
		Cause: "POST /v1/handoffs/{id}/feedback waits (as an update) until the run has acted on the answer. When the run's " +
			"workflow tasks are delayed (a killed worker's sticky queue, a busy machine) the wait runs out and the API " +
			"answers a bare 500, although the answer may still be applied: the caller cannot tell.",
		match: func(_ string, v Violation) bool {
			return strings.Contains(v.Detail, "/feedback answered 500")
		},
	},
}

// diagnosis counts the violations each known failure mode explains, and
// those none does.
type diagnosis struct {
	Modes       []failureMode
	Counts      []int
	Unexplained int
}

func (r *Report) diagnose() diagnosis {
	d := diagnosis{Modes: failureModes, Counts: make([]int, len(failureModes))}
	for _, inv := range r.Invariants {
		for _, v := range inv.Violations {
			found := false
			for i, m := range failureModes {
				if m.match(inv.Name, v) {
					d.Counts[i]++
					found = true
					break
				}
			}
			if !found {
				d.Unexplained++
			}
		}
	}
	return d
}

// print writes one line per failure mode seen.
func (d diagnosis) print(w io.Writer, markdown bool) {
	for i, m := range d.Modes {
		if d.Counts[i] == 0 {
			continue
		}
		if markdown {
			fmt.Fprintf(w, "- **%s** (%d violations). %s\n", m.Name, d.Counts[i], m.Cause)
		} else {
			fmt.Fprintf(w, "  %3d  %s\n", d.Counts[i], m.Name)
		}
	}
	if d.Unexplained > 0 {
		if markdown {
			fmt.Fprintf(w, "- **not explained by a known failure mode** (%d violations): see the list below.\n", d.Unexplained)
		} else {
			fmt.Fprintf(w, "  %3d  not explained by a known failure mode\n", d.Unexplained)
		}
	}
}
