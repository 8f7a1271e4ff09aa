package workflows

import (
	"time"
)

func (s *journeySuite) TestPauseHoldsASendUntilResume() {
	// Paused during wait-1; its deadline (day 4) passes while paused.
	s.signal(2*day, SignalPause, Control{})
	s.at(3*day, func() { s.Equal(StagePaused, s.state().Stage) })
	s.signal(10*day, SignalResume, Control{})
	s.signal(11*day, SignalStop, Control{})
	s.run(testJourney())
	s.Equal([]string{"checklist", "reminder", "case-study"}, s.acts.sentSteps())
	s.Equal(s.start.Add(10*day), s.acts.sends[1].At, "the reminder waits for resume")
}

func (s *journeySuite) TestPauseAndResumeAreRecorded() {
	s.signal(2*day, SignalPause, Control{})
	s.at(3*day, func() { s.Equal(StagePaused, s.acts.runStages[len(s.acts.runStages)-1]) })
	s.signal(10*day, SignalResume, Control{})
	s.at(10*day+time.Hour, func() { s.Equal(StageNurturing, s.acts.runStages[len(s.acts.runStages)-1]) })
	s.signal(11*day, SignalStop, Control{})
	s.run(testJourney())
	s.Equal([]string{StageNurturing, StagePaused, StageNurturing, StageDone}, s.acts.runStages)
}

func (s *journeySuite) TestPauseAndResumeTogetherApplyInTheOrderTheyWereGiven() {
	at := func(d time.Duration) Control { return Control{At: s.start.Add(d)} }
	// batch delivers signals while the run records a projection of stage:
	// they reach the run together, as on a busy server.
	batch := func(stage string, signals ...func()) {
		fired := false
		s.acts.onSync = func(snap RunSnapshot) {
			if !fired && snap.Stage == stage {
				fired = true
				for _, signal := range signals {
					signal()
				}
			}
		}
	}
	pause := func(c any) func() { return func() { s.env.SignalWorkflow(SignalPause, c) } }
	resume := func(c any) func() { return func() { s.env.SignalWorkflow(SignalResume, c) } }
	cases := []struct {
		name   string
		paused bool // pause the run on day 1
		stage  string
		batch  []func()
		sent   []string
	}{
		{"pause, resume, pause as the run starts", false, StageNurturing,
			[]func(){pause(at(time.Second)), resume(at(2 * time.Second)), pause(at(3 * time.Second))}, nil},
		{"resume, pause on a paused run", true, StagePaused,
			[]func(){pause(at(day + 2*time.Second)), resume(at(day + time.Second))}, []string{"checklist"}},
		{"pause, resume as the run starts", false, StageNurturing,
			[]func(){resume(at(2 * time.Second)), pause(at(time.Second))}, []string{"checklist", "reminder", "case-study"}},
		{"without times, every pause before every resume", true, StagePaused,
			[]func(){resume("a CLI user's note"), pause(Control{})}, []string{"checklist", "reminder", "case-study"}},
	}
	for _, c := range cases {
		s.Run(c.name, func() {
			s.SetupTest()
			if c.paused {
				s.signal(day, SignalPause, at(day))
			}
			batch(c.stage, c.batch...)
			s.signal(5*day, SignalStop, Control{})
			s.run(testJourney())
			s.Equal(c.sent, s.acts.sentSteps())
		})
	}
}

func (s *journeySuite) TestRejectedWhilePausedKeepsTheRunPaused() {
	// Handed off on day 1 during wait-1 (due day 4), paused on day 2.
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	s.signal(2*day, SignalPause, Control{})
	s.signal(3*day, SignalSalesFeedback, Feedback{Outcome: FeedbackRejected})
	s.at(3*day+time.Hour, func() {
		st := s.state()
		s.True(st.Paused)
		s.Equal(StagePaused, st.Stage)
		s.Equal(StageNurturing, st.StageBeforePause)
		s.True(st.MQN, "rejected or not, the run reached MQN")
		s.Equal(FeedbackRejected, st.Handoff.Status)
	})
	s.signal(10*day, SignalResume, Control{})
	s.at(10*day+time.Hour, func() { s.Equal(StageNurturing, s.state().Stage) })
	s.signal(11*day, SignalStop, Control{})
	s.run(testJourney())
	s.Equal([]string{"checklist", "reminder", "case-study"}, s.acts.sentSteps())
	s.Equal(s.start.Add(10*day), s.acts.sends[1].At, "nothing goes out until resume")
}

