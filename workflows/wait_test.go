package workflows

import (
	"time"
)

func (s *journeySuite) TestClickEndsTheWaitAndSkipsTheReminder() {
	s.signal(1*day, SignalEngagement, click("ev-1", "checklist"))
	s.signal(30*day, SignalStop, Control{})
	s.run(testJourney())
	// The click ends wait-1 at once and skips the reminder; the score stays
	// under 20, so the nudge loops to the case study every 14 days.
	s.Equal([]string{"checklist", "case-study", "case-study", "case-study"}, s.acts.sentSteps())
	s.Equal(s.start.Add(1*day), s.acts.sends[1].At)
	s.Equal(s.start.Add(15*day), s.acts.sends[2].At)
}

func (s *journeySuite) TestUnsubscribeDuringAWaitSendsNothingMore() {
	s.signal(2*day, SignalUnsubscribe, Control{Reason: "link"})
	res := s.run(testJourney())
	s.Equal(OutcomeUnsubscribed, res.Outcome)
	s.Equal([]string{"checklist"}, s.acts.sentSteps())
}

// The two tests below land a signal just before a timer. On a real server
// a signal and a timer can share one workflow task; the chaos suite
// (internal/chaos) covers that case, which the test environment does not
// produce.
func (s *journeySuite) TestUnsubscribeJustBeforeTheTimerWins() {
	// wait-1 ends at day 4: the reminder must not go out.
	s.signal(4*day-time.Second, SignalUnsubscribe, Control{})
	s.Equal(OutcomeUnsubscribed, s.run(testJourney()).Outcome)
	s.Equal([]string{"checklist"}, s.acts.sentSteps())
}

func (s *journeySuite) TestFastLaneJustBeforeTheLastTimerIsHandedOff() {
	// A journey whose last step is a wait: the fast lane lands as it ends.
	def := testJourney()
	def.Steps = def.Steps[:2]
	s.signal(4*day-time.Second, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	s.signal(5*day, SignalSalesFeedback, Feedback{Outcome: FeedbackWon})
	s.Equal(OutcomeWon, s.run(def).Outcome)
	s.Len(s.acts.handoffs, 1)
}

// timers follows the run's timers in the test environment.
type timers struct {
	running  map[string]bool
	most     int // timers running at once, at most
	canceled int
}

func (s *journeySuite) trackTimers() *timers {
	t := &timers{running: map[string]bool{}}
	s.env.SetOnTimerScheduledListener(func(id string, _ time.Duration) {
		t.running[id] = true
		t.most = max(t.most, len(t.running))
	})
	s.env.SetOnTimerFiredListener(func(id string) { delete(t.running, id) })
	s.env.SetOnTimerCanceledListener(func(id string) {
		delete(t.running, id)
		t.canceled++
	})
	return t
}

func (s *journeySuite) TestAWaitThatEndsEarlyCancelsItsTimer() {
	fastLane := func(d time.Duration) { s.signal(d, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"}) }
	answer := func(d time.Duration, outcome string) { s.signal(d, SignalSalesFeedback, Feedback{Outcome: outcome}) }
	cases := []struct {
		name  string
		given func()
	}{
		{"a click ends wait-1", func() {
			s.signal(day, SignalEngagement, click("ev-1", "checklist"))
			s.signal(2*day, SignalStop, Control{})
		}},
		{"a fast lane ends wait-2, sales answer within the SLA", func() {
			fastLane(5 * day) // wait-2: days 4 to 18
			answer(6*day, FeedbackWon)
		}},
		{"a pause ends wait-1, the resume waits out the rest", func() {
			s.signal(day, SignalPause, Control{})
			s.signal(2*day, SignalResume, Control{})
			s.signal(3*day, SignalStop, Control{})
		}},
		{"a fast lane ends the cool-down", func() {
			fastLane(day)
			answer(2*day, FeedbackNotReady) // cool-down until day 62
			s.signal(10*day, SignalFastLane, FastLane{EventID: "f-2", Offer: "demo"})
			answer(11*day, FeedbackAccepted)
		}},
		{"a stop ends the wait for sales past the SLA", func() {
			fastLane(day)
			s.signal(4*day, SignalStop, Control{}) // one reminder on day 3
		}},
	}
	for _, c := range cases {
		s.Run(c.name, func() {
			s.SetupTest()
			t := s.trackTimers()
			c.given()
			s.run(testJourney())
			s.Positive(t.canceled, "the wait that ended early cancelled its timer")
			s.Equal(1, t.most, "one timer at a time: a wait's timer is fired or cancelled before the next wait starts one")
			s.Empty(t.running, "no timer outlives the run")
		})
	}
}
