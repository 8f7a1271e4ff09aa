package api_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/ripen/ripen/workflows"
)

// A workflow ID comes back when a customer is enrolled again: each run has
// its own hand-off, a run that ends unanswered withdraws its own, and a
// hand-off left open by a terminated run does not block the next run.
func TestHandoffsBelongToTheirRunAcrossReEnrolments(t *testing.T) {
	h := newHarness(t)
	h.seed()
	const workflowID = "ripen/erp-automation-crosssell/acme"
	run := "/v1/journeys/erp-automation-crosssell/runs/acme"
	type handoff struct {
		ID           string `json:"id"`
		Status       string `json:"status"`
		Feedback     string `json:"feedback"`
		FeedbackNote string `json:"feedback_note"`
	}
	get := func(id string) handoff {
		var got handoff
		h.json("GET", "/v1/handoffs/"+id, "sales", nil, 200, &got)
		return got
	}
	enrolAndHandOff := func(not ...string) string {
		h.t.Helper()
		require.Equal(t, "started", h.enrol("erp-automation-crosssell", "acme").Results[0].Status)
		h.json("POST", run+"/signals", "sales", map[string]any{"type": "fast-lane", "offer": "demo"}, 202, nil)
		var id string
		h.eventually("a new open hand-off", func() bool {
			var inbox struct{ Handoffs []handoff }
			h.json("GET", "/v1/handoffs?status=open&customer=acme", "sales", nil, 200, &inbox)
			for _, o := range inbox.Handoffs {
				if !slices.Contains(not, o.ID) {
					id = o.ID
					return true
				}
			}
			return false
		})
		return id
	}

	// Run 1 is stopped while sales think it over: its hand-off is withdrawn.
	first := enrolAndHandOff()
	h.json("POST", run+"/signals", "marketing", map[string]any{"type": "stop"}, 202, nil)
	h.eventually("the stopped run's hand-off is withdrawn", func() bool { return get(first).Status == "withdrawn" })
	require.Empty(t, get(first).Feedback)
	var p struct{ Detail string }
	h.json("POST", "/v1/handoffs/"+first+"/feedback", "sales", map[string]any{"outcome": "won"}, 409, &p)
	require.Contains(t, p.Detail, "run ended before an answer")
	var withdrawn struct{ Handoffs []handoff }
	h.json("GET", "/v1/handoffs?status=withdrawn", "sales", nil, 200, &withdrawn)
	require.Len(t, withdrawn.Handoffs, 1)
	h.waitClosed(workflowID)

	// Run 2 hands off and is terminated by an operator: its hand-off stays open.
	second := enrolAndHandOff(first)
	require.NoError(t, h.stack.Client.TerminateWorkflow(context.Background(), workflowID, "", "operator"))
	h.waitClosed(workflowID)

	// Run 3 hands off all the same; sales answer it on the run, with a note.
	third := enrolAndHandOff(first, second)
	var st struct {
		Stage string
		MQN   bool `json:"mqn"`
	}
	h.json("POST", run+"/signals", "sales", map[string]any{"type": "sales-feedback", "outcome": "not-ready", "note": "budget next year"}, 200, &st)
	require.Equal(t, "cooldown", st.Stage)
	require.True(t, st.MQN, "cooling down, the run has reached MQN, as RipenMQN and the run list say")
	got := get(third)
	require.Equal(t, "not-ready", got.Status, "the current run's hand-off, not the stale one")
	require.Equal(t, "budget next year", got.FeedbackNote, "the note is kept in Postgres")
	require.Equal(t, "open", get(second).Status)

	// A late answer to the terminated run's hand-off is recorded, and
	// never reaches the current run: the update is pinned to the old
	// run's chain, so it is refused at once even while no worker runs
	// (unpinned, it would wait for a worker and fall back to a signal to
	// the current run).
	h.stack.StopWorker()
	var late handoff
	h.json("POST", "/v1/handoffs/"+second+"/feedback", "sales", map[string]any{"outcome": "lost", "note": "went elsewhere"}, 200, &late)
	require.Equal(t, "lost", late.Status)
	require.Equal(t, "went elsewhere", late.FeedbackNote)
	require.NoError(t, h.stack.StartWorker())
	h.json("GET", run, "sales", nil, 200, &st)
	require.Equal(t, "cooldown", st.Stage, "the current run is not touched")
	iter := h.stack.Client.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		if sig := ev.GetWorkflowExecutionSignaledEventAttributes(); sig != nil {
			require.NotEqual(t, workflows.SignalSalesFeedback, sig.GetSignalName(), "no answer was signalled to the current run")
		}
	}
}
