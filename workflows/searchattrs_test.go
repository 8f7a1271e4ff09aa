package workflows

import (
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// publishedScores records every RipenScore the run upserts, in order.
func (s *journeySuite) publishedScores() *[]int64 {
	var scores []int64
	s.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if v, ok := args.Get(0).(temporal.SearchAttributes).GetInt64(AttrScore); ok {
			scores = append(scores, v)
		}
	})
	return &scores
}

// burstOfVisits delivers three visits (5 points each) together an hour
// after enrolment, then one more the next hour, and stops the run.
func (s *journeySuite) burstOfVisits() {
	s.at(time.Hour, func() {
		// One workflow task: the first two wait for the third's.
		s.env.SignalWorkflowSkippingWorkflowTask(SignalEngagement, Engagement{EventID: "v-1", Kind: "visit"})
		s.env.SignalWorkflowSkippingWorkflowTask(SignalEngagement, Engagement{EventID: "v-2", Kind: "visit"})
		s.env.SignalWorkflow(SignalEngagement, Engagement{EventID: "v-3", Kind: "visit"})
	})
	s.signal(2*time.Hour, SignalEngagement, Engagement{EventID: "v-4", Kind: "visit"})
	s.signal(3*time.Hour, SignalStop, Control{})
}

// A burst of engagement that reaches the run together costs one upsert
// (one visibility write, one billable action) with the score after all
// of it; a lone event still shows at once.
func (s *journeySuite) TestABurstOfEngagementIsPublishedOnce() {
	scores := s.publishedScores()
	s.burstOfVisits()
	s.run(testJourney())
	s.Equal([]int64{0, 15, 20}, *scores)
	s.True(s.state().PublishPerTask)
}

// A run that recorded an earlier version of experimentsChange (as the
// recorded histories in testdata did) keeps upserting once per event, so
// its history replays.
func (s *journeySuite) TestRunOfAnEarlierVersionPublishesEachEngagement() {
	s.env.OnGetVersion(experimentsChange, workflow.DefaultVersion, publishOncePerTaskVersion).Return(experimentsVersion)
	scores := s.publishedScores()
	s.burstOfVisits()
	s.run(testJourney())
	s.Equal([]int64{0, 5, 10, 15, 20}, *scores)
	st := s.state()
	s.True(st.Experiments)
	s.False(st.PublishPerTask)
}
