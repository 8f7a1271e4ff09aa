package workflows

import (
	"fmt"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

func (s *journeySuite) TestNotReadyCoolsDownThenSecondCycleIsAccepted() {
	s.signal(day, SignalFastLane, FastLane{Offer: "demo"})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady, Note: "budget next year"})
	s.at(3*day, func() {
		st := s.state()
		s.Equal(StageCooldown, st.Stage)
		s.True(st.MQN, "the run reached MQN; that stays through the cool-down")
		s.Equal(1, st.Cycle)
	})
	// Cool-down ends at day 62; the second cycle starts from the first step.
	s.at(63*day, func() {
		st := s.state()
		s.Equal(StageNurturing, st.Stage)
		s.Equal(2, st.Cycle)
		s.Zero(st.Score)
	})
	s.signal(64*day, SignalFastLane, FastLane{Offer: "price-indication"})
	s.signal(65*day, SignalSalesFeedback, Feedback{Outcome: FeedbackAccepted})
	res := s.run(testJourney())
	s.Equal(OutcomeAccepted, res.Outcome)
	s.Equal(2, res.Cycles)
	s.Len(s.acts.handoffs, 2)
	s.Equal(2, s.acts.handoffs[1].Cycle)
	s.Require().GreaterOrEqual(len(s.acts.sends), 2)
	s.Equal(sentAt{Step: "checklist", Cycle: 2, At: s.start.Add(62 * day)}, s.acts.sends[len(s.acts.sends)-1])
}

func (s *journeySuite) TestNotReadyTooOftenEndsWithMaxRecycles() {
	def := testJourney()
	def.Handoff.MaxRecycles = 0
	s.signal(day, SignalFastLane, FastLane{Offer: "demo"})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady})
	s.Equal(OutcomeMaxRecycles, s.run(def).Outcome)
}

func (s *journeySuite) TestRipenMQNStaysTrueThroughACoolDown() {
	var mqn []bool
	s.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if v, ok := args.Get(0).(temporal.SearchAttributes).GetBool(AttrMQN); ok {
			mqn = append(mqn, v)
		}
	})
	s.signal(day, SignalFastLane, FastLane{Offer: "demo"})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady})
	s.at(3*day, func() {
		st := s.state()
		s.Equal(StageCooldown, st.Stage)
		s.True(st.MQN, "the state's MQN is RipenMQN")
		last := s.acts.snaps[len(s.acts.snaps)-1]
		s.Equal(StageCooldown, last.Stage)
		s.True(last.MQN, "and so is the projection's")
	})
	s.signal(4*day, SignalStop, Control{})
	s.run(testJourney())
	s.Equal([]bool{false, true}, mqn, "RipenMQN is set false at the start, true at the hand-off, and never cleared: "+
		"operators find every run that qualified")
}

func (s *journeySuite) TestFastLaneDuringTheCoolDownOpensTheNextCycleWithAHandoff() {
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady}) // cool-down until day 62
	s.signal(10*day, SignalFastLane, FastLane{EventID: "f-2", Offer: "consultation"})
	s.at(10*day+time.Hour, func() {
		st := s.state()
		s.Equal(StageHandoff, st.Stage)
		s.Equal(2, st.Cycle)
		s.True(st.MQN)
	})
	s.signal(11*day, SignalSalesFeedback, Feedback{Outcome: FeedbackRejected})
	s.signal(12*day, SignalStop, Control{})
	res := s.run(testJourney())
	s.Equal(2, res.Cycles)
	s.Require().Len(s.acts.handoffs, 2)
	h := s.acts.handoffs[1]
	s.Equal(2, h.Cycle)
	s.Equal(1, h.Escalation)
	s.Equal("f-2", h.FastLaneEventID)
	s.Equal(sentAt{Step: "checklist", Cycle: 2, At: s.start.Add(11 * day)}, s.acts.sends[len(s.acts.sends)-1],
		"rejected: the new cycle nurtures from its first step")
}

// fastLaneDuringHandoff hands off a consultation request on day 1 and, while
// the owner is emailed about it, delivers answer and then the demo request
// in one batch.
func (s *journeySuite) fastLaneDuringHandoff(answer func()) {
	fired := false
	s.acts.onNotify = func(NotifyRequest) {
		if !fired {
			fired = true
			answer()
			s.env.SignalWorkflow(SignalFastLane, FastLane{EventID: "f-2", Offer: "demo"})
		}
	}
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "consultation"})
}

