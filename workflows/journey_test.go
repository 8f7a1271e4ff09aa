package workflows

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/testsuite"

	"github.com/ripen/ripen/journey"
)

// journeySuite runs the journey workflow in Temporal's test environment,
// where weeks pass at once, with fake activities; every test starts on a
// Monday at 09:00 UTC.
type journeySuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env   *testsuite.TestWorkflowEnvironment
	acts  *fakeActivities
	start time.Time
}

func TestJourney(t *testing.T) { suite.Run(t, new(journeySuite)) }

func (s *journeySuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.acts = &fakeActivities{env: s.env}
	s.env.RegisterActivity(s.acts)
	s.env.RegisterWorkflow(Journey)
	// A Monday, 09:00 UTC.
	s.start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	s.env.SetStartTime(s.start)
}

func (s *journeySuite) AfterTest(_, _ string) { s.env.AssertExpectations(s.T()) }

// at schedules fn at d after enrolment.
func (s *journeySuite) at(d time.Duration, fn func()) { s.env.RegisterDelayedCallback(fn, d) }

func (s *journeySuite) signal(d time.Duration, name string, arg any) {
	s.at(d, func() { s.env.SignalWorkflow(name, arg) })
}

func (s *journeySuite) run(def journey.Definition) Result {
	s.env.ExecuteWorkflow(Journey, Input{Journey: def, CustomerID: "acme"})
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var res Result
	s.Require().NoError(s.env.GetWorkflowResult(&res))
	return res
}

func (s *journeySuite) state() State {
	v, err := s.env.QueryWorkflow(QueryState)
	s.Require().NoError(err)
	var st State
	s.Require().NoError(v.Get(&st))
	return st
}

const day = 24 * time.Hour

// testJourneyYAML is the DESIGN example without a send window, so timing
// is easy to follow.
const testJourneyYAML = `
id: erp-automation-crosssell
version: 1
name: Automation add-on
offer: {kind: cross-sell, product: automation-suite}
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

func testJourney() journey.Definition {
	var def journey.Definition
	if _, probs := journey.DecodeYAML([]byte(testJourneyYAML), "journey", &def); len(probs) > 0 {
		panic(fmt.Sprint("test journey: ", probs))
	}
	return def
}

func click(id, step string) Engagement { return Engagement{EventID: id, Kind: "click", StepID: step} }

func (s *journeySuite) TestJourneyThatNeverQualifiesEndsNotQualified() {
	res := s.run(testJourney())
	s.Equal(OutcomeNotQualified, res.Outcome)
	s.Empty(s.acts.handoffs)
	// checklist, reminder (never clicked), then the case study every 14 days
	// while days_in_journey < 90: days 4, 18, 32, 46, 60, 74, 88.
	s.Equal([]string{"checklist", "reminder", "case-study", "case-study", "case-study", "case-study", "case-study", "case-study", "case-study"}, s.acts.sentSteps())
	s.Equal(s.start.Add(88*day), s.acts.sends[len(s.acts.sends)-1].At)
	// Each loop back to the case study is a new visit, so a new email.
	s.Equal([]int{1, 1, 1, 2, 3, 4, 5, 6, 7}, s.acts.visits)
	s.Equal(9, res.Touches)
}

func (s *journeySuite) TestStarterContextSavesTheLookup() {
	s.signal(time.Hour, SignalStop, Control{})
	s.env.ExecuteWorkflow(Journey, Input{Journey: testJourney(), CustomerID: "acme",
		Context: &RunContext{OwnerID: "rep-max", Timezone: "Europe/Vienna", Reachable: true}})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Zero(s.acts.loads, "the owner and zone came with the input")
	s.Equal([]string{"checklist"}, s.acts.sentSteps())
	st := s.state()
	s.Equal("rep-max", st.OwnerID)
	s.Equal("Europe/Vienna", st.Timezone)
	s.NotEmpty(st.RunID, "the query names the current run")
}

func (s *journeySuite) TestStarterSayingUnreachableEndsTheRun() {
	s.env.ExecuteWorkflow(Journey, Input{Journey: testJourney(), CustomerID: "acme", Context: &RunContext{OwnerID: "rep-max"}})
	var res Result
	s.Require().NoError(s.env.GetWorkflowResult(&res))
	s.Equal(OutcomeUnreachable, res.Outcome)
	s.Empty(s.acts.sends)
}

func (s *journeySuite) TestFeedbackAcceptedBeforeAStopIsRecorded() {
	s.signal(time.Hour, SignalFastLane, FastLane{Offer: "demo"})
	var answered bool
	s.acts.onNotify = func(NotifyRequest) {
		// While the owner is being emailed, sales answers and then
		// marketing stops the run.
		s.env.UpdateWorkflow(UpdateFeedback, "fb-1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { s.Fail("rejected", err) },
			OnAccept: func() {},
			OnComplete: func(_ any, err error) {
				answered = true
				s.NoError(err)
			},
		}, Feedback{Outcome: FeedbackNotReady, Note: "budget in Q3"})
		s.env.SignalWorkflow(SignalStop, Control{})
	}
	res := s.run(testJourney())
	s.Equal(OutcomeStopped, res.Outcome)
	s.True(answered, "the update is answered")
	s.Require().Len(s.acts.closed, 1, "sales' answer is on the hand-off, not lost to the stop")
	s.Equal(FeedbackNotReady, s.acts.closed[0].Outcome)
}

func (s *journeySuite) TestFastLaneWhileTheRunRecordsItsEndIsHandedOff() {
	asked := false
	s.acts.onSync = func(snap RunSnapshot) {
		switch {
		case snap.Status == StatusCompleted && snap.Outcome == OutcomeNotQualified && !asked:
			// The demo request reaches the run while it records its end.
			asked = true
			s.env.SignalWorkflow(SignalFastLane, FastLane{EventID: "f-late", Offer: "demo"})
		case snap.Stage == StageHandoff:
			s.env.SignalWorkflow(SignalSalesFeedback, Feedback{Outcome: FeedbackAccepted})
		}
	}
	res := s.run(testJourney())
	s.True(asked)
	s.Require().Len(s.acts.handoffs, 1, "the late demo request is with sales")
	s.Equal(ReasonFastLane, s.acts.handoffs[0].Reason)
	s.Equal("demo", s.acts.handoffs[0].Offer)
	s.Equal(OutcomeAccepted, res.Outcome)
}

func TestWorkflowIDCarriesNoPersonalData(t *testing.T) {
	require.Equal(t, "ripen/erp-automation-crosssell/acme", WorkflowID("erp-automation-crosssell", "acme"))
}
