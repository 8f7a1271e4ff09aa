package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// continuedAsNew runs the workflow until it continues as new and returns
// the next run's input and the time it continued.
func (s *journeySuite) continuedAsNew(in Input) (Input, time.Time) {
	s.env.ExecuteWorkflow(Journey, in)
	s.Require().True(s.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	s.Require().ErrorAs(s.env.GetWorkflowError(), &can)
	var next Input
	s.Require().NoError(converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	s.Require().NotNil(next.State)
	return next, s.env.Now().UTC()
}

// continueRun starts the next run at the time the last one continued.
func (s *journeySuite) continueRun(next Input, at time.Time) Result {
	s.env.SetStartTime(at)
	s.env.ExecuteWorkflow(Journey, next)
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var res Result
	s.Require().NoError(s.env.GetWorkflowResult(&res))
	return res
}

// noStepSentTwice: across the runs of one execution, each (step, cycle,
// visit) went out once.
func (s *journeySuite) noStepSentTwice(runs ...*fakeActivities) {
	seen := map[string]bool{}
	for _, f := range runs {
		for i, x := range f.sends {
			k := fmt.Sprintf("%s cycle %d visit %d", x.Step, x.Cycle, f.visits[i])
			s.False(seen[k], "sent twice: %s", k)
			seen[k] = true
		}
	}
}

func (s *journeySuite) TestContinueAsNewCarriesScoreStepAndCycle() {
	// The click ends wait-1 and skips the reminder: the case study goes
	// out at 1h and wait-2 runs until 14 days later.
	s.signal(time.Hour, SignalEngagement, click("ev-1", "checklist"))
	s.at(2*time.Hour, func() { s.env.SetContinueAsNewSuggested(true) })
	next, at := s.continuedAsNew(Input{Journey: testJourney(), CustomerID: "acme"})
	s.Equal(s.start.Add(2*time.Hour), at, "continued as new during wait-2, not after it")
	s.Equal(1, next.State.Cycle)
	s.Greater(next.State.ScoreBase, 9.0)
	s.True(next.State.Clicked["checklist"])
	s.Equal("wait-2", next.State.Step)
	s.Equal(4, next.State.StepIndex)
	s.Require().NotNil(next.State.WaitUntil)
	s.Equal(s.start.Add(time.Hour+14*day), next.State.WaitUntil.UTC())
	s.Contains(next.State.SeenEvents, "ev-1")
	s.NotEmpty(next.State.RunKey)
	s.Equal([]string{"checklist", "case-study"}, s.acts.sentSteps())
	first := s.acts

	// The continued run picks up where the last one stopped: it ends
	// wait-2 at its deadline and loops to the case study (visit 2).
	s.SetupTest()
	s.signal(time.Hour, SignalEngagement, click("ev-1", "checklist")) // a repeat: ignored
	s.signal(14*day, SignalStop, Control{})
	res := s.continueRun(next, at)
	s.Equal(OutcomeStopped, res.Outcome)
	s.Equal(1, res.Cycles)
	s.Equal([]sentAt{{Step: "case-study", Cycle: 1, At: s.start.Add(time.Hour + 14*day)}}, s.acts.sends)
	s.Equal([]int{2}, s.acts.visits)
	s.noStepSentTwice(first, s.acts)
	s.InDelta(next.State.ScoreBase*0.75, res.Score, 1, "ten points, decayed over two weeks")
}

func (s *journeySuite) TestContinueAsNewDuringALongWaitFinishesTheSameWait() {
	// wait-2 runs from day 4 to day 18. On day 10 an open comes in and the
	// history passes the threshold.
	in := Input{Journey: testJourney(), CustomerID: "acme", ContinueAsNewAfter: 500}
	s.signal(10*day, SignalEngagement, Engagement{EventID: "ev-1", Kind: "open", StepID: "case-study"})
	s.at(10*day+time.Minute, func() { s.env.SetCurrentHistoryLength(500) })
	next, at := s.continuedAsNew(in)
	s.Equal(s.start.Add(10*day+time.Minute), at, "the wait yields to continue-as-new")
	s.Equal("wait-2", next.State.Step)
	s.Equal(4, next.State.StepIndex)
	s.Equal(1, next.State.Cycle)
	s.Require().NotNil(next.State.WaitUntil)
	s.Equal(s.start.Add(18*day), next.State.WaitUntil.UTC())
	s.True(next.State.Opened["case-study"], "the signal that came with it is carried")
	s.Equal([]string{"checklist", "reminder", "case-study"}, s.acts.sentSteps())
	first := s.acts

	s.SetupTest()
	s.signal(9*day, SignalStop, Control{}) // day 19 and a minute
	s.Equal(OutcomeStopped, s.continueRun(next, at).Outcome)
	s.Equal([]sentAt{{Step: "case-study", Cycle: 1, At: s.start.Add(18 * day)}}, s.acts.sends,
		"nothing before the old deadline, then the loop's next case study")
	s.noStepSentTwice(first, s.acts)
}

func (s *journeySuite) TestContinueAsNewDuringTheSecondCoolDownCarriesCycleAndScore() {
	in := Input{Journey: testJourney(), CustomerID: "acme", ContinueAsNewAfter: 500}
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady}) // cool-down until day 62
	s.signal(63*day, SignalFastLane, FastLane{EventID: "f-2", Offer: "demo"})
	s.signal(64*day, SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady}) // until day 124
	s.signal(70*day, SignalEngagement, Engagement{EventID: "ev-1", Kind: "download"})
	s.at(80*day, func() { s.env.SetCurrentHistoryLength(500) })
	next, at := s.continuedAsNew(in)
	s.Equal(s.start.Add(80*day), at, "the cool-down yields to continue-as-new")
	s.Equal(2, next.State.Cycle)
	s.Equal(StageCooldown, next.State.Stage)
	s.Require().NotNil(next.State.CooldownUntil)
	s.Equal(s.start.Add(124*day), next.State.CooldownUntil.UTC())
	s.InDelta(15, next.State.ScoreBase, 0.01)
	s.Equal(s.start.Add(70*day), next.State.ScoreAt.UTC())
	s.Equal([]sentAt{{Step: "checklist", Cycle: 1, At: s.start}, {Step: "checklist", Cycle: 2, At: s.start.Add(62 * day)}}, s.acts.sends)
	first := s.acts

	s.SetupTest()
	s.at(20*day, func() { // day 100
		st := s.state()
		s.Equal(StageCooldown, st.Stage)
		s.Equal(2, st.Cycle)
		s.InDelta(7.5, st.Score, 0.01, "the download, one half-life later")
	})
	s.signal(45*day, SignalStop, Control{}) // day 125
	res := s.continueRun(next, at)
	s.Equal(OutcomeStopped, res.Outcome)
	s.Equal(3, res.Cycles)
	s.Equal([]sentAt{{Step: "checklist", Cycle: 3, At: s.start.Add(124 * day)}}, s.acts.sends, "the cool-down ends at its old deadline")
	s.noStepSentTwice(first, s.acts)
}

