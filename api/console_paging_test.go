package api_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var pagerLinkRE = regexp.MustCompile(`<a href="([^"]+)" rel="(prev|next)">`)

// pagerLinks are a list page's links to the previous and next pages.
func pagerLinks(body string) (prev, next string) {
	for _, m := range pagerLinkRE.FindAllStringSubmatch(body, -1) {
		if m[2] == "prev" {
			prev = html.UnescapeString(m[1])
		} else {
			next = html.UnescapeString(m[1])
		}
	}
	return prev, next
}

var customerCellRE = regexp.MustCompile(`<td>(c\d) GmbH</td>|<a href="/console/runs/[^/]+/(c\d)">`)

// customersListed are the customers c1, c2, … a list page shows, in order.
func customersListed(body string) []string {
	var out []string
	for _, m := range customerCellRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+m[2])
	}
	return out
}

func TestConsoleListsPageThroughHandoffsAndRunsKeepingTheFilters(t *testing.T) {
	h := newHarness(t)
	h.seed()
	now := time.Now().UTC()
	for i, id := range []string{"c1", "c2", "c3"} {
		h.customer(id, id+"@example.com", "en")
		// A fast lane of a customer in no journey: a hand-off without a run.
		h.json("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{{"id": "fl-" + id, "customer_id": id, "contact_id": id + "-max",
			"type": "fast-lane", "topic": "demo", "occurred_at": now.Add(time.Duration(i) * time.Second).Format(time.RFC3339)}}}, 200, nil)
	}
	h.eventually("three hand-offs", func() bool {
		var in struct{ Handoffs []any }
		h.json("GET", "/v1/handoffs?status=open", "sales", nil, 200, &in)
		return len(in.Handoffs) == 3
	})
	b := h.consoleBrowser()
	b.signInWithKey(h.keys["admin"])

	first := b.get("/console/handoffs?status=open&limit=2")
	requireConsolePage(t, first, 200)
	shown := customersListed(first.body)
	require.Len(t, shown, 2)
	prev, next := pagerLinks(first.body)
	require.Empty(t, prev, "the first page has none before it")
	require.NotEmpty(t, next)
	require.Contains(t, next, "status=open", "the filter stays")
	second := b.get(next)
	requireConsolePage(t, second, 200)
	rest := customersListed(second.body)
	require.Len(t, rest, 1)
	require.NotContains(t, shown, rest[0], "no hand-off twice")
	prev, next = pagerLinks(second.body)
	require.Empty(t, next, "the last page")
	back := b.get(prev)
	requireConsolePage(t, back, 200)
	require.Equal(t, shown, customersListed(back.body), "previous goes back to the first page")
	requireConsolePage(t, b.get("/console/handoffs?page=not-a-page"), http.StatusUnprocessableEntity)

	// Runs page through Temporal's visibility the same way.
	require.Len(t, h.enrol("erp-automation-crosssell", "c1", "c2", "c3").Results, 3)
	h.eventually("three runs listed", func() bool {
		var list struct{ Runs []any }
		h.json("GET", "/v1/runs?journey=erp-automation-crosssell", "marketing", nil, 200, &list)
		return len(list.Runs) == 3
	})
	first = b.get("/console/runs?journey=erp-automation-crosssell&limit=2")
	requireConsolePage(t, first, 200)
	shown = customersListed(first.body)
	require.Len(t, shown, 2)
	_, next = pagerLinks(first.body)
	require.Contains(t, next, "journey=erp-automation-crosssell")
	second = b.get(next)
	requireConsolePage(t, second, 200)
	rest = customersListed(second.body)
	require.Len(t, rest, 1)
	require.NotContains(t, shown, rest[0])
	prev, _ = pagerLinks(second.body)
	require.True(t, strings.HasPrefix(prev, "/console/runs?"), prev)
	require.Equal(t, shown, customersListed(b.get(prev).body))
}
