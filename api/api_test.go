package api_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEnrolSendsTheFirstEmailOnce(t *testing.T) {
	h := newHarness(t)
	h.seed()
	var res struct {
		Results []struct{ CustomerID, Status string } `json:"results"`
	}
	h.json("POST", "/v1/journeys/erp-automation-crosssell/enrollments", "marketing", map[string]any{"customer_ids": []string{"acme", "nobody", "acme"}}, 200, &res)
	require.Len(t, res.Results, 3)
	require.Equal(t, "started", res.Results[0].Status)
	require.Equal(t, "unknown-customer", res.Results[1].Status)
	require.Equal(t, "already-running", res.Results[2].Status)
	h.eventually("first email in the local inbox", func() bool { return len(h.stack.SendGrid.Messages()) == 1 })
	msg := h.stack.SendGrid.Messages()[0]
	require.Equal(t, "Max, about automation-checklist", msg.Subject)
	require.Equal(t, []string{"max@acme.example"}, msg.To)
	require.Contains(t, msg.HTML, h.stack.APIURL+"/r/")
	require.NotContains(t, msg.HTML, "https://example.com/automation-checklist", "links are rewritten to tracked links")
	require.Equal(t, "List-Unsubscribe=One-Click", msg.Headers["List-Unsubscribe-Post"])
	require.Equal(t, "checklist", msg.CustomArgs["ripen_step"])

	h.json("POST", "/v1/journeys/erp-automation-crosssell/enrollments", "marketing", map[string]any{"customer_ids": []string{"acme"}}, 200, &res)
	require.Equal(t, "already-running", res.Results[0].Status)
}
