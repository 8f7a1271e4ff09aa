package api_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A website or a form knows an address, not ripen's IDs: an event may name
// its contact by contact_email. The address finds the contact (whatever its
// case) and is not stored; one that finds nobody is named as the problem.
func TestAnEventMayNameItsContactByEmail(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.customer("globex", "ann@globex.example", "en")

	var res struct {
		Accepted int `json:"accepted"`
	}
	h.json("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{{
		"id": "web-1", "contact_email": "Max@ACME.example", "type": "visit", "topic": "process-automation",
		"occurred_at": "2026-11-26T10:00:00Z"}}}, 200, &res)
	require.Equal(t, 1, res.Accepted)
	got := h.storedEvents("acme", "visit")
	require.Len(t, got, 1)
	require.Equal(t, "acme-max", got[0].ContactID)
	require.Empty(t, got[0].ContactEmail, "the address is not stored with the event")

	t.Run("an address of nobody, or of another customer, is the problem named", func(t *testing.T) {
		code, body := h.do("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{
			{"id": "web-2", "contact_email": "nobody@acme.example", "type": "visit", "occurred_at": "2026-11-26T10:00:00Z"},
			{"id": "web-3", "contact_email": "ann@globex.example", "customer_id": "acme", "type": "visit", "occurred_at": "2026-11-26T10:00:00Z"},
			{"id": "web-4", "contact_email": "ann@globex.example", "type": "visit", "occurred_at": "2026-11-26T10:00:00Z"},
		}})
		require.Equal(t, 422, code, "%s", body)
		p := problemOf(t, body)
		require.Equal(t, []string{"events[0].contact_email", "events[1].contact_email"}, p.fields(), "web-4 was fine")
		require.Empty(t, h.storedEvents("globex", "visit"), "nothing of a refused batch is stored")
	})
}