func (s *journeySuite) TestContinueAsNewWhilePausedStaysPaused() {
	in := Input{Journey: testJourney(), CustomerID: "acme", ContinueAsNewAfter: 500}
	s.signal(2*day, SignalPause, Control{})
	s.at(5*day, func() { s.env.SetCurrentHistoryLength(500) })
	next, at := s.continuedAsNew(in)
	s.Equal(s.start.Add(5*day), at)
	s.True(next.State.Paused)
	s.Equal(StagePaused, next.State.Stage)
	s.Equal(StageNurturing, next.State.StageBeforePause)
	first := s.acts

	s.SetupTest()
	s.at(time.Hour, func() { s.Equal(StagePaused, s.state().Stage) })
	s.signal(5*day, SignalResume, Control{}) // day 10
	s.signal(6*day, SignalStop, Control{})
	s.continueRun(next, at)
	s.Equal([]string{"reminder", "case-study"}, s.acts.sentSteps())
	s.Equal(s.start.Add(10*day), s.acts.sends[0].At)
	s.noStepSentTwice(first, s.acts)
}

func (s *journeySuite) TestContinueAsNewWhileSalesTakeTheirTimeKeepsTheHandoff() {
	// Handed off on day 1; reminders on days 3, 5 and 7, then no limit.
	in := Input{Journey: testJourney(), CustomerID: "acme", ContinueAsNewAfter: 500}
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	s.at(20*day, func() { s.env.SetCurrentHistoryLength(500) })
	next, at := s.continuedAsNew(in)
	s.Equal(s.start.Add(20*day), at)
	s.Equal(StageHandoff, next.State.Stage)
	s.Require().NotNil(next.State.Handoff)
	s.Equal("open", next.State.Handoff.Status)
	s.Equal(maxReminders, next.State.Handoff.Reminders)
	s.Len(s.acts.handoffs, 1)

	s.SetupTest()
	s.signal(day, SignalSalesFeedback, Feedback{Outcome: FeedbackWon})
	s.Equal(OutcomeWon, s.continueRun(next, at).Outcome)
	s.Empty(s.acts.handoffs, "the same hand-off, not a new one")
	s.Empty(s.acts.notices, "no more reminders")
	s.Equal([]CloseHandoffRequest{{HandoffID: "h-fast-lane", Outcome: FeedbackWon}}, s.acts.closed)
}
