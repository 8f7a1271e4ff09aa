package simulate

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
`), exampleJourney(t), nil)
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

// at is a journey duration of d days and h hours, for scripts built in Go.
func at(days, hours int) journey.Duration {
	return journey.Duration(time.Duration(days*24+hours) * time.Hour)
}

func TestEveryOutcome(t *testing.T) {
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // Monday
	fastLane := func(d int) Event { return Event{At: at(d, 0), Type: "fast-lane", Offer: "demo"} }
	feedback := func(d int, outcome string) Event {
		return Event{At: at(d, 0), Type: "sales-feedback", Outcome: outcome}
	}
	tests := []struct {
		name    string
		events  []Event
		outcome string
		mqn     bool
		cycles  int
		check   func(t *testing.T, rep *Report)
	}{
		{name: "sales accept the hand-off", events: []Event{fastLane(1), feedback(2, "accepted")}, outcome: "accepted", mqn: true, cycles: 1},
		{name: "sales won the deal", events: []Event{fastLane(1), feedback(2, "won")}, outcome: "won", mqn: true, cycles: 1},
		{name: "sales lost the deal", events: []Event{fastLane(1), feedback(2, "lost")}, outcome: "lost", mqn: true, cycles: 1},
		{name: "a customer who never engages runs out of steps", outcome: "not-qualified", cycles: 1, check: func(t *testing.T, rep *Report) {
			assert.Empty(t, rep.Handoffs)
			assert.GreaterOrEqual(t, rep.EndS, 90*day, "the nudge loops back until day 90")
		}},
		{name: "unsubscribe ends the run and nothing is sent after it", events: []Event{{At: at(3, 0), Type: "unsubscribe"}}, outcome: "unsubscribed", cycles: 1, check: func(t *testing.T, rep *Report) {
			for _, s := range rep.Sends {
				assert.Less(t, s.AtS, 3*day, "sent after unsubscribing: %+v", s)
			}
		}},
		{name: "stop ends the run", events: []Event{{At: at(3, 0), Type: "stop"}}, outcome: "stopped", cycles: 1},
		{name: "not-ready more often than max_recycles allows", events: []Event{
			fastLane(1), feedback(2, "not-ready"), // cool-down of 60 days: cycle 2 on day 62
			fastLane(63), feedback(64, "not-ready"), // cycle 3 on day 124
			fastLane(125), feedback(126, "not-ready"), // max_recycles is 2
		}, outcome: "max-recycles", mqn: true, cycles: 3, check: func(t *testing.T, rep *Report) {
			assert.Len(t, rep.Handoffs, 3)
			assert.InDelta(t, 126*day, rep.EndS, 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Run(exampleJourney(t), tt.events, Options{Start: start})
			require.NoError(t, err)
			assert.Equal(t, tt.outcome, rep.Outcome)
			assert.Equal(t, tt.mqn, rep.MQN)
			assert.Equal(t, tt.cycles, rep.Cycles)
			assert.NotEmpty(t, rep.Sends)
			assert.Contains(t, rep.Text(), "outcome "+tt.outcome+" after day ")
			if tt.check != nil {
				tt.check(t, rep)
			}
		})
	}
}

func TestEventsFileProblemsHaveLinesAndFields(t *testing.T) {
	_, err := ParseEvents([]byte(`# every mistake is reported, with its line
- {at: 1d, type: clack}
- {at: 2d, type: fast-lane}
- {at: 3d, type: sales-feedback, outcome: maybe}
- {at: 4d, type: click, stpe: checklist}
- {at: 5d, type: click, step: chcklist}
- {at: 6d, type: open, step: wait-1}
- {at: 7d, type: visit}
- {at: 8d, type: fast-lane, offer: dmeo}
- {at: 9d, type: fast-lane, offer: checklist}
- {at: 10d, type: pause, step: checklist, offer: demo}
- {at: 300000d, type: stop}
- {type: resume}
`), exampleJourney(t), nil)
	var probs journey.Problems
	require.True(t, errors.As(err, &probs), "error is %T: %v", err, err)
	got := strings.Join(probs.Lines("events.yaml"), "\n")
	for _, want := range []string{
		`events.yaml:2: events[0].type: unknown event type "clack": want one of open, click, visit, download, fast-lane, sales-feedback, pause, resume, stop, unsubscribe; did you mean "click"?`,
		`events.yaml:3: events[1].offer: a fast-lane event needs an offer: one of consultation, demo, price-indication, checklist, implementation-note`,
		`events.yaml:4: events[2].outcome: unknown outcome "maybe": want one of accepted, won, lost, rejected, not-ready`,
		`events.yaml:5: events[3].step: a click event needs the step whose email was clicked`,
		`events.yaml:5: events[3].stpe: unknown field; did you mean "step"?`,
		`events.yaml:6: events[4].step: unknown step "chcklist": the journey's send steps are checklist, reminder, case-study; did you mean "checklist"?`,
		`events.yaml:7: events[5].step: step "wait-1" sends no email: click and open events name a send step; the journey's send steps are checklist, reminder, case-study`,
		`events.yaml:8: events[6].topic: a visit event needs the topic visited`,
		`events.yaml:9: events[7].offer: unknown fast-lane offer "dmeo": want one of consultation, demo, price-indication, checklist, implementation-note; did you mean "demo"?`,
		`events.yaml:10: events[8].offer: the journey's fast lane does not include "checklist" (mqn.fast_lane: consultation, demo, price-indication), so the request would qualify nothing`,
		`events.yaml:11: events[9].step: only click and open events name a step (the email clicked or opened)`,
		`events.yaml:11: events[9].offer: only fast-lane events have an offer`,
		`events.yaml:12: events[10].at: bad duration "300000d": longer than 100 years (36500d), the longest a journey may wait`,
		`events.yaml:13: events[11].at: at is required: when it happens after enrolment, e.g. 2d`,
	} {
		assert.Contains(t, got, want)
	}
	assert.Len(t, probs, 14, got)
}

