package workflows

import (
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/ripen/ripen/journey"
)

func (s *journeySuite) TestClicksReachingTheThresholdMidWaitHandOff() {
	// Four clicks make 40 points less a little decay; the fifth qualifies.
	for i, ev := range []string{"ev-1", "ev-2", "ev-3", "ev-4", "ev-5"} {
		s.signal(time.Duration(i+1)*time.Hour, SignalEngagement, click(ev, "checklist"))
	}
	s.at(4*time.Hour+time.Minute, func() { s.Equal(StageNurturing, s.state().Stage) })
	s.at(5*time.Hour+time.Minute, func() {
		st := s.state()
		s.Equal(StageHandoff, st.Stage)
		s.True(st.MQN)
	})
	s.signal(6*time.Hour, SignalSalesFeedback, Feedback{Outcome: FeedbackAccepted})
	res := s.run(testJourney())
	s.Equal(OutcomeAccepted, res.Outcome)
	s.Require().Len(s.acts.handoffs, 1)
	h := s.acts.handoffs[0]
	s.Equal(ReasonScore, h.Reason)
	s.Equal("rep-eva", h.OwnerID)
	s.InDelta(50, h.Score, 0.5)
	s.Len(h.Evidence.Engagements, 5)
	// The first click ended wait-1 and sent the case study; nothing after
	// the hand-off.
	s.Equal([]string{"checklist", "case-study"}, s.acts.sentSteps())
	s.Equal([]CloseHandoffRequest{{HandoffID: "h-score", Outcome: FeedbackAccepted}}, s.acts.closed)
}

func (s *journeySuite) TestFastLaneQualifiesAtEveryKindOfStep() {
	window := &journey.SendWindow{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00"}
	cases := []struct {
		name   string
		after  time.Duration
		window *journey.SendWindow
		start  time.Time
		sent   []string
	}{
		{"during a wait", 2 * day, nil, time.Time{}, []string{"checklist"}},
		{"before the first send, waiting for the send window", time.Hour, window, time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), nil},
		{"at enrolment", 0, nil, time.Time{}, nil},
	}
	for _, c := range cases {
		s.Run(c.name, func() {
			s.SetupTest()
			if !c.start.IsZero() {
				s.env.SetStartTime(c.start)
			}
			def := testJourney()
			def.SendWindow = c.window
			s.signal(c.after, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
			s.signal(c.after+time.Hour, SignalSalesFeedback, Feedback{Outcome: FeedbackWon})
			res := s.run(def)
			s.Equal(OutcomeWon, res.Outcome)
			s.Require().Len(s.acts.handoffs, 1)
			s.Equal(ReasonFastLane, s.acts.handoffs[0].Reason)
			s.Equal("demo", s.acts.handoffs[0].Offer)
			s.Equal("f-1", s.acts.handoffs[0].FastLaneEventID, "the note stays in Postgres; the event ID finds it")
			s.Equal(c.sent, s.acts.sentSteps())
		})
	}
}

func (s *journeySuite) TestHandoffSetsTheSearchAttributes() {
	type attrs struct {
		stage string
		mqn   bool
		score int64
		owner string
	}
	var now, atHandoff attrs
	s.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		if v, ok := sa.GetKeyword(AttrStage); ok {
			now.stage = v
		}
		if v, ok := sa.GetBool(AttrMQN); ok {
			now.mqn = v
		}
		if v, ok := sa.GetInt64(AttrScore); ok {
			now.score = v
		}
		if v, ok := sa.GetKeyword(AttrOwner); ok {
			now.owner = v
		}
		if now.stage == StageHandoff && atHandoff.stage == "" {
			atHandoff = now
		}
	})
	for i, ev := range []string{"ev-1", "ev-2", "ev-3", "ev-4", "ev-5"} {
		s.signal(time.Duration(i+1)*time.Hour, SignalEngagement, click(ev, "checklist"))
	}
	s.signal(6*time.Hour, SignalSalesFeedback, Feedback{Outcome: FeedbackAccepted})
	s.Equal(OutcomeAccepted, s.run(testJourney()).Outcome)
	s.Equal(StageHandoff, atHandoff.stage)
	s.True(atHandoff.mqn)
	s.InDelta(50, atHandoff.score, 1)
	s.Equal("rep-eva", atHandoff.owner)
	s.Equal(attrs{stage: StageDone, mqn: true, score: atHandoff.score, owner: "rep-eva"}, now)
}

