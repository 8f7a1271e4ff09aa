package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
)

// archivedJourney is the part of a journey version archiving is about.
type archivedJourney struct {
	JourneyID  string     `json:"journey_id"`
	Version    int        `json:"version"`
	ArchivedAt *time.Time `json:"archived_at"`
}

func (h *harness) journeyList(query string) map[string]archivedJourney {
	h.t.Helper()
	var list struct{ Journeys []archivedJourney }
	h.json("GET", "/v1/journeys"+query, "marketing", nil, 200, &list)
	out := map[string]archivedJourney{}
	for _, j := range list.Journeys {
		out[j.JourneyID] = j
	}
	return out
}

// Retiring a journey: DELETE archives it. It stays readable, leaves the
// list, refuses enrolments and detector entries, and its run in flight is
// not touched; publishing it again brings it back.
func TestAnArchivedJourneyTakesNoNewRunsAndLeavesRunsInFlightAlone(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.customer("beta", "anna@beta.example", "en")
	const path = "/v1/journeys/erp-automation-crosssell"
	const inFlight = "ripen/erp-automation-crosssell/acme"
	require.Equal(t, "started", h.enrol("erp-automation-crosssell", "acme").Results[0].Status)
	h.eventually("the run in flight sent its first email", func() bool { return len(h.stack.SendGrid.Messages()) == 1 })

	var archived archivedJourney
	h.json("DELETE", path, "marketing", nil, 200, &archived)
	require.Equal(t, 1, archived.Version)
	require.NotNil(t, archived.ArchivedAt)

	t.Run("a repeated DELETE answers the same", func(t *testing.T) {
		var again archivedJourney
		h.json("DELETE", path, "marketing", nil, 200, &again)
		require.Equal(t, archived, again)
		h.json("DELETE", "/v1/journeys/nope", "marketing", nil, 404, nil)
	})
	t.Run("it stays readable with archived_at", func(t *testing.T) {
		var got archivedJourney
		h.json("GET", path, "marketing", nil, 200, &got)
		require.Equal(t, archived, got)
		var versions struct{ Journeys []archivedJourney }
		h.json("GET", path+"/versions", "marketing", nil, 200, &versions)
		require.Len(t, versions.Journeys, 1)
		require.Equal(t, archived.ArchivedAt, versions.Journeys[0].ArchivedAt)
	})
	t.Run("the list leaves it out unless archived=true", func(t *testing.T) {
		require.NotContains(t, h.journeyList(""), "erp-automation-crosssell")
		require.NotContains(t, h.journeyList("?archived=false"), "erp-automation-crosssell")
		require.Equal(t, archived, h.journeyList("?archived=true")["erp-automation-crosssell"])
		code, data := h.do("GET", "/v1/journeys?archived=yes", "marketing", nil)
		require.Equal(t, http.StatusUnprocessableEntity, code, "%s", data)
		require.Equal(t, []string{"archived"}, problemOf(t, data).fields())
	})
	t.Run("enrolment is refused as a whole, naming the journey", func(t *testing.T) {
		code, data := h.do("POST", path+"/enrollments", "marketing", map[string]any{"customer_ids": []string{"beta", "acme"}})
		require.Equal(t, http.StatusConflict, code, "%s", data)
		p := problemOf(t, data)
		require.Contains(t, p.Detail, "erp-automation-crosssell")
		require.Contains(t, p.Detail, "archived")
		h.json("GET", path+"/runs/beta", "marketing", nil, 404, nil)
	})
	t.Run("its detector enrols no one", func(t *testing.T) {
		now := time.Now().UTC().Format(time.RFC3339)
		_, enrolled := h.postEvents(
			map[string]any{"id": "b-visit-1", "customer_id": "beta", "type": "visit", "topic": "process-automation", "occurred_at": now},
			map[string]any{"id": "b-visit-2", "customer_id": "beta", "type": "visit", "topic": "process-automation", "occurred_at": now},
		)
		require.Empty(t, enrolled)
		h.json("GET", path+"/runs/beta", "marketing", nil, 404, nil)
	})
	t.Run("the run in flight is not touched", func(t *testing.T) {
		var st struct{ Status, Stage string }
		h.json("GET", path+"/runs/acme", "marketing", nil, 200, &st)
		require.Equal(t, "running", st.Status)
		require.Equal(t, "nurturing", st.Stage)
		iter := h.stack.Client.GetWorkflowHistory(context.Background(), inFlight, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(t, err)
			require.Nil(t, ev.GetWorkflowExecutionSignaledEventAttributes(), "archiving signals no run")
		}
		// It still takes signals and ends as any run does.
		h.json("POST", path+"/runs/acme/signals", "marketing", map[string]any{"type": "stop"}, 202, nil)
		h.waitClosed(inFlight)
	})
	t.Run("publishing it again, unchanged, brings it back", func(t *testing.T) {
		var back archivedJourney
		h.json("PUT", path, "marketing", testJourney, 200, &back)
		require.Equal(t, 1, back.Version, "no new version")
		require.Nil(t, back.ArchivedAt)
		require.Contains(t, h.journeyList(""), "erp-automation-crosssell")
		require.Equal(t, "started", h.enrol("erp-automation-crosssell", "beta").Results[0].Status)
	})
}
