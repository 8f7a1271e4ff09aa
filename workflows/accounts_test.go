package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// accountsJourneyYAML scores only process-automation, wants two contacts
// for MQN by score, and converts on an order of automation-suite within
// 180 days. No decay, so scores are plain sums.
const accountsJourneyYAML = `
id: erp-automation-crosssell
version: 3
name: Automation add-on
offer: {kind: cross-sell, product: automation-suite}
scoring: {points: {click: 10, visit: 5}, topics: [process-automation]}
mqn: {threshold: 20, min_contacts: %d, fast_lane: [demo]}
goal: {event: order, product: automation-suite, within: 180d}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 30d}
`

func accountsJourney(minContacts int) journey.Definition {
	def, err := journey.Parse([]byte(fmt.Sprintf(accountsJourneyYAML, minContacts)))
	if err != nil {
		panic(err)
	}
	return *def
}

func visit(id, contact, topic string) Engagement {
	return Engagement{EventID: id, Kind: "visit", Topic: topic, ContactID: contact}
}

func order(id, product string) Engagement {
	return Engagement{EventID: id, Kind: KindOrder, Product: product, ContactID: "acme-max"}
}

// acceptHandoffs has sales accept the first hand-off as soon as the owner
// is told, so a run that hands off ends.
func (s *journeySuite) acceptHandoffs() {
	s.acts.onNotify = func(req NotifyRequest) {
		if req.Reminder == 0 {
			s.env.SignalWorkflow(SignalSalesFeedback, Feedback{Outcome: FeedbackAccepted})
		}
	}
}

func (s *journeySuite) TestEngagementOffTheJourneysTopicsScoresNothing() {
	s.acceptHandoffs()
	for i := range 4 {
		s.signal(time.Hour, SignalEngagement, visit(fmt.Sprint("fin-", i), "acme-max", "financial-reporting"))
	}
	// A click in the run's own email has no topic: it is on the journey's
	// content and counts.
	s.signal(2*time.Hour, SignalEngagement, Engagement{EventID: "own", Kind: "click", StepID: "checklist", ContactID: "acme-max"})
	res := s.run(accountsJourney(1))
	s.Equal(OutcomeNotQualified, res.Outcome, "20 points of financial reporting do not qualify an automation cross-sell")
	s.Empty(s.acts.handoffs)
	s.Equal(10.0, res.Score)
	st := s.state()
	s.Require().Len(st.Engagements, 1, "off-topic engagement is no evidence")
	s.Equal("own", st.Engagements[0].EventID)
	s.True(st.AccountRules)
}

func (s *journeySuite) TestEngagementOnTheJourneysTopicsQualifies() {
	s.acceptHandoffs()
	s.signal(time.Hour, SignalEngagement, Engagement{EventID: "own", Kind: "click", StepID: "checklist", ContactID: "acme-max"})
	s.signal(2*time.Hour, SignalEngagement, visit("v1", "acme-max", "process-automation"))
	s.signal(3*time.Hour, SignalEngagement, visit("v2", "acme-max", "process-automation"))
	res := s.run(accountsJourney(1))
	s.Equal(OutcomeAccepted, res.Outcome)
	s.Require().Len(s.acts.handoffs, 1)
	s.Equal(ReasonScore, s.acts.handoffs[0].Reason)
	s.Equal(20.0, s.acts.handoffs[0].Score)
}

func (s *journeySuite) TestMQNByScoreWaitsForMinContacts() {
	s.acceptHandoffs()
	// One contact alone reaches the threshold...
	s.signal(time.Hour, SignalEngagement, visit("v1", "acme-max", "process-automation"))
	s.signal(time.Hour, SignalEngagement, visit("v2", "acme-max", "process-automation"))
	s.signal(time.Hour, SignalEngagement, visit("v3", "acme-max", "process-automation"))
	s.signal(time.Hour, SignalEngagement, visit("v4", "acme-max", "process-automation"))
	s.at(day, func() {
		st := s.state()
		s.Equal(20.0, st.Score)
		s.Equal(StageNurturing, st.Stage, "one contact is not a buying group")
		s.False(st.MQN)
		s.Equal([]string{"acme-max"}, st.Contacts)
	})
	// ...and the second contact's engagement, however small, qualifies.
	s.signal(2*day, SignalEngagement, visit("v5", "acme-ina", "process-automation"))
	res := s.run(accountsJourney(2))
	s.Equal(OutcomeAccepted, res.Outcome)
	s.Require().Len(s.acts.handoffs, 1)
	s.Equal(ReasonScore, s.acts.handoffs[0].Reason)
	s.Equal(25.0, s.acts.handoffs[0].Score, "handed off when acme-ina engaged, not before")
}