func (s *journeySuite) TestSLAPassingRemindsTheOwner() {
	s.signal(day, SignalFastLane, FastLane{Offer: "demo"})
	s.signal(day+5*day, SignalSalesFeedback, Feedback{Outcome: FeedbackLost})
	s.Equal(OutcomeLost, s.run(testJourney()).Outcome)
	// First notice, then a reminder after 2 and after 4 days.
	s.Equal([]NotifyRequest{{HandoffID: "h-fast-lane"}, {HandoffID: "h-fast-lane", Reminder: 1}, {HandoffID: "h-fast-lane", Reminder: 2}}, s.acts.notices)
}

func (s *journeySuite) TestFeedbackUpdateIsRefusedWithoutAnOpenHandoff() {
	s.at(day, func() {
		s.env.UpdateWorkflow(UpdateFeedback, "fb-1", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { s.ErrorContains(err, "no open hand-off") },
			OnAccept:   func() { s.Fail("feedback without a hand-off was accepted") },
			OnComplete: func(any, error) {},
		}, Feedback{Outcome: FeedbackAccepted})
	})
	s.signal(2*day, SignalStop, Control{})
	s.Equal(OutcomeStopped, s.run(testJourney()).Outcome)
}

func (s *journeySuite) TestFeedbackUpdateClosesTheHandoff() {
	s.signal(day, SignalFastLane, FastLane{Offer: "demo"})
	s.at(2*day, func() {
		s.env.UpdateWorkflow(UpdateFeedback, "fb-1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { s.Fail("rejected", err) },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				s.NoError(err)
				st, ok := v.(State)
				s.Require().True(ok)
				s.Equal(StageDone, st.Stage)
				s.Equal(OutcomeAccepted, st.Outcome)
			},
		}, Feedback{Outcome: FeedbackAccepted})
	})
	s.Equal(OutcomeAccepted, s.run(testJourney()).Outcome)
}

func (s *journeySuite) TestSalesNoteStaysOutOfHistory() {
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackWon, Note: "signed for 40 seats"})
	s.Equal(OutcomeWon, s.run(testJourney()).Outcome)
	s.Equal([]CloseHandoffRequest{{HandoffID: "h-fast-lane", Outcome: FeedbackWon}}, s.acts.closed,
		"the store keeps the note on the hand-off row")
}

func (s *journeySuite) TestRejectedHandoffResumesNurturing() {
	s.signal(day, SignalFastLane, FastLane{Offer: "demo"})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackRejected})
	s.at(2*day+time.Hour, func() {
		st := s.state()
		s.Equal(StageNurturing, st.Stage)
		s.Equal("wait-1", st.Step)
	})
	s.signal(10*day, SignalStop, Control{})
	s.run(testJourney())
	s.Equal([]string{"checklist", "reminder", "case-study"}, s.acts.sentSteps())
}

func (s *journeySuite) TestQualifyingAgainAfterRejectedIsANewHandoff() {
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackRejected})
	s.signal(3*day, SignalFastLane, FastLane{EventID: "f-2", Offer: "consultation"})
	s.signal(4*day, SignalSalesFeedback, Feedback{Outcome: FeedbackAccepted})
	s.Equal(OutcomeAccepted, s.run(testJourney()).Outcome)
	s.Require().Len(s.acts.handoffs, 2)
	s.Equal(1, s.acts.handoffs[0].Cycle)
	s.Equal(1, s.acts.handoffs[1].Cycle, "the same cycle")
	s.Equal(1, s.acts.handoffs[0].Escalation)
	s.Equal(2, s.acts.handoffs[1].Escalation, "its own hand-off, not the rejected one")
	s.Equal("f-2", s.acts.handoffs[1].FastLaneEventID)
}
