package histories_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/workflows"
)

// accountsJourney has the account rules: it scores only process-automation,
// wants two contacts for MQN by score, and converts on an order.
const accountsJourney = `
id: erp-automation-crosssell
version: 2
name: Automation add-on for ERP customers
offer: {kind: cross-sell, product: automation-suite}
scoring: {points: {open: 1, click: 10, visit: 5}, topics: [process-automation]}
mqn: {threshold: 20, min_contacts: 2, fast_lane: [demo]}
handoff: {sla: 2d}
goal: {event: order, product: automation-suite, within: 180d}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 14d}
  - {id: case-study, send: erp-automation-case-study}
`

// TestAccountRulesOnTheEmbeddedServer runs a journey with the account rules
// on the embedded Temporal server: engagement off its topics scores
// nothing, one contact at the threshold is not enough, a second contact
// hands the account off, and an order of the goal's product ends the run
// converted. With RIPEN_RECORD_HISTORY set it records the history:
//
//	RIPEN_RECORD_HISTORY=$PWD/workflows/testdata/accounts-history.json go test ./workflows/internal/histories -run AccountRules
func TestAccountRulesOnTheEmbeddedServer(t *testing.T) {
	ctx, c, acts := onTheEmbeddedServer(t, &fakeActivities{})
	r, _ := startJourney(ctx, t, c, accountsJourney, workflows.Input{})

	r.until("sleeping in wait-1", func(st workflows.State) bool { return r.sleepingIn(st, "wait-1") })
	for _, id := range []string{"fin-1", "fin-2", "fin-3", "fin-4"} {
		r.signal(workflows.SignalEngagement, workflows.Engagement{EventID: id, Kind: "visit", Topic: "financial-reporting", ContactID: "acme-max"})
	}
	r.signal(workflows.SignalEngagement, workflows.Engagement{EventID: "ev-1", Kind: "click", StepID: "checklist", ContactID: "acme-max"})
	r.until("only the own email's click scored", func(st workflows.State) bool { return st.Score == 10 && len(st.Engagements) == 1 })
	r.signal(workflows.SignalEngagement, workflows.Engagement{EventID: "ev-2", Kind: "visit", Topic: "process-automation", ContactID: "acme-max"})
	r.signal(workflows.SignalEngagement, workflows.Engagement{EventID: "ev-3", Kind: "visit", Topic: "process-automation", ContactID: "acme-max"})
	r.until("at the threshold with one contact", func(st workflows.State) bool {
		return st.Score == 20 && len(st.Contacts) == 1 && r.sleepingIn(st, "wait-1")
	})
	r.signal(workflows.SignalEngagement, workflows.Engagement{EventID: "ev-4", Kind: "open", StepID: "checklist", ContactID: "acme-ina"})
	r.until("handed off", func(st workflows.State) bool {
		return st.Stage == workflows.StageHandoff && st.Handoff != nil && st.Handoff.ID != "" && st.NextWakeAt != nil
	})
	r.signal(workflows.SignalEngagement, workflows.Engagement{EventID: "ord-1", Kind: workflows.KindOrder, Product: "automation-suite", ContactID: "acme-ina"})

	var res workflows.Result
	require.NoError(t, c.GetWorkflow(ctx, r.id, "").Get(ctx, &res))
	require.Equal(t, workflows.OutcomeConverted, res.Outcome)
	require.Equal(t, 21.0, res.Score)
	require.Equal(t, []string{"checklist"}, acts.sentSteps())

	checkAndRecord(ctx, t, c, r.id)
}
