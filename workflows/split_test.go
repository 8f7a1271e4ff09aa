package workflows

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// experimentJourneyYAML splits at subject-test: arm a goes on at the case
// study, arm b at the webinar; both then wait 30 days. %s is the weights,
// e.g. "50, 50"; holdout is %d percent.
const experimentJourneyYAML = `
id: erp-automation-crosssell
version: %d
name: Automation add-on
offer: {kind: cross-sell, product: automation-suite}
scoring: {points: {click: 10, visit: 5}}
mqn: {threshold: 20, fast_lane: [demo]}
handoff: {sla: 2d, recycle_after: 10d, max_recycles: 1}
holdout: %d
steps:
  - {id: checklist, send: automation-checklist}
  - {id: subject-test, split: [{arm: a, weight: %d, goto: case-study}, {arm: b, weight: %d, goto: webinar}]}
  - {id: case-study, send: erp-automation-case-study}
  - {id: wait-a, wait: 30d}
  - {id: done, end: true}
  - {id: webinar, send: automation-webinar}
  - {id: wait-b, wait: 30d}
`

func experimentJourney(version, holdout, weightA, weightB int) journey.Definition {
	def, err := journey.Parse(fmt.Appendf(nil, experimentJourneyYAML, version, holdout, weightA, weightB))
	if err != nil {
		panic(err)
	}
	return *def
}

// armStore is the store's first-arm-wins table: the first arm offered for
// (journey, customer, step) is the one every later request gets.
type armStore struct {
	mu    sync.Mutex
	arms  map[string]string
	calls []ArmRequest
}

func (a *armStore) ChooseArm(_ context.Context, req ArmRequest) (ArmResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, req)
	if a.arms == nil {
		a.arms = map[string]string{}
	}
	k := req.JourneyID + "/" + req.CustomerID + "/" + req.StepID
	if arm, ok := a.arms[k]; ok {
		return ArmResult{Arm: arm}, nil
	}
	a.arms[k] = req.Arm
	return ArmResult{Arm: req.Arm, First: true}, nil
}

// experimentRun is one run of a journey for a customer in a fresh test
// environment, its activities faked and its arms kept in arms.
type experimentRun struct {
	acts  *fakeActivities
	state State
	res   Result
}

// runExperiment runs def for customer with arms as the store; setup may
// schedule signals on the environment before the run starts.
func (s *journeySuite) runExperiment(def journey.Definition, customer string, arms *armStore, setup func(*experimentRun)) *experimentRun {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.SetStartTime(s.start)
	run := &experimentRun{acts: &fakeActivities{env: s.env}}
	s.acts = run.acts
	s.env.RegisterActivity(run.acts)
	s.env.RegisterActivity(arms)
	s.env.RegisterWorkflow(Journey)
	if setup != nil {
		setup(run)
	}
	s.env.ExecuteWorkflow(Journey, Input{Journey: def, CustomerID: customer})
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	s.Require().NoError(s.env.GetWorkflowResult(&run.res))
	run.state = s.state()
	return run
}

// customerTaking finds a customer the hash sends down arm at the split of
// def and, with holdout, one the holdout holds out (or not).
func customerTaking(def journey.Definition, arm string, heldOut bool) string {
	for i := range 1000 {
		c := fmt.Sprint("acme-", i)
		if journey.SplitArm(def.ID, c, def.Steps[1]) == arm && journey.HeldOut(def.ID, c, def.Holdout) == heldOut {
			return c
		}
	}
	panic("no such customer among 1000")
}

func (s *journeySuite) TestASplitRoutesEachAccountToItsArmsStep() {
	def := experimentJourney(1, 0, 50, 50)
	for arm, content := range map[string]string{"a": "erp-automation-case-study", "b": "automation-webinar"} {
		customer := customerTaking(def, arm, false)
		run := s.runExperiment(def, customer, &armStore{}, nil)
		s.Equal(OutcomeNotQualified, run.res.Outcome, customer)
		wantSteps := map[string][]string{"a": {"checklist", "case-study"}, "b": {"checklist", "webinar"}}[arm]
		s.Equal(wantSteps, run.acts.sentSteps(), "%s takes arm %s, whose goto sends %s", customer, arm, content)
		s.Equal(map[string]string{"subject-test": arm}, run.state.Arms)
		s.False(run.state.Holdout)
		s.True(run.state.Experiments)
	}
}

