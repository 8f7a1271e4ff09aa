package histories_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/workflows"
)

// buyingGroupJourney mails two contacts of an account and tells the owner
// when the detector enrols it.
const buyingGroupJourney = `
id: erp-automation-crosssell
version: 3
name: Automation add-on for ERP customers
offer: {kind: cross-sell, product: automation-suite}
audience: {personas: [ops-lead, it-lead]}
scoring: {points: {open: 1, click: 10, visit: 5}, topics: [process-automation]}
mqn: {threshold: 40, fast_lane: [demo]}
handoff: {sla: 2d, notify_on_enrol: true}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 14d}
  - {id: case-study, send: erp-automation-case-study}
`

// TestBuyingGroupOnTheEmbeddedServer runs a journey of a buying group on
// the embedded Temporal server: the detector's events start it and the
// owner is told at once; one contact's unsubscribe leaves the run going,
// the last one's ends it unsubscribed. With RIPEN_RECORD_HISTORY set it
// records the history:
//
//	RIPEN_RECORD_HISTORY=$PWD/workflows/testdata/buying-group-history.json go test ./workflows/internal/histories -run BuyingGroup
func TestBuyingGroupOnTheEmbeddedServer(t *testing.T) {
	ctx, c, acts := onTheEmbeddedServer(t, &fakeActivities{reachable: []string{"acme-max", "acme-ina"}})
	enrolled := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	events := []workflows.Engagement{
		{EventID: "ev-1", Kind: "visit", Topic: "process-automation", ContentID: "automation-checklist", ContactID: "acme-max", At: enrolled},
		{EventID: "ev-2", Kind: "download", Topic: "process-automation", ContactID: "acme-ina", At: enrolled},
	}
	r, _ := startJourney(ctx, t, c, buyingGroupJourney, workflows.Input{Engagements: events})

	r.until("sleeping in wait-1", func(st workflows.State) bool { return r.sleepingIn(st, "wait-1") })
	acts.mu.Lock()
	require.Len(t, acts.enrolments, 1, "the owner was told of the enrolment")
	require.Equal(t, events, acts.enrolments[0].Engagements)
	acts.mu.Unlock()

	acts.unsubscribe("acme-max")
	r.signal(workflows.SignalUnsubscribe, workflows.Control{ContactID: "acme-max", Reason: "unsubscribe link"})
	r.until("acme-max gone, the run still in wait-1", func(st workflows.State) bool {
		return len(st.Unsubscribes) == 1 && !st.CheckReach && r.sleepingIn(st, "wait-1")
	})
	acts.unsubscribe("acme-ina")
	r.signal(workflows.SignalUnsubscribe, workflows.Control{ContactID: "acme-ina", Reason: "unsubscribe link"})

	var res workflows.Result
	require.NoError(t, c.GetWorkflow(ctx, r.id, "").Get(ctx, &res))
	require.Equal(t, workflows.OutcomeUnsubscribed, res.Outcome)
	require.Equal(t, []string{"checklist"}, acts.sentSteps())

	checkAndRecord(ctx, t, c, r.id)
}