func (s *journeySuite) TestNotReadyWhilePausedCoolsDownAfterResume() {
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	s.signal(2*day, SignalPause, Control{})
	s.signal(3*day, SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady}) // cool-down until day 63
	s.at(4*day, func() {
		st := s.state()
		s.Equal(StagePaused, st.Stage)
		s.Equal(StageCooldown, st.StageBeforePause)
	})
	s.at(64*day, func() {
		st := s.state()
		s.Equal(StagePaused, st.Stage, "the cool-down is over, the pause is not")
		s.Equal(1, st.Cycle)
	})
	s.signal(70*day, SignalResume, Control{})
	s.signal(72*day, SignalStop, Control{})
	res := s.run(testJourney())
	s.Equal(2, res.Cycles)
	s.Equal([]sentAt{{Step: "checklist", Cycle: 1, At: s.start}, {Step: "checklist", Cycle: 2, At: s.start.Add(70 * day)}}, s.acts.sends)
}

func (s *journeySuite) TestResumeWithinTheCoolDownResumesTheCoolDown() {
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	s.signal(2*day, SignalPause, Control{})
	s.signal(3*day, SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady}) // cool-down until day 63
	s.signal(10*day, SignalResume, Control{})
	s.at(11*day, func() { s.Equal(StageCooldown, s.state().Stage) })
	s.signal(64*day, SignalStop, Control{})
	s.run(testJourney())
	s.Equal([]sentAt{{Step: "checklist", Cycle: 1, At: s.start}, {Step: "checklist", Cycle: 2, At: s.start.Add(63 * day)}}, s.acts.sends)
}

func (s *journeySuite) TestPauseDuringAHandoffHoldsTheRemindersUntilResume() {
	var noticeAt []time.Time
	s.acts.onNotify = func(NotifyRequest) { noticeAt = append(noticeAt, s.env.Now().UTC()) }
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"}) // due day 3
	s.signal(2*day, SignalPause, Control{})
	s.at(2*day+time.Hour, func() {
		st := s.state()
		s.Equal(StagePaused, st.Stage)
		s.True(st.MQN)
		s.Equal("open", st.Handoff.Status)
	})
	s.signal(6*day, SignalResume, Control{})
	s.at(6*day+time.Hour, func() { s.Equal(StageHandoff, s.state().Stage) })
	s.signal(7*day, SignalSalesFeedback, Feedback{Outcome: FeedbackAccepted})
	s.Equal(OutcomeAccepted, s.run(testJourney()).Outcome)
	s.Equal([]NotifyRequest{{HandoffID: "h-fast-lane"}, {HandoffID: "h-fast-lane", Reminder: 1}}, s.acts.notices)
	s.Equal([]time.Time{s.start.Add(day), s.start.Add(6 * day)}, noticeAt, "the overdue reminder goes at resume")
}

func (s *journeySuite) TestFastLaneWhilePausedIsHandedOffAndTheRunStaysPaused() {
	s.signal(2*day, SignalPause, Control{})
	s.signal(3*day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	s.at(3*day+time.Hour, func() {
		st := s.state()
		s.Equal(StagePaused, st.Stage)
		s.Equal(StageHandoff, st.StageBeforePause)
		s.True(st.MQN)
		s.Require().NotNil(st.Handoff)
		s.Equal("open", st.Handoff.Status)
		s.Len(s.acts.handoffs, 1, "the request reaches the owner at once")
	})
	s.signal(4*day, SignalSalesFeedback, Feedback{Outcome: FeedbackRejected})
	s.at(4*day+time.Hour, func() { s.Equal(StagePaused, s.state().Stage) })
	s.signal(10*day, SignalResume, Control{})
	s.signal(11*day, SignalStop, Control{})
	s.run(testJourney())
	s.Require().Len(s.acts.handoffs, 1)
	s.Equal(ReasonFastLane, s.acts.handoffs[0].Reason)
	s.Equal([]string{"checklist", "reminder", "case-study"}, s.acts.sentSteps())
	s.Equal(s.start.Add(10*day), s.acts.sends[1].At, "no email to the contact while paused")
}

func (s *journeySuite) TestFastLaneWhilePausedInAHandoffSurvivesRejected() {
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "consultation"})
	s.signal(2*day, SignalPause, Control{})
	s.signal(3*day, SignalFastLane, FastLane{EventID: "f-2", Offer: "demo"})
	s.signal(4*day, SignalSalesFeedback, Feedback{Outcome: FeedbackRejected})
	s.at(4*day+time.Hour, func() {
		st := s.state()
		s.Equal(StagePaused, st.Stage)
		s.Equal(StageHandoff, st.StageBeforePause, "handed off while paused, as any fast lane")
	})
	s.signal(5*day, SignalSalesFeedback, Feedback{Outcome: FeedbackAccepted})
	s.Equal(OutcomeAccepted, s.run(testJourney()).Outcome)
	s.Require().Len(s.acts.handoffs, 2)
	s.Equal("f-2", s.acts.handoffs[1].FastLaneEventID)
}
