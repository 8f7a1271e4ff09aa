package simulate

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

func exampleJourney(t *testing.T) *journey.Definition {
	t.Helper()
	data, err := os.ReadFile("../journey/testdata/example.yaml")
	require.NoError(t, err)
	def, err := journey.Parse(data)
	require.NoError(t, err)
	return def
}

const day = 24 * 3600.0

func TestGreenBananaScriptRecyclesAfterNotReady(t *testing.T) {
	evs, err := ParseEvents([]byte(`
- {at: 2d, type: click, step: checklist}
- {at: 5d, type: fast-lane, offer: demo}
- {at: 6d, type: sales-feedback, outcome: not-ready}
- {at: 70d, type: fast-lane, offer: consultation, note: "budget approved"}
- {at: 71d, type: sales-feedback, outcome: won}
`))
	require.NoError(t, err)
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // Monday
	rep, err := Run(exampleJourney(t), evs, Options{Start: start})
	require.NoError(t, err)

	require.Equal(t, "won", rep.Outcome)
	require.True(t, rep.MQN)
	require.Equal(t, 2, rep.Cycles)
	require.Len(t, rep.Handoffs, 2)
	require.Equal(t, "fast-lane", rep.Handoffs[0].Reason)
	require.InDelta(t, 5*day, rep.Handoffs[0].AtS, 1)
	require.Equal(t, "consultation", rep.Handoffs[1].Offer)
	// Sends: checklist at enrolment; the click at day 2 ends wait-1 and skips
	// the reminder; the case study goes out at once.
	require.Equal(t, "checklist", rep.Sends[0].Step)
	require.Equal(t, "case-study", rep.Sends[1].Step)
	require.InDelta(t, 2*day, rep.Sends[1].AtS, 1)
	// Cool-down of 60 days from day 6: the second cycle starts on day 66, a
	// Thursday at 09:00, inside the send window.
	var second *Send
	for i := range rep.Sends {
		if rep.Sends[i].Cycle == 2 {
			second = &rep.Sends[i]
			break
		}
	}
	require.NotNil(t, second)
	require.Equal(t, "checklist", second.Step)
	require.InDelta(t, 66*day, second.AtS, 1)
	require.Contains(t, rep.Text(), "outcome won")
}

func TestSendsWaitForTheSendWindow(t *testing.T) {
	// Enrolled on a Saturday at 10:00: the first email waits for Monday 08:00.
	rep, err := Run(exampleJourney(t), []Event{{At: journey.Duration(3 * 24 * time.Hour), Type: "stop"}},
		Options{Start: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	require.Equal(t, "stopped", rep.Outcome)
	require.Len(t, rep.Sends, 1)
	require.InDelta(t, 46*3600, rep.Sends[0].AtS, 1)
}

func TestJourneyThatWaitsForSalesStopsAtTheHorizon(t *testing.T) {
	evs := []Event{{At: journey.Duration(time.Hour), Type: "fast-lane", Offer: "demo"}}
	rep, err := Run(exampleJourney(t), evs, Options{Start: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Horizon: 30 * 24 * time.Hour})
	require.NoError(t, err)
	require.Equal(t, "running", rep.Outcome)
	require.Equal(t, "handoff", rep.Stage)
}

func TestBadEventsNameTheField(t *testing.T) {
	_, err := ParseEvents([]byte(`
- {at: 1d, type: clack}
- {at: 2d, type: fast-lane}
- {at: 3d, type: sales-feedback, outcome: maybe}
`))
	require.ErrorContains(t, err, "events[0].type")
	require.ErrorContains(t, err, "events[1].offer")
	require.ErrorContains(t, err, "events[2].outcome")
}
