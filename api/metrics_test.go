package api_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMetricsShowLatencyByRouteAndTheWork: /metrics carries the API's own
// series, the Temporal SDK's, and (in the dev stack, where worker and API
// share a registry) the worker's sends and hand-offs.
func TestMetricsShowLatencyByRouteAndTheWork(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.json("GET", "/v1/personas", "marketing", nil, 200, nil)
	h.json("GET", "/v1/personas/nobody", "marketing", nil, 404, nil)
	require.Equal(t, "started", h.enrol("erp-automation-crosssell", "acme").Results[0].Status)
	h.eventually("the first email", func() bool { return len(h.stack.SendGrid.Messages()) == 1 })
	h.json("POST", "/v1/journeys/erp-automation-crosssell/runs/acme/signals", "sales", map[string]any{"type": "fast-lane", "offer": "demo"}, 202, nil)
	var metrics string
	h.eventually("the hand-off is counted", func() bool {
		code, _, body := h.doAt(h.stack.OpsURL, "GET", "/metrics", "", nil, nil)
		require.Equal(t, 200, code)
		metrics = string(body)
		return strings.Contains(metrics, `ripen_handoffs_total{reason="fast-lane"} 1`)
	})
	for _, want := range []string{
		// Latency by route (the route's template, not the path) and status.
		`ripen_http_request_duration_seconds_bucket{route="GET /v1/personas",status="200",le="0.005"}`,
		`ripen_http_request_duration_seconds_count{route="GET /v1/personas/{id}",status="404"} 1`,
		`ripen_http_request_duration_seconds_count{route="POST /v1/journeys/{id}/enrollments",status="200"} 1`,
		`ripen_enrollments_total{result="started"} 1`,
		`ripen_signals_total{type="fast-lane"} 1`,
		// Sends, counted by the worker.
		`ripen_emails_sent_total{kind="content"}`,
		// The Temporal SDK's own.
		`temporal_request`,
		`go_goroutines`,
	} {
		require.Contains(t, metrics, want)
	}
}
