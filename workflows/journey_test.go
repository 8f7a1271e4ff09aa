package workflows

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/journey"
)

// fakeActivities stands in for Postgres and SendGrid: it records what the
// workflow asked for, against the test environment's clock.
type fakeActivities struct {
	mu        sync.Mutex
	env       *testsuite.TestWorkflowEnvironment
	sends     []sentAt
	handoffs  []HandoffRequest
	notices   []NotifyRequest
	closed    []CloseHandoffRequest
	timezone  string
	capUntil  time.Time // sends before this are deferred
	suppress  bool
	runStages []string
	snaps     []RunSnapshot
	visits    []int
	loads     int
	// onSend, when set, sees every send request first; an error it
	// returns is the activity's.
	onSend func(SendRequest) error
	// onSync, when set, sees each projection the run records (to signal
	// the run while it records its end).
	onSync   func(RunSnapshot)
	onNotify func(NotifyRequest)
}

type sentAt struct {
	Step  string
	Cycle int
	At    time.Time
}

func (f *fakeActivities) LoadRunContext(_ context.Context, req RunContextRequest) (RunContext, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	return RunContext{OwnerID: "rep-eva", Timezone: f.timezone, Reachable: true}, nil
}

func (f *fakeActivities) SendContent(_ context.Context, req SendRequest) (SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.env.Now().UTC()
	if f.onSend != nil {
		if err := f.onSend(req); err != nil {
			return SendResult{}, err
		}
	}
	if f.suppress {
		return SendResult{Status: SendSuppressed}, nil
	}
	if now.Before(f.capUntil) {
		return SendResult{Status: SendDeferred, NotBefore: f.capUntil}, nil
	}
	f.sends = append(f.sends, sentAt{Step: req.StepID, Cycle: req.Cycle, At: now})
	f.visits = append(f.visits, req.Visit)
	return SendResult{Status: SendSent, MessageIDs: []string{"msg-" + req.StepID}}, nil
}

func (f *fakeActivities) RecordHandoff(_ context.Context, req HandoffRequest) (HandoffRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handoffs = append(f.handoffs, req)
	return HandoffRecord{ID: "h-" + req.Reason}, nil
}

func (f *fakeActivities) NotifyOwner(_ context.Context, req NotifyRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notices = append(f.notices, req)
	if f.onNotify != nil {
		f.onNotify(req)
	}
	return nil
}

func (f *fakeActivities) CloseHandoff(_ context.Context, req CloseHandoffRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = append(f.closed, req)
	return nil
}

func (f *fakeActivities) SyncRun(_ context.Context, snap RunSnapshot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runStages = append(f.runStages, snap.Stage)
	f.snaps = append(f.snaps, snap)
	if f.onSync != nil {
		f.onSync(snap)
	}
	return nil
}

func (f *fakeActivities) sentSteps() []string {
	var out []string
	for _, s := range f.sends {
		out = append(out, s.Step)
	}
	return out
}

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

// testJourney is the DESIGN example without a send window, so timing is
// easy to follow.
func testJourney() journey.Definition {
	return journey.Definition{
		ID: "erp-automation-crosssell", Version: 1, Name: "Automation add-on",
		Offer:   journey.Offer{Kind: journey.OfferCrossSell, Product: "automation-suite"},
		Scoring: journey.Scoring{Points: map[string]float64{"open": 1, "click": 10, "visit": 5, "download": 15}, HalfLife: journey.Duration(30 * day)},
		MQN:     journey.MQN{Threshold: 40, FastLane: []string{"consultation", "demo", "price-indication"}},
		Handoff: journey.Handoff{SLA: journey.Duration(2 * day), RecycleAfter: journey.Duration(60 * day), MaxRecycles: 2},
		Steps: []journey.Step{
			{ID: "checklist", Send: "automation-checklist"},
			{ID: "wait-1", Wait: journey.Duration(4 * day), Until: journey.Kinds{"click"}},
			{ID: "reminder", If: "!clicked('checklist')", Send: "automation-checklist-reminder"},
			{ID: "case-study", Send: "erp-automation-case-study"},
			{ID: "wait-2", Wait: journey.Duration(14 * day), Until: journey.Kinds{"fast_lane"}},
			{ID: "nudge", If: "score < 20 && days_in_journey < 90", Goto: "case-study"},
		},
	}
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

func (s *journeySuite) TestFastLaneNotOfferedByTheJourneyDoesNotQualify() {
	s.signal(day, SignalFastLane, FastLane{Offer: "checklist"})
	s.signal(2*day, SignalStop, Control{})
	s.Equal(OutcomeStopped, s.run(testJourney()).Outcome)
	s.Empty(s.acts.handoffs)
}

func (s *journeySuite) TestNotReadyCoolsDownThenSecondCycleIsAccepted() {
	s.signal(day, SignalFastLane, FastLane{Offer: "demo"})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady, Note: "budget next year"})
	s.at(3*day, func() {
		st := s.state()
		s.Equal(StageCooldown, st.Stage)
		s.False(st.MQN)
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

func (s *journeySuite) TestNotReadyTooOftenEndsWithMaxRecycles() {
	def := testJourney()
	def.Handoff.MaxRecycles = 0
	s.signal(day, SignalFastLane, FastLane{Offer: "demo"})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackNotReady})
	s.Equal(OutcomeMaxRecycles, s.run(def).Outcome)
}

