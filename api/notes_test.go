package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
)

// Sales' note on an answer is capped like a fast-lane note: a longer one is
// 422 naming note, on both ways to answer, and nothing is recorded. The
// server has no Temporal: an answer that got past validation would need it.
func TestAnAnswerWithANoteOverMaxNoteIs422(t *testing.T) {
	f := newInboxFixture(t)
	ctx := t.Context()
	h, err := f.st.CreateHandoff(ctx, store.Handoff{RunKey: "ripen/j/acme/run-1", WorkflowID: "ripen/j/acme",
		JourneyID: "j", CustomerID: "acme", OwnerID: "rep-eva", Cycle: 1, Reason: store.ReasonScore, Score: 40,
		SLADueAt: time.Now().Add(48 * time.Hour)})
	require.NoError(t, err)
	srv := httptest.NewServer(New(UseCases{Store: f.st, Runs: runs.New(f.st, nil, nil, runs.Config{}, zerolog.Nop(), nil)},
		Config{}, zerolog.Nop(), nil).Handler())
	t.Cleanup(srv.Close)
	post := func(path string, body map[string]any) (int, Problem) {
		t.Helper()
		data, err := json.Marshal(body)
		require.NoError(t, err)
		req, err := http.NewRequest("POST", srv.URL+path, bytes.NewReader(data))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+f.sales)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var p Problem
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&p))
		return resp.StatusCode, p
	}
	fields := func(p Problem) []string {
		var out []string
		for _, e := range p.Errors {
			out = append(out, e.Field)
		}
		return out
	}
	long := strings.Repeat("ä", runs.MaxNote+1) // characters, not bytes

	status, p := post("/v1/handoffs/"+h.ID+"/feedback", map[string]any{"outcome": "not-ready", "note": long})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%+v", p)
	require.Equal(t, []string{"note"}, fields(p))
	require.Contains(t, p.Errors[0].Message, "2000 characters")

	status, p = post("/v1/journeys/j/runs/acme/signals", map[string]any{"type": "sales-feedback", "outcome": "not-ready", "note": long})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%+v", p)
	require.Equal(t, []string{"note"}, fields(p))

	status, p = post("/v1/handoffs/"+h.ID+"/feedback", map[string]any{"outcome": "maybe", "note": long})
	require.Equal(t, http.StatusUnprocessableEntity, status, "%+v", p)
	require.Equal(t, []string{"outcome", "note"}, fields(p), "every problem at once")

	got, err := f.st.GetHandoff(ctx, h.ID)
	require.NoError(t, err)
	require.Equal(t, store.HandoffOpen, got.Status)
	require.Empty(t, got.Answer, "no answer was claimed")
	require.Empty(t, got.AnswerNote)
}