func (s *journeySuite) TestTheSameAccountAlwaysTakesTheSameArm() {
	def := experimentJourney(1, 0, 50, 50)
	want := journey.SplitArm(def.ID, "acme", def.Steps[1])
	for i := range 3 {
		// A fresh store each time: the hash alone decides, alike.
		run := s.runExperiment(def, "acme", &armStore{}, nil)
		s.Equal(map[string]string{"subject-test": want}, run.state.Arms, "run %d", i)
	}
}

// TestTheStoredArmWinsOverTheHash: an account that took arm a under v1's
// weights stays on arm a in v2, whose weights would send it down arm b,
// and a new account follows v2's weights.
func (s *journeySuite) TestTheStoredArmWinsOverTheHash() {
	v1 := experimentJourney(1, 0, 50, 50)
	customer := customerTaking(v1, "a", false)
	v2 := experimentJourney(2, 0, 1, 1000)
	s.Require().Equal("b", journey.SplitArm(v2.ID, customer, v2.Steps[1]), "v2's weights would move the account")

	arms := &armStore{}
	first := s.runExperiment(v1, customer, arms, nil)
	s.Equal("a", first.state.Arms["subject-test"])

	again := s.runExperiment(v2, customer, arms, nil)
	s.Equal(map[string]string{"subject-test": "a"}, again.state.Arms, "re-enrolled on v2, the account keeps its arm")
	s.Equal([]string{"checklist", "case-study"}, again.acts.sentSteps())
	s.Require().Len(arms.calls, 2)
	s.Equal(ArmRequest{JourneyID: v2.ID, Version: 2, CustomerID: customer, StepID: "subject-test", Arm: "b"}, arms.calls[1],
		"the run offers the hash's arm and takes the stored one")

	newcomer := customerTaking(v2, "b", false)
	s.Equal("b", s.runExperiment(v2, newcomer, arms, nil).state.Arms["subject-test"])
}

// TestARecycledRunKeepsItsArm: after "not ready" the run passes the split
// again in cycle 2, on the same arm, without asking again.
func (s *journeySuite) TestARecycledRunKeepsItsArm() {
	def := experimentJourney(1, 0, 50, 50)
	customer := customerTaking(def, "b", false)
	arms := &armStore{}
	run := s.runExperiment(def, customer, arms, func(r *experimentRun) {
		s.signal(time.Hour, SignalFastLane, FastLane{EventID: "fl-1", Offer: "demo", ContactID: "acme-max"})
		r.acts.onNotify = func(req NotifyRequest) {
			if req.Reminder == 0 {
				s.env.SignalWorkflow(SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady})
			}
		}
	})
	s.Equal(2, run.res.Cycles)
	s.Equal([]string{"checklist", "webinar", "checklist", "webinar"}, run.acts.sentSteps())
	s.Equal(map[string]string{"subject-test": "b"}, run.state.Arms)
	s.Len(arms.calls, 1, "the arm is asked for once per run")
}

// TestContinueAsNewKeepsTheArms: the next run carries the arm it took.
func (s *journeySuite) TestContinueAsNewKeepsTheArms() {
	def := experimentJourney(1, 0, 50, 50)
	customer := customerTaking(def, "a", false)
	arms := &armStore{}
	s.env.RegisterActivity(arms)
	s.at(time.Hour, func() { s.env.SetContinueAsNewSuggested(true) })
	next, _ := s.continuedAsNew(Input{Journey: def, CustomerID: customer})
	s.Equal(map[string]string{"subject-test": "a"}, next.State.Arms)
	s.True(next.State.Experiments)
}