func (s *journeySuite) TestFastLaneWithRejectedInOneBatchIsANewHandoff() {
	s.fastLaneDuringHandoff(func() { s.env.SignalWorkflow(SignalSalesFeedback, Feedback{Outcome: FeedbackRejected}) })
	s.at(day+time.Hour, func() {
		st := s.state()
		s.Equal(StageHandoff, st.Stage)
		s.Equal("open", st.Handoff.Status)
		s.Nil(st.WaitingFastLane)
	})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackAccepted})
	s.Equal(OutcomeAccepted, s.run(testJourney()).Outcome)
	s.Require().Len(s.acts.handoffs, 2, "sales never saw the demo request")
	h := s.acts.handoffs[1]
	s.Equal(ReasonFastLane, h.Reason)
	s.Equal("demo", h.Offer)
	s.Equal("f-2", h.FastLaneEventID)
	s.Equal(1, h.Cycle)
	s.Equal(2, h.Escalation)
}

func (s *journeySuite) TestFastLaneWithNotReadyInOneBatchOpensTheNextCycle() {
	s.fastLaneDuringHandoff(func() {
		s.env.UpdateWorkflow(UpdateFeedback, "fb-1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { s.Fail("rejected", err) }, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, Feedback{Outcome: FeedbackNotReady})
	})
	s.at(day+time.Hour, func() {
		st := s.state()
		s.Equal(StageHandoff, st.Stage)
		s.Equal(2, st.Cycle)
	})
	s.signal(day+2*time.Hour, SignalFastLane, FastLane{EventID: "f-2", Offer: "demo"}) // delivered again: counts once
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackWon})
	res := s.run(testJourney())
	s.Equal(OutcomeWon, res.Outcome)
	s.Equal(2, res.Cycles)
	s.Require().Len(s.acts.handoffs, 2)
	s.Equal(2, s.acts.handoffs[1].Cycle)
	s.Equal("f-2", s.acts.handoffs[1].FastLaneEventID)
	s.Equal([]CloseHandoffRequest{{HandoffID: "h-fast-lane", Outcome: FeedbackNotReady}, {HandoffID: "h-fast-lane", Outcome: FeedbackWon}}, s.acts.closed)
}

func (s *journeySuite) TestFastLaneWhileSalesConsiderTheHandoff() {
	cases := []struct {
		name     string
		answer   string
		max      int
		outcome  string
		handoffs int
		cycle    int
	}{
		{"survives rejected", FeedbackRejected, 2, OutcomeWon, 2, 1},
		{"survives not-ready", FeedbackNotReady, 2, OutcomeWon, 2, 2},
		{"survives not-ready past the last recycle", FeedbackNotReady, 0, OutcomeWon, 2, 1},
		{"does not outlive accepted", FeedbackAccepted, 2, OutcomeAccepted, 1, 1},
		{"does not outlive lost", FeedbackLost, 2, OutcomeLost, 1, 1},
	}
	for _, c := range cases {
		s.Run(c.name, func() {
			s.SetupTest()
			def := testJourney()
			def.Handoff.MaxRecycles = c.max
			s.signal(day, SignalEngagement, Engagement{EventID: "ev-1", Kind: "download"})
			for i := 0; i < 3; i++ { // the score qualifies: 45 points
				s.signal(day+time.Duration(i+1)*time.Minute, SignalEngagement, Engagement{EventID: fmt.Sprint("ev-", i+2), Kind: "download"})
			}
			s.signal(2*day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
			s.signal(3*day, SignalSalesFeedback, Feedback{Outcome: c.answer})
			s.signal(4*day, SignalSalesFeedback, Feedback{Outcome: FeedbackWon})
			res := s.run(def)
			s.Equal(c.outcome, res.Outcome)
			s.Require().Len(s.acts.handoffs, c.handoffs)
			s.Equal(ReasonScore, s.acts.handoffs[0].Reason)
			if c.handoffs > 1 {
				h := s.acts.handoffs[1]
				s.Equal(ReasonFastLane, h.Reason)
				s.Equal("f-1", h.FastLaneEventID)
				s.Equal(c.cycle, h.Cycle)
			}
		})
	}
}
