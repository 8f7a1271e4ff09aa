package histories_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/workflows"
)

// experimentsJourney holds out half its accounts and splits after the
// checklist. Its ID and percent are chosen so that the hash holds acme
// out and sends it down arm b: the run covers both.
const experimentsJourney = `
id: erp-automation-upsell
version: 2
name: Automation upgrade for ERP customers
offer: {kind: upsell, product: automation-suite, requires: [erp-core]}
scoring: {points: {click: 10, visit: 5}, topics: [process-automation]}
mqn: {threshold: 10, fast_lane: [demo]}
holdout: 50
steps:
  - {id: checklist, send: automation-checklist}
  - {id: subject-test, split: [{arm: a, weight: 50, goto: case-study}, {arm: b, weight: 50, goto: webinar}]}
  - {id: case-study, send: erp-automation-case-study}
  - {id: wait-a, wait: 14d}
  - {id: done, end: true}
  - {id: webinar, send: automation-webinar}
  - {id: wait-b, wait: 14d}
`

// TestExperimentsOnTheEmbeddedServer runs a held-out account through a
// split on the embedded Temporal server: the holdout and the arm are
// kept by the ChooseArm activity, no email goes out, two visits qualify
// the account and sales accept the hand-off. With RIPEN_RECORD_HISTORY set
// it records the history:
//
//	RIPEN_RECORD_HISTORY=$PWD/workflows/testdata/experiments-history.json go test ./workflows/internal/histories -run Experiments
func TestExperimentsOnTheEmbeddedServer(t *testing.T) {
	ctx, c, acts := onTheEmbeddedServer(t, &fakeActivities{})
	r, def := startJourney(ctx, t, c, experimentsJourney, workflows.Input{})
	require.True(t, journey.HeldOut(def.ID, "acme", def.Holdout), "the journey's ID and holdout must hold acme out")
	require.Equal(t, "b", journey.SplitArm(def.ID, "acme", def.Steps[1]))

	r.until("held out, in wait-b", func(st workflows.State) bool {
		return st.Holdout && st.Arms["subject-test"] == "b" && r.sleepingIn(st, "wait-b")
	})
	r.signal(workflows.SignalEngagement, workflows.Engagement{EventID: "v1", Kind: "visit", Topic: "process-automation", ContactID: "acme-max"})
	r.signal(workflows.SignalEngagement, workflows.Engagement{EventID: "v2", Kind: "visit", Topic: "process-automation", ContactID: "acme-max"})
	r.until("handed off", func(st workflows.State) bool {
		return st.Stage == workflows.StageHandoff && st.Handoff != nil && st.Handoff.ID != "" && st.NextWakeAt != nil
	})
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: r.id, UpdateName: workflows.UpdateFeedback, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.Feedback{Outcome: workflows.FeedbackAccepted}},
	})
	require.NoError(t, err)
	require.NoError(t, handle.Get(ctx, nil))

	var res workflows.Result
	require.NoError(t, c.GetWorkflow(ctx, r.id, "").Get(ctx, &res))
	require.Equal(t, workflows.OutcomeAccepted, res.Outcome)
	require.Zero(t, res.Touches)
	require.Empty(t, acts.sentSteps(), "a held-out account gets no email")
	v, err := c.QueryWorkflow(ctx, r.id, "", workflows.QueryState)
	require.NoError(t, err)
	var st workflows.State
	require.NoError(t, v.Get(&st))
	require.Equal(t, 2, st.Withheld, "the checklist and the webinar")
	require.True(t, st.MQN)

	checkAndRecord(ctx, t, c, r.id)
}

// ChooseArm answers the arm offered, as the store answers an account new
// to the step.
func (f *fakeActivities) ChooseArm(_ context.Context, req workflows.ArmRequest) (workflows.ArmResult, error) {
	return workflows.ArmResult{Arm: req.Arm, First: true}, nil
}