// TestAHeldOutRunSendsNothingButScoresAndHandsOff: the control group gets
// no email, and its engagement (a visit to the website) still scores,
// qualifies and reaches the owner, as a treated run's does.
func (s *journeySuite) TestAHeldOutRunSendsNothingButScoresAndHandsOff() {
	def := experimentJourney(1, 50, 50, 50)
	customer := customerTaking(def, "a", true)
	arms := &armStore{}
	run := s.runExperiment(def, customer, arms, func(r *experimentRun) {
		s.signal(2*day, SignalEngagement, visit("v1", "acme-max", "process-automation"))
		s.signal(3*day, SignalEngagement, visit("v2", "acme-max", "process-automation"))
		s.signal(4*day, SignalEngagement, visit("v3", "acme-max", "process-automation"))
		s.signal(5*day, SignalEngagement, visit("v4", "acme-max", "process-automation"))
		r.acts.onNotify = func(req NotifyRequest) {
			if req.Reminder == 0 {
				s.env.SignalWorkflow(SignalSalesFeedback, Feedback{Outcome: FeedbackAccepted})
			}
		}
	})
	s.Empty(run.acts.sends, "a held-out account gets no email")
	s.Equal(OutcomeAccepted, run.res.Outcome)
	s.Require().Len(run.acts.handoffs, 1, "held out, it is still handed off at MQN")
	s.Equal(ReasonScore, run.acts.handoffs[0].Reason)
	s.Equal(20.0, run.acts.handoffs[0].Score)
	s.True(run.state.Holdout)
	s.True(run.state.MQN)
	s.Zero(run.res.Touches)
	s.Equal(2, run.state.Withheld)
	s.Equal([]string{"checklist", "case-study"}, sentStepIDs(run.state.WithheldSends))
	s.Equal(map[string]string{"subject-test": "a"}, run.state.Arms, "a held-out account still takes its arm, so the report can split it")
	s.Require().NotEmpty(arms.calls)
	s.Equal(ArmRequest{JourneyID: def.ID, Version: 1, CustomerID: customer, StepID: journey.HoldoutStep, Arm: journey.ArmHoldout}, arms.calls[0])
}

// TestTheStoredHoldoutWins: an account treated at its first enrolment is
// treated on a later version whose holdout would hold it out, and the
// other way round.
func (s *journeySuite) TestTheStoredHoldoutWins() {
	v1 := experimentJourney(1, 10, 50, 50)
	v2 := experimentJourney(2, 50, 50, 50)
	customer := ""
	for i := range 1000 {
		c := fmt.Sprint("acme-", i)
		if !journey.HeldOut(v1.ID, c, 10) && journey.HeldOut(v2.ID, c, 50) {
			customer = c
			break
		}
	}
	s.Require().NotEmpty(customer)
	arms := &armStore{}
	s.False(s.runExperiment(v1, customer, arms, nil).state.Holdout)
	again := s.runExperiment(v2, customer, arms, nil)
	s.False(again.state.Holdout, "the 50% holdout of v2 does not move an account treated under v1")
	s.Len(again.acts.sends, 2)

	// A version without a holdout holds out nobody, and asks nothing.
	calls := len(arms.calls)
	held := customerTaking(v2, "a", true)
	s.True(s.runExperiment(v2, held, arms, nil).state.Holdout)
	none := s.runExperiment(experimentJourney(3, 0, 50, 50), held, arms, nil)
	s.False(none.state.Holdout)
	s.Len(none.acts.sends, 2)
	s.Len(arms.calls, calls+1+2, "v2: holdout and split; v3: the split alone")
}

// A run that started before experiments (no marker in its history) has
// neither holdout nor a kept arm: it follows the hash and asks nothing.
func (s *journeySuite) TestRunWithoutTheExperimentsMarkerFollowsTheHashAlone() {
	def := experimentJourney(1, 50, 50, 50)
	customer := customerTaking(def, "b", true)
	s.env.OnGetVersion(experimentsChange, workflow.DefaultVersion, publishOncePerTaskVersion).Return(workflow.DefaultVersion)
	arms := &armStore{}
	s.env.RegisterActivity(arms)
	s.env.ExecuteWorkflow(Journey, Input{Journey: def, CustomerID: customer})
	s.Require().NoError(s.env.GetWorkflowError())
	st := s.state()
	s.False(st.Experiments)
	s.False(st.Holdout)
	s.Equal(map[string]string{"subject-test": "b"}, st.Arms)
	s.Equal([]string{"checklist", "webinar"}, s.acts.sentSteps())
	s.Empty(arms.calls)
}

func sentStepIDs(sends []SentStep) []string {
	var out []string
	for _, x := range sends {
		out = append(out, x.StepID)
	}
	return out
}

// The state query shows the arms and the holdout under the names the
// design gives them.
func (s *journeySuite) TestTheStateNamesArmsAndHoldout() {
	def := experimentJourney(1, 50, 50, 50)
	run := s.runExperiment(def, customerTaking(def, "a", true), &armStore{}, nil)
	v, err := s.env.QueryWorkflow(QueryState)
	s.Require().NoError(err)
	var raw map[string]any
	s.Require().NoError(v.Get(&raw))
	s.Equal(map[string]any{"subject-test": "a"}, raw["arms"])
	s.Equal(true, raw["holdout"])
	s.True(strings.HasPrefix(run.state.Step, "wait-a") || run.state.Step == "done")
}
