package console

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/simulate"
)

const demoJourney = `id: erp-automation-crosssell
name: Automation add-on for ERP customers
offer: {kind: cross-sell, product: automation-suite}
persona: ops-lead
audience: {personas: [ops-lead, it-lead]}
detector: {topics: [process-automation], min_events: 2, within: 14d}
scoring: {points: {open: 1, click: 10, visit: 5, download: 15}, half_life: 30d}
mqn: {threshold: 40, fast_lane: [consultation, demo, price-indication]}
handoff: {sla: 2d, recycle_after: 60d, max_recycles: 2}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 4d, until: click}
  - {id: reminder, if: "!clicked('checklist')", send: automation-checklist-reminder}
  - {id: case-study, send: erp-automation-case-study}
  - {id: wait-2, wait: 14d, until: fast_lane}
  - {id: nudge, if: "score < 20 && days_in_journey < 90", goto: case-study}
`

// The example timeline runs as it comes, for the journey's buying group,
// and the score drawn from it is the score the run handed off with.
func TestTheExampleTimelineRunsAndItsScoreCurveMeetsTheRunsScore(t *testing.T) {
	def, err := journey.Parse([]byte(demoJourney))
	require.NoError(t, err)
	events, contacts := ExampleTimeline(def)
	cs, err := simulate.ParseContacts([]byte(contacts))
	require.NoError(t, err)
	require.Len(t, cs, 2, "a contact for each of the audience's personas")
	require.Equal(t, "it-lead", cs[1].Persona)
	evs, err := simulate.ParseEvents([]byte(events), def, cs)
	require.NoError(t, err, events)

	rep, err := simulate.Run(def, evs, simulate.Options{Contacts: cs})
	require.NoError(t, err)
	require.Equal(t, "accepted", rep.Outcome)
	require.Len(t, rep.Handoffs, 1)
	h := rep.Handoffs[0]
	require.Equal(t, "score", h.Reason, "the example passes the threshold by its score")

	curve := scoreCurve(def, evs, rep)
	require.NotEmpty(t, curve)
	at := func(day float64) float64 {
		v := 0.0
		for _, p := range curve {
			if p.Day <= day {
				v = p.Score
			}
		}
		return v
	}
	require.InDelta(t, h.Score, at(h.AtS/86400), 0.1, "the curve at the hand-off is the score the run handed off with")
	require.InDelta(t, rep.Score, curve[len(curve)-1].Score, 0.1, "and at the end the run's final score")
	require.Equal(t, 0.0, curve[0].Score)
}