func TestEventsFileThatIsNotAList(t *testing.T) {
	for name, doc := range map[string]string{
		"a mapping":      "at: 2d\ntype: click\n",
		"a syntax error": "- {at: 2d, type: click\n",
		"an empty file":  "# nothing yet\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseEvents([]byte(doc), exampleJourney(t), nil)
			var probs journey.Problems
			require.True(t, errors.As(err, &probs), "error is %T: %v", err, err)
			assert.Positive(t, probs[0].Line, "%v", probs)
		})
	}
	evs, err := ParseEvents([]byte("[]\n"), exampleJourney(t), nil)
	require.NoError(t, err)
	assert.Empty(t, evs)
	evs, err = ParseEvents([]byte(`[{"at": "2d", "type": "click",	"step": "checklist"}]`), exampleJourney(t), nil)
	require.NoError(t, err, "JSON, with a tab")
	assert.Equal(t, []Event{{At: at(2, 0), Type: "click", Step: "checklist"}}, evs)
}

func TestRunRefusesEventsThatDoNotFitTheJourney(t *testing.T) {
	_, err := Run(exampleJourney(t), []Event{{At: at(1, 0), Type: "click", Step: "wait-1"}, {At: at(2, 0), Type: "fast-lane", Offer: "checklist"}}, Options{})
	var probs journey.Problems
	require.True(t, errors.As(err, &probs), "error is %T: %v", err, err)
	require.Len(t, probs, 2)
	assert.Equal(t, "events[0].step", probs[0].Field)
	assert.Equal(t, "events[1].offer", probs[1].Field)
	// Without a journey only what needs none is checked.
	require.NoError(t, ValidateEvents([]Event{{At: at(1, 0), Type: "click", Step: "wait-1"}}))
	require.Error(t, ValidateEvents([]Event{{At: at(1, 0), Type: "fast-lane", Offer: "dmeo"}}))
}

func TestTimezoneMustBeAnIANAName(t *testing.T) {
	for _, tz := range []string{"Local", "Mars/Olympus_Mons", "europe/berlin", "CEST"} {
		t.Run(tz, func(t *testing.T) {
			_, err := Run(exampleJourney(t), nil, Options{Timezone: tz})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "IANA time zone name")
		})
	}
	for _, tz := range []string{"", "UTC", "Europe/Berlin", "America/New_York"} {
		_, err := LoadTimezone(tz)
		assert.NoError(t, err, tz)
	}
}

func TestTextLeavesOutAnUnpublishedVersion(t *testing.T) {
	rep := &Report{Journey: "j", Start: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Outcome: "stopped"}
	assert.True(t, strings.HasPrefix(rep.Text(), "journey j, enrolled Mon 2026-11-23 09:00 UTC\n"), rep.Text())
	rep.Version = 3
	assert.True(t, strings.HasPrefix(rep.Text(), "journey j v3, enrolled"), rep.Text())
	assert.Equal(t, "day 4", Day(4*day+3*3600))
}

// A script past the test environment's limits is refused up front, for the
// command line as for the API: a script of 999 events used to hang, and one
// reaching ~3,250 days to fail with a deadline.
func TestAScriptIsBoundedBelowTheTestEnvironmentsLimits(t *testing.T) {
	many := make([]Event, MaxEvents+1)
	for i := range many {
		many[i] = Event{At: journey.Duration(time.Hour), Type: "visit", Topic: "t"}
	}
	err := ValidateEvents(many)
	var probs journey.Problems
	require.ErrorAs(t, err, &probs)
	require.Len(t, probs, 1)
	require.Equal(t, "events", probs[0].Field)

	far := []Event{{At: journey.Duration(MaxAt + 24*time.Hour), Type: "visit", Topic: "t"}}
	require.ErrorAs(t, ValidateEvents(far), &probs)
	require.Equal(t, "events[0].at", probs[0].Field)
	require.NoError(t, ValidateEvents([]Event{{At: journey.Duration(MaxAt), Type: "visit", Topic: "t"}}))
}

// A valid journey can be slow to simulate: every timer costs wall-clock
// time, and this one fires one a second for more than a year of simulated
// time (hours of work). A deadline on the context stops it.
func TestRunContextStopsASimulationWhenTheContextEnds(t *testing.T) {
	def, err := journey.Parse([]byte("id: j\nname: J\noffer: {kind: repeat, product: p}\nscoring: {points: {click: 10}}\nmqn: {threshold: 10}\n" +
		"steps:\n  - {id: tick, wait: 1s}\n  - {id: again, goto: tick}\n"))
	require.NoError(t, err)
	budget := errors.New("over budget")
	ctx, cancel := context.WithTimeoutCause(context.Background(), 100*time.Millisecond, budget)
	defer cancel()
	rep, err := RunContext(ctx, def, nil, Options{})
	require.ErrorIs(t, err, budget)
	assert.Nil(t, rep)
	assert.Contains(t, err.Error(), "simulate j: stopped on day ")

	_, err = RunContext(ctx, def, nil, Options{})
	require.ErrorIs(t, err, budget, "a context that has ended starts nothing")
}
