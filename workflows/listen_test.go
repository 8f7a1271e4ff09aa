package workflows

import (
	"math"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

func (s *journeySuite) TestSameEngagementEventTwiceCountsOnce() {
	s.signal(time.Hour, SignalEngagement, Engagement{EventID: "ev-1", Kind: "download"})
	s.signal(2*time.Hour, SignalEngagement, Engagement{EventID: "ev-1", Kind: "download"})
	s.at(3*time.Hour, func() {
		st := s.state()
		s.InDelta(15, st.Score, 0.1)
		s.Len(st.Engagements, 1)
	})
	s.signal(4*time.Hour, SignalStop, Control{})
	s.Equal(OutcomeStopped, s.run(testJourney()).Outcome)
}

func (s *journeySuite) TestScoreHalvesEveryHalfLife() {
	s.signal(time.Hour, SignalEngagement, Engagement{EventID: "ev-1", Kind: "download"})
	s.at(time.Hour+30*day, func() { s.InDelta(7.5, s.state().Score, 0.01) })
	s.at(time.Hour+60*day, func() { s.InDelta(3.75, s.state().Score, 0.01) })
	s.signal(61*day, SignalStop, Control{})
	s.run(testJourney())
}

func (s *journeySuite) TestEngagementsScoreFromWhenTheyHappened() {
	// The detector enrolled the customer on three downloads 13 days ago:
	// 45 points then, under the threshold (40) now.
	old := s.start.Add(-13 * day)
	download := func(id string, at time.Time) Engagement {
		return Engagement{EventID: id, Kind: "download", Topic: "process-automation", At: at}
	}
	atStart := 45 * math.Pow(0.5, 13.0/30)
	s.at(time.Minute, func() {
		st := s.state()
		s.InDelta(atStart, st.Score, 0.05)
		s.Equal(StageNurturing, st.Stage)
		s.Require().Len(st.ScoreTrail, 3)
		s.InDelta(atStart, st.ScoreTrail[2].Score, 0.05)
		s.Equal(s.start, st.ScoreTrail[2].At.UTC(), "the trail says when the score was known")
		s.Equal(15.0, st.Engagements[0].Points, "the evidence keeps what the event was worth")
	})
	// On day 10 a download from day 0 arrives late (SendGrid retried) and
	// an open dated tomorrow (a clock ahead) counts in full: 39.4 points.
	s.signal(10*day, SignalEngagement, download("d-late", s.start))
	s.signal(10*day, SignalEngagement, Engagement{EventID: "o-1", Kind: "open", StepID: "checklist", At: s.start.Add(11 * day)})
	s.at(10*day+time.Minute, func() {
		want := atStart*math.Pow(0.5, 10.0/30) + 15*math.Pow(0.5, 10.0/30) + 1
		s.InDelta(want, s.state().Score, 0.05)
	})
	s.signal(11*day, SignalStop, Control{})
	s.env.ExecuteWorkflow(Journey, Input{Journey: testJourney(), CustomerID: "acme",
		Engagements: []Engagement{download("d1", old), download("d2", old), download("d3", old)}})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Empty(s.acts.handoffs, "old events do not qualify at full weight")
}

func (s *journeySuite) TestARunStartedByTheDetectorCountsTheEventsThatStartedIt() {
	visit := func(id string) Engagement {
		return Engagement{EventID: id, Kind: "visit", Topic: "process-automation", At: s.start.Add(-time.Hour)}
	}
	s.at(time.Hour, func() {
		st := s.state()
		s.InDelta(10, st.Score, 0.05, "two visits, 5 points each, counted before the first step")
		s.Equal(2, st.Visits["process-automation"])
	})
	s.signal(2*time.Hour, SignalEngagement, visit("v-2")) // delivered again by the API: counts once
	s.signal(3*time.Hour, SignalStop, Control{})
	s.env.ExecuteWorkflow(Journey, Input{Journey: testJourney(), CustomerID: "acme",
		Engagements: []Engagement{visit("v-1"), visit("v-2")}})
	s.Require().NoError(s.env.GetWorkflowError())
	s.Len(s.state().Engagements, 2)
}

func (s *journeySuite) TestFastLaneNotOfferedByTheJourneyDoesNotQualify() {
	s.signal(day, SignalFastLane, FastLane{Offer: "checklist"})
	s.signal(2*day, SignalStop, Control{})
	s.Equal(OutcomeStopped, s.run(testJourney()).Outcome)
	s.Empty(s.acts.handoffs)
}

func (s *journeySuite) TestCancelEndsTheRunAsAStopAndRecordsIt() {
	cases := []struct {
		name  string
		setup func()
		at    time.Duration
		sent  []string
	}{
		{"during a wait", func() {}, 2 * day, []string{"checklist"}},
		{"while paused", func() { s.signal(day, SignalPause, Control{}) }, 2 * day, []string{"checklist"}},
		{"while sales consider the hand-off", func() {
			s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
		}, 2 * day, []string{"checklist"}},
		{"past the last SLA reminder", func() {
			s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
		}, 20 * day, []string{"checklist"}},
		{"in the cool-down", func() {
			s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
			s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady})
		}, 3 * day, []string{"checklist"}},
	}
	for _, c := range cases {
		s.Run(c.name, func() {
			s.SetupTest()
			s.env.SetTestTimeout(20 * time.Second)
			c.setup()
			s.at(c.at, func() { s.env.CancelWorkflow() })
			s.env.ExecuteWorkflow(Journey, Input{Journey: testJourney(), CustomerID: "acme"})
			s.assertCanceledAsStopped(s.start.Add(c.at))
			s.Equal(c.sent, s.acts.sentSteps())
		})
	}
}

