package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/ripen/ripen/store"
)

// upsellJourney is a second journey on the same content, without a
// detector, so events reach it only through a run.
const upsellJourney = `id: automation-upsell
name: More automation for automation customers
offer: {kind: upsell, product: automation-suite-pro}
persona: ops-lead
scoring: {points: {open: 1, click: 10, visit: 5, download: 15}, half_life: 30d}
mqn: {threshold: 400}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 30d}
`

type enrolResults struct {
	Results []struct {
		CustomerID string `json:"customer_id"`
		Status     string `json:"status"`
		WorkflowID string `json:"workflow_id"`
		RunID      string `json:"run_id"`
	} `json:"results"`
}

type runState struct {
	WorkflowID  string  `json:"workflow_id"`
	RunID       string  `json:"run_id"`
	Status      string  `json:"status"`
	Outcome     *string `json:"outcome"`
	Stage       string  `json:"stage"`
	OwnerID     string  `json:"owner_id"`
	Score       float64 `json:"score"`
	Engagements []struct {
		EventID string `json:"event_id"`
	} `json:"engagements"`
}

func (h *harness) enrol(journeyID string, customerIDs ...string) enrolResults {
	h.t.Helper()
	var res enrolResults
	h.json("POST", "/v1/journeys/"+journeyID+"/enrollments", "marketing", map[string]any{"customer_ids": customerIDs}, 200, &res)
	return res
}

func (h *harness) postEvents(events ...map[string]any) (signalled, enrolled []string) {
	h.t.Helper()
	var res struct{ Signalled, Enrolled []string }
	h.json("POST", "/v1/events", "marketing", map[string]any{"events": events}, 200, &res)
	return res.Signalled, res.Enrolled
}

// waitClosed waits until Temporal has closed the workflow's current run, so
// it may be started again.
func (h *harness) waitClosed(workflowID string) {
	h.t.Helper()
	h.eventually(workflowID+" closed", func() bool {
		d, err := h.stack.Client.DescribeWorkflowExecution(context.Background(), workflowID, "")
		require.NoError(h.t, err)
		return d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
}

func (s runState) has(eventID string) bool {
	for _, e := range s.Engagements {
		if e.EventID == eventID {
			return true
		}
	}
	return false
}

func TestEventsReachEveryRunOfTheCustomer(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.customer("globex", "max@globex.example", "en")
	h.json("PUT", "/v1/journeys/automation-upsell", "marketing", upsellJourney, 201, nil)
	cross, upsell := "ripen/erp-automation-crosssell/acme", "ripen/automation-upsell/acme"

	res := h.enrol("erp-automation-crosssell", "acme")
	require.Equal(t, "started", res.Results[0].Status)
	// The run is in the projection before its workflow has written a thing.
	r, err := h.stack.Store.GetRun(context.Background(), cross)
	require.NoError(t, err)
	require.Equal(t, store.RunRunning, r.Status)
	require.Equal(t, "rep-eva", r.OwnerID)
	require.Equal(t, "started", h.enrol("automation-upsell", "acme").Results[0].Status)

	now := time.Now().UTC().Format(time.RFC3339)
	signalled, enrolled := h.postEvents(
		map[string]any{"id": "click-1", "customer_id": "acme", "type": "click", "occurred_at": now},
		map[string]any{"id": "visit-1", "customer_id": "globex", "type": "visit", "occurred_at": now},
	)
	require.Equal(t, []string{upsell, cross}, signalled, "both of acme's runs; globex is in none")
	require.Empty(t, enrolled)
	for _, path := range []string{"/v1/journeys/erp-automation-crosssell/runs/acme", "/v1/journeys/automation-upsell/runs/acme"} {
		var st runState
		h.eventually("the click reached "+path, func() bool {
			h.json("GET", path, "marketing", nil, 200, &st)
			return st.has("click-1")
		})
		require.GreaterOrEqual(t, st.Score, 10.0)
	}

	// Once a run has ended, its events go nowhere; the other run still
	// gets them.
	h.json("POST", "/v1/journeys/automation-upsell/runs/acme/signals", "marketing", map[string]any{"type": "stop"}, 202, nil)
	h.eventually("the stopped run is no longer running in the projection", func() bool {
		r, err := h.stack.Store.GetRun(context.Background(), upsell)
		require.NoError(t, err)
		return r.Status != store.RunRunning
	})
	signalled, _ = h.postEvents(map[string]any{"id": "click-2", "customer_id": "acme", "type": "click", "occurred_at": now})
	require.Equal(t, []string{cross}, signalled)

	// A run started again after its end is routed to at once.
	h.waitClosed(upsell)
	res = h.enrol("automation-upsell", "acme")
	require.Equal(t, "started", res.Results[0].Status)
	signalled, _ = h.postEvents(map[string]any{"id": "click-3", "customer_id": "acme", "type": "click", "occurred_at": now})
	require.Equal(t, []string{upsell, cross}, signalled)
}

func TestReadingARun(t *testing.T) {
	h := newHarness(t)
	h.seed()
	res := h.enrol("erp-automation-crosssell", "acme")
	require.Equal(t, "started", res.Results[0].Status)
	path := "/v1/journeys/erp-automation-crosssell/runs/acme"

	t.Run("a running run names its run", func(t *testing.T) {
		var st runState
		h.json("GET", path, "sales", nil, 200, &st)
		require.Equal(t, "ripen/erp-automation-crosssell/acme", st.WorkflowID)
		require.Equal(t, res.Results[0].RunID, st.RunID)
		require.Equal(t, "running", st.Status)
		require.Nil(t, st.Outcome)
		require.Equal(t, "rep-eva", st.OwnerID, "the owner came with the start")
	})
	t.Run("no run is 404", func(t *testing.T) {
		var p struct{ Status int }
		h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/nobody", "sales", nil, 404, &p)
		h.json("GET", "/v1/journeys/no-such-journey/runs/acme", "sales", nil, 404, &p)
	})
	t.Run("a completed run says how it ended", func(t *testing.T) {
		h.json("POST", path+"/signals", "marketing", map[string]any{"type": "stop"}, 202, nil)
		var st runState
		h.eventually("the run ends", func() bool {
			h.json("GET", path, "sales", nil, 200, &st)
			return st.Status == "completed"
		})
		require.Equal(t, res.Results[0].RunID, st.RunID)
		require.NotNil(t, st.Outcome)
		require.Equal(t, "done", st.Stage)
	})
	t.Run("a terminated run reads as terminated, with its last state", func(t *testing.T) {
		h.waitClosed(res.Results[0].WorkflowID)
		res := h.enrol("erp-automation-crosssell", "acme")
		require.Equal(t, "started", res.Results[0].Status)
		var st runState
		h.eventually("the new run answers", func() bool {
			h.json("GET", path, "sales", nil, 200, &st)
			return st.RunID == res.Results[0].RunID
		})
		ctx := context.Background()
		require.NoError(t, h.stack.Client.TerminateWorkflow(ctx, res.Results[0].WorkflowID, "", "test"))
		h.json("GET", path, "sales", nil, 200, &st)
		require.Equal(t, "terminated", st.Status)
		require.Equal(t, res.Results[0].RunID, st.RunID)
		require.Nil(t, st.Outcome)
		require.True(t, strings.HasPrefix(st.WorkflowID, "ripen/"))
	})
}