func (s *journeySuite) TestOffTopicEngagementIsNoContactForMinContacts() {
	for i := range 4 {
		s.signal(time.Hour, SignalEngagement, visit(fmt.Sprint("v", i), "acme-max", "process-automation"))
	}
	s.signal(2*time.Hour, SignalEngagement, visit("fin", "acme-ina", "financial-reporting"))
	res := s.run(accountsJourney(2))
	s.Equal(OutcomeNotQualified, res.Outcome)
	s.Empty(s.acts.handoffs)
}

func (s *journeySuite) TestFastLaneQualifiesWithoutMinContacts() {
	s.acceptHandoffs()
	s.signal(time.Hour, SignalFastLane, FastLane{EventID: "f1", Offer: "demo", ContactID: "acme-max"})
	res := s.run(accountsJourney(3))
	s.Equal(OutcomeAccepted, res.Outcome)
	s.Require().Len(s.acts.handoffs, 1)
	s.Equal(ReasonFastLane, s.acts.handoffs[0].Reason)
}

func (s *journeySuite) TestOrderOfTheGoalsProductEndsTheRunConverted() {
	s.signal(day, SignalEngagement, order("o-other", "erp-core"))
	s.at(2*day, func() {
		s.Equal(StatusRunning, s.state().Status, "an order of another product is not the goal")
	})
	s.signal(10*day, SignalEngagement, order("o-goal", "automation-suite"))
	res := s.run(accountsJourney(1))
	s.Equal(OutcomeConverted, res.Outcome)
	s.Equal(0.0, res.Score, "an order scores nothing")
	st := s.state()
	s.Equal(StageDone, st.Stage)
	s.Empty(st.Engagements)
	end := s.acts.snaps[len(s.acts.snaps)-1]
	s.Equal(OutcomeConverted, end.Outcome, "the end is recorded as every end is")
	s.Equal(s.start.Add(10*day), end.At.UTC(), "when the order came")
}

func (s *journeySuite) TestOrderWhileHandedOffEndsTheRunConverted() {
	s.signal(time.Hour, SignalFastLane, FastLane{EventID: "f1", Offer: "demo"})
	s.signal(3*day, SignalEngagement, order("o-goal", "automation-suite"))
	res := s.run(accountsJourney(1))
	s.Equal(OutcomeConverted, res.Outcome)
	s.Len(s.acts.handoffs, 1)
}

func (s *journeySuite) TestOrderAfterTheGoalsTimeDoesNotConvert() {
	def := accountsJourney(1)
	def.Goal.Within = journey.SpanOf(5 * day)
	s.signal(10*day, SignalEngagement, order("o-late", "automation-suite"))
	res := s.run(def)
	s.Equal(OutcomeNotQualified, res.Outcome)
}

// A run that started before the account rules (no marker in its history,
// as the recorded histories in testdata) scores every topic, needs no
// second contact and ignores orders.
func (s *journeySuite) TestRunWithoutTheMarkerKeepsTheEarlierRules() {
	s.env.OnGetVersion(accountRulesChange, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	s.acceptHandoffs()
	s.signal(time.Hour, SignalEngagement, order("o-goal", "automation-suite"))
	for i := range 4 {
		s.signal(2*time.Hour, SignalEngagement, visit(fmt.Sprint("fin-", i), "acme-max", "financial-reporting"))
	}
	res := s.run(accountsJourney(2))
	s.Equal(OutcomeAccepted, res.Outcome)
	s.Require().Len(s.acts.handoffs, 1)
	s.Equal(20.0, s.acts.handoffs[0].Score)
	s.False(s.state().AccountRules)
}