func (s *journeySuite) TestSLAPassingRemindsTheOwner() {
	s.signal(day, SignalFastLane, FastLane{Offer: "demo"})
	s.signal(day+5*day, SignalSalesFeedback, Feedback{Outcome: FeedbackLost})
	s.Equal(OutcomeLost, s.run(testJourney()).Outcome)
	// First notice, then a reminder after 2 and after 4 days.
	s.Equal([]NotifyRequest{{HandoffID: "h-fast-lane"}, {HandoffID: "h-fast-lane", Reminder: 1}, {HandoffID: "h-fast-lane", Reminder: 2}}, s.acts.notices)
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

func (s *journeySuite) TestUnsubscribeDuringAWaitSendsNothingMore() {
	s.signal(2*day, SignalUnsubscribe, Control{Reason: "link"})
	res := s.run(testJourney())
	s.Equal(OutcomeUnsubscribed, res.Outcome)
	s.Equal([]string{"checklist"}, s.acts.sentSteps())
}

func (s *journeySuite) TestSuppressedContactsEndTheRun() {
	s.acts.suppress = true
	s.Equal(OutcomeUnsubscribed, s.run(testJourney()).Outcome)
}

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

func (s *journeySuite) TestSendOnFridayEveningWaitsForMondayMorningInContactTimezone() {
	berlin, err := time.LoadLocation("Europe/Berlin")
	s.Require().NoError(err)
	s.env.SetStartTime(time.Date(2026, 11, 27, 19, 0, 0, 0, berlin)) // Friday 19:00
	s.acts.timezone = "Europe/Berlin"
	def := testJourney()
	def.SendWindow = &journey.SendWindow{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00"}
	s.signal(4*day, SignalStop, Control{})
	s.run(def)
	s.Require().NotEmpty(s.acts.sends)
	s.Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, berlin), s.acts.sends[0].At.In(berlin))
}

func (s *journeySuite) TestFrequencyCapDefersTheSend() {
	s.acts.capUntil = s.start.Add(36 * time.Hour)
	s.signal(3*day, SignalStop, Control{})
	s.run(testJourney())
	s.Require().Len(s.acts.sends, 1)
	s.Equal(s.start.Add(36*time.Hour), s.acts.sends[0].At)
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
		s.False(st.MQN)
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

func (s *journeySuite) TestPauseAndResumeAreRecorded() {
	s.signal(2*day, SignalPause, Control{})
	s.at(3*day, func() { s.Equal(StagePaused, s.acts.runStages[len(s.acts.runStages)-1]) })
	s.signal(10*day, SignalResume, Control{})
	s.at(10*day+time.Hour, func() { s.Equal(StageNurturing, s.acts.runStages[len(s.acts.runStages)-1]) })
	s.signal(11*day, SignalStop, Control{})
	s.run(testJourney())
	s.Equal([]string{StageNurturing, StagePaused, StageNurturing, StageDone}, s.acts.runStages)
}

func (s *journeySuite) TestSalesNoteStaysOutOfHistory() {
	s.signal(day, SignalFastLane, FastLane{EventID: "f-1", Offer: "demo"})
	s.signal(2*day, SignalSalesFeedback, Feedback{Outcome: FeedbackWon, Note: "signed for 40 seats"})
	s.Equal(OutcomeWon, s.run(testJourney()).Outcome)
	s.Equal([]CloseHandoffRequest{{HandoffID: "h-fast-lane", Outcome: FeedbackWon}}, s.acts.closed,
		"the store keeps the note on the hand-off row")
}

func (s *journeySuite) TestTimezoneThatFailsToLoadKeepsTheSendWindowInUTC() {
	s.env.SetStartTime(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)) // Saturday
	s.acts.timezone = "Nowhere/Atlantis"
	def := testJourney()
	def.SendWindow = &journey.SendWindow{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00"}
	s.signal(3*day, SignalStop, Control{})
	s.run(def)
	s.Require().NotEmpty(s.acts.sends)
	s.Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC), s.acts.sends[0].At, "Monday 08:00 UTC, not at once")
	s.Contains(s.state().LastError, "send window")
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
		s.False(st.MQN, "the state says where the run is now")
		s.True(st.ReachedMQN)
	})
	s.signal(4*day, SignalStop, Control{})
	s.run(testJourney())
	s.Equal([]bool{false, true}, mqn, "RipenMQN is set false at the start, true at the hand-off, and never cleared: "+
		"operators find every run that qualified")
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

func TestWorkflowIDCarriesNoPersonalData(t *testing.T) {
	require.Equal(t, "ripen/erp-automation-crosssell/acme", WorkflowID("erp-automation-crosssell", "acme"))
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

func (s *journeySuite) TestAFailedSendUsesUpItsVisit() {
	// The outbox keeps a failed email: asked again for the same (step,
	// cycle, visit) it fails again ("failed before").
	failed := map[string]bool{}
	var caseStudyVisits []int
	s.acts.onSend = func(req SendRequest) error {
		key := fmt.Sprintf("%s/%d/%d", req.StepID, req.Cycle, req.Visit)
		if req.StepID == "case-study" {
			caseStudyVisits = append(caseStudyVisits, req.Visit)
			if req.Visit == 1 {
				failed[key] = true
			}
		}
		if failed[key] {
			return temporal.NewNonRetryableApplicationError("failed before", "SendFailed", nil)
		}
		return nil
	}
	s.signal(40*day, SignalStop, Control{})
	s.Equal(OutcomeStopped, s.run(testJourney()).Outcome)
	// Case study on days 4 (fails), 18 and 32: each loop is a new email.
	s.Equal([]int{1, 2, 3}, caseStudyVisits)
	s.Equal([]string{"checklist", "reminder", "case-study", "case-study"}, s.acts.sentSteps())
	s.Equal([]int{1, 1, 2, 3}, s.acts.visits)
	s.Contains(s.state().LastError, "send case-study")
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
		{"without times, every pause before every resume as before", true, StagePaused,
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
