package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// buyingGroupJourneyYAML mails two emails a month apart to the ops and IT
// leads of an account, and tells the owner when the detector enrols one.
const buyingGroupJourneyYAML = `
id: erp-automation-crosssell
version: 4
name: Automation add-on
offer: {kind: cross-sell, product: automation-suite}
audience: {personas: [ops-lead, it-lead]}
scoring: {points: {click: 10, visit: 5}, topics: [process-automation]}
mqn: {threshold: 20, fast_lane: [demo]}
handoff: {sla: 2d, notify_on_enrol: %t}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 30d}
  - {id: case-study, send: erp-automation-case-study}
`

func buyingGroupJourney(notifyOnEnrol bool) journey.Definition {
	def, err := journey.Parse([]byte(fmt.Sprintf(buyingGroupJourneyYAML, notifyOnEnrol)))
	if err != nil {
		panic(err)
	}
	return *def
}

// runInput runs the workflow with in (for the customer acme).
func (s *journeySuite) runInput(in Input) Result {
	in.CustomerID = "acme"
	s.env.ExecuteWorkflow(Journey, in)
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var res Result
	s.Require().NoError(s.env.GetWorkflowResult(&res))
	return res
}

func (s *journeySuite) withoutAccountRules() {
	s.env.OnGetVersion(accountRulesChange, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
}

func (s *journeySuite) TestOneContactsUnsubscribeLeavesTheRunGoing() {
	s.signal(day, SignalUnsubscribe, Control{ContactID: "acme-max", Reason: "unsubscribe link"})
	s.at(2*day, func() {
		st := s.state()
		s.Equal(StatusRunning, st.Status)
		s.Equal("wait-1", st.Step, "the wait goes on to its deadline")
		s.Equal([]string{"acme-max"}, st.Unsubscribes)
		s.False(st.CheckReach)
	})
	res := s.run(buyingGroupJourney(false))
	s.Equal(OutcomeNotQualified, res.Outcome)
	s.Equal([]string{"checklist", "case-study"}, s.acts.sentSteps(), "the others of the buying group still get the emails")
	s.Equal(s.start.Add(30*day), s.acts.sends[1].At, "the wait was not cut short")
	s.Require().Len(s.acts.loadReqs, 2, "the unsubscribe asks who is left")
	s.Equal([]string{"ops-lead", "it-lead"}, s.acts.loadReqs[1].Personas, "of the journey's audience")
}

func (s *journeySuite) TestTheLastReachableContactsUnsubscribeEndsTheRun() {
	s.acts.nobodyLeft = true
	s.signal(day, SignalUnsubscribe, Control{ContactID: "acme-ina"})
	res := s.run(buyingGroupJourney(false))
	s.Equal(OutcomeUnsubscribed, res.Outcome)
	s.Equal([]string{"checklist"}, s.acts.sentSteps())
	end := s.acts.snaps[len(s.acts.snaps)-1]
	s.Equal(s.start.Add(day), end.At.UTC(), "the run ended when the last contact left")
}

func (s *journeySuite) TestContactsUnsubscribeWhileHandedOffKeepsTheHandoff() {
	s.acceptHandoffs()
	s.acts.onNotify = nil
	s.signal(time.Hour, SignalFastLane, FastLane{EventID: "f1", Offer: "demo", ContactID: "acme-max"})
	s.signal(day, SignalUnsubscribe, Control{ContactID: "acme-max"})
	s.at(day+time.Hour, func() {
		s.Equal(StageHandoff, s.state().Stage, "sales still has the account")
		s.env.SignalWorkflow(SignalSalesFeedback, Feedback{Outcome: FeedbackAccepted})
	})
	res := s.run(buyingGroupJourney(false))
	s.Equal(OutcomeAccepted, res.Outcome)
	s.Len(s.acts.loadReqs, 2)
}

func (s *journeySuite) TestUnsubscribeThatNamesNoContactEndsTheRun() {
	s.signal(day, SignalUnsubscribe, Control{Reason: "spam report"})
	res := s.run(buyingGroupJourney(false))
	s.Equal(OutcomeUnsubscribed, res.Outcome)
	s.Equal(1, s.acts.loads, "nobody to ask about")
}

func (s *journeySuite) TestWithoutTheMarkerOneContactsUnsubscribeEndsTheRun() {
	s.withoutAccountRules()
	s.signal(day, SignalUnsubscribe, Control{ContactID: "acme-max"})
	res := s.run(buyingGroupJourney(false))
	s.Equal(OutcomeUnsubscribed, res.Outcome)
	s.Equal([]string{"checklist"}, s.acts.sentSteps())
	s.Equal(1, s.acts.loads)
	s.Empty(s.state().Unsubscribes)
}

func detectorEvents(start time.Time) []Engagement {
	return []Engagement{
		{EventID: "e1", Kind: "visit", Topic: "process-automation", ContentID: "automation-checklist", ContactID: "acme-max", At: start.Add(-2 * day)},
		{EventID: "e2", Kind: "download", Topic: "process-automation", ContactID: "acme-ina", At: start.Add(-day)},
	}
}

func (s *journeySuite) TestNotifyOnEnrolTellsTheOwnerWithTheEventsThatEnrolled() {
	s.runInput(Input{Journey: buyingGroupJourney(true), Engagements: detectorEvents(s.start)})
	s.Require().Len(s.acts.enrolments, 1)
	s.Zero(s.acts.sendsAtEnrolment, "told at once, before the first email goes out")
	n := s.acts.enrolments[0]
	s.Equal("rep-eva", n.OwnerID)
	s.Equal("acme", n.CustomerID)
	s.Equal("erp-automation-crosssell", n.JourneyID)
	s.Equal(4, n.Version)
	s.Equal("automation-suite", n.Offer)
	s.Equal(s.state().RunKey, n.RunKey)
	s.Equal(detectorEvents(s.start), n.Engagements)
}

func (s *journeySuite) TestEnrolmentsThatTellNobody() {
	for name, tc := range map[string]struct {
		notify, marker bool
		events         []Engagement
	}{
		"a marketing enrolment brings no events": {notify: true, marker: true},
		"the journey does not ask for it":        {marker: true, events: detectorEvents(s.start)},
		"a run without the account rules":        {notify: true, events: detectorEvents(s.start)},
	} {
		s.Run(name, func() {
			s.SetupTest()
			if !tc.marker {
				s.withoutAccountRules()
			}
			s.runInput(Input{Journey: buyingGroupJourney(tc.notify), Engagements: tc.events})
			s.Empty(s.acts.enrolments)
		})
	}
}
