package api_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A marketer asks what the journey did: the run enrolled and emailed is in
// the funnel; a filter they mistype is named; sales may not read reports.
func TestAJourneyReportThroughTheAPI(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	require.NotEmpty(t, msg.Subject)

	type report struct {
		JourneyID string         `json:"journey_id"`
		Funnel    map[string]int `json:"funnel"`
		Content   []struct {
			ContentID string `json:"content_id"`
			Sent      int    `json:"sent"`
		} `json:"content"`
		Arms      map[string]any `json:"arms"`
		Holdout   any            `json:"holdout"`
		TimeToMQN any            `json:"time_to_mqn"`
	}
	var r report
	h.eventually("the sent email in the report", func() bool {
		h.json("GET", "/v1/journeys/"+linkJourney+"/report", "marketing", nil, 200, &r)
		return r.Funnel["emailed"] == 1
	})
	require.Equal(t, linkJourney, r.JourneyID)
	require.Equal(t, 1, r.Funnel["enrolled"])
	require.Equal(t, 0, r.Funnel["mqn"])
	require.NotEmpty(t, r.Content)
	require.Equal(t, 1, r.Content[0].Sent)
	require.Empty(t, r.Arms)
	require.Nil(t, r.Holdout, "no account was held out")
	require.Nil(t, r.TimeToMQN, "no run reached MQN")

	t.Run("per-journey counters", func(t *testing.T) {
		_, _, body := h.doAt(h.stack.OpsURL, "GET", "/metrics", "", nil, nil)
		for _, line := range []string{
			`ripen_journey_enrolled_total{journey="` + linkJourney + `"} 1`,
			`ripen_journey_emails_sent_total{journey="` + linkJourney + `"} 1`,
		} {
			require.Contains(t, string(body), line)
		}
	})

	h.json("GET", "/v1/journeys/"+linkJourney+"/report?from=2099-01-01", "marketing", nil, 200, &r)
	require.Equal(t, 0, r.Funnel["enrolled"], "no run started in 2099")

	code, body := h.do("GET", "/v1/journeys/"+linkJourney+"/report?version=first&to=March", "marketing", nil)
	require.Equal(t, 422, code, "%s", body)
	require.Equal(t, []string{"version", "to"}, problemOf(t, body).fields())
	code, _ = h.do("GET", "/v1/journeys/nope/report", "marketing", nil)
	require.Equal(t, 404, code)
	code, _ = h.do("GET", "/v1/journeys/"+linkJourney+"/report", "sales", nil)
	require.Equal(t, 403, code)
}