// assertCanceledAsStopped: the run ended at `at` as a stop, recorded that
// in the store (which withdraws an open hand-off), and shows as canceled.
func (s *journeySuite) assertCanceledAsStopped(at time.Time) {
	s.Require().True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	var canceled *temporal.CanceledError
	s.Require().ErrorAs(err, &canceled, "Temporal shows the run canceled")
	var res Result
	s.Require().NoError(canceled.Details(&res))
	s.Equal(OutcomeStopped, res.Outcome)
	s.Require().NotEmpty(s.acts.snaps)
	last := s.acts.snaps[len(s.acts.snaps)-1]
	s.Equal(StatusCompleted, last.Status, "the end reaches the store")
	s.Equal(OutcomeStopped, last.Outcome)
	s.Equal(StageDone, last.Stage)
	s.Equal(at, last.At.UTC(), "at once")
	st := s.state()
	s.Equal(StatusCompleted, st.Status)
	s.Equal(OutcomeStopped, st.Outcome)
}

func (s *journeySuite) TestCancelDuringASendLetsTheEmailFinish() {
	s.env.SetTestTimeout(20 * time.Second)
	s.acts.onSend = func(req SendRequest) error {
		if req.StepID == "reminder" {
			s.env.CancelWorkflow()
		}
		return nil
	}
	s.env.ExecuteWorkflow(Journey, Input{Journey: testJourney(), CustomerID: "acme"})
	s.assertCanceledAsStopped(s.start.Add(4 * day))
	s.Equal([]string{"checklist", "reminder"}, s.acts.sentSteps())
	s.Equal(2, s.state().Touches, "the email that went out is counted")
	s.Empty(s.state().LastError)
}

func (s *journeySuite) TestCancelAfterSalesAnsweredRecordsTheAnswerFirst() {
	s.env.SetTestTimeout(20 * time.Second)
	s.signal(time.Hour, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	var answered bool
	s.acts.onNotify = func(NotifyRequest) {
		s.env.UpdateWorkflow(UpdateFeedback, "fb-1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { s.Fail("rejected", err) }, OnAccept: func() {},
			OnComplete: func(_ any, err error) {
				answered = true
				s.NoError(err, "sales' answer is recorded, so the update says so")
			},
		}, Feedback{Outcome: FeedbackNotReady})
		s.env.CancelWorkflow()
	}
	s.env.ExecuteWorkflow(Journey, Input{Journey: testJourney(), CustomerID: "acme"})
	s.assertCanceledAsStopped(s.start.Add(time.Hour))
	s.True(answered)
	s.Equal([]CloseHandoffRequest{{HandoffID: "h-fast-lane", Outcome: FeedbackNotReady}}, s.acts.closed)
}
