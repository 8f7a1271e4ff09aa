package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
)

const (
	siteOrigin = "https://example.com" // the seeded content's links lead here
	visitor    = "v-0123456789abcdef"
)

// beacon posts a beacon as ripen's script does: text/plain, from a page of
// origin.
func (h *harness) beacon(path, origin string, body map[string]any) (int, http.Header, []byte) {
	h.t.Helper()
	data, err := json.Marshal(body)
	require.NoError(h.t, err)
	header := http.Header{"Content-Type": {"text/plain;charset=UTF-8"}, "User-Agent": {"Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"}}
	if origin != "" {
		header.Set("Origin", origin)
	}
	return h.doWith("POST", path, "", data, header)
}

func (h *harness) webViews(site, visitor string) []store.WebView {
	h.t.Helper()
	vs, err := h.stack.Store.WebViewsOf(h.t.Context(), site, visitor, time.Time{})
	require.NoError(h.t, err)
	return vs
}

// A page view from a registered site is kept while the visitor is unknown;
// the signed rpn that a tracked link adds makes the visitor known, and the
// views kept count from when they happened, raising the run's score.
// Whatever does not come from the site, or comes without consent, is
// refused and stores nothing.
func TestTheWaterHoleHearsPageViewsOfKnownVisitors(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	h.json("PUT", "/v1/sites/www", "marketing", map[string]any{
		"origins":   []string{siteOrigin},
		"topics":    []map[string]any{{"path": "/automation/*", "topic": "process-automation"}},
		"downloads": []string{"*.pdf"},
	}, 200, nil)

	code, header, body := h.doWith("GET", "/t.js", "", nil, nil)
	require.Equal(t, 200, code)
	require.Equal(t, "text/javascript; charset=utf-8", header.Get("Content-Type"))
	require.Contains(t, string(body), "globalPrivacyControl")
	require.Less(t, len(body), 8<<10, "the script stays small")
	var cfg map[string]string
	h.json("GET", "/t/site/www", "", nil, 200, &cfg)
	require.Equal(t, map[string]string{"consent": "required"}, cfg)

	view := map[string]any{"site": "www", "visitor": visitor, "kind": "view", "url": siteOrigin + "/automation/checklist", "consent": true}
	t.Run("what is refused stores nothing", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			origin string
			body   map[string]any
			status int
		}{
			{"a foreign origin", "https://evil.example", view, 403},
			{"no origin", "", view, 403},
			{"without consent", siteOrigin, with(view, "consent", false), 403},
			{"an unknown site", siteOrigin, with(view, "site", "nope"), 404},
			{"a page of another origin", siteOrigin, with(view, "url", "https://evil.example/automation/x"), 422},
			{"a malformed visitor", siteOrigin, with(view, "visitor", "x"), 422},
			{"an unknown field", siteOrigin, with(view, "email", "max@acme.example"), 400},
			{"an oversized beacon", siteOrigin, with(view, "url", siteOrigin+"/"+strings.Repeat("a", 5000)), 413},
		} {
			code, _, body := h.beacon("/t/collect", tc.origin, tc.body)
			require.Equal(t, tc.status, code, "%s: %s", tc.name, body)
		}
		code, _, _ := h.doWith("POST", "/t/collect", "", mustJSON(t, view), http.Header{"Origin": {siteOrigin}, "User-Agent": {"Googlebot/2.1"}})
		require.Equal(t, 204, code, "a bot is answered")
		require.Empty(t, h.webViews("www", visitor), "and nothing is kept")
	})

	// An anonymous visitor reads a page about automation: kept, not counted.
	code, header, body = h.beacon("/t/collect", siteOrigin, view)
	require.Equal(t, 204, code, "%s", body)
	require.Equal(t, siteOrigin, header.Get("Access-Control-Allow-Origin"))
	require.Len(t, h.webViews("www", visitor), 1)
	before := h.linkRun("acme").Score

	// Max clicks the link in his email: it leads to the site with a signed rpn.
	ls := h.linksOf(msg)
	click := fetch(t, "GET", ls.tracked[0], nil, map[string]string{"User-Agent": "Mozilla/5.0 Chrome/156.0"})
	require.Equal(t, http.StatusSeeOther, click.status)
	target, err := url.Parse(click.header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, siteOrigin, target.Scheme+"://"+target.Host)
	rpn := target.Query().Get("rpn")
	require.NotEmpty(t, rpn, "a link to a registered site carries the contact's identity")

	t.Run("a forged rpn leaves the visitor anonymous", func(t *testing.T) {
		code, _, body := h.beacon("/t/identify", siteOrigin, map[string]any{"site": "www", "visitor": visitor, "rpn": rpn[:len(rpn)-2] + "xx"})
		require.Equal(t, 403, code, "%s", body)
		require.Len(t, h.webViews("www", visitor), 1, "the view is still kept, not counted")
		_, known, err := h.stack.Store.VisitorContact(t.Context(), "www", visitor)
		require.NoError(t, err)
		require.False(t, known)
	})

	code, _, body = h.beacon("/t/identify", siteOrigin, map[string]any{"site": "www", "visitor": visitor, "rpn": rpn})
	require.Equal(t, 204, code, "%s", body)
	require.Empty(t, h.webViews("www", visitor), "the kept view is counted now")
	visits := h.storedEvents("acme", "visit")
	require.Len(t, visits, 1)
	require.Equal(t, "acme-max", visits[0].ContactID)
	require.Equal(t, "process-automation", visits[0].Topic)
	require.Equal(t, store.SourceWeb, visits[0].Source)
	require.Equal(t, siteOrigin+"/automation/checklist", visits[0].URL, "the page, without a query")
	h.eventually("the visit raises the run's score", func() bool { return h.linkRun("acme").Score >= before+4.9 })

	// Now known, the visitor's next pages count at once; a download too.
	code, _, _ = h.beacon("/t/collect", siteOrigin, with(view, "url", siteOrigin+"/media/automation-checklist.pdf", "kind", "download"))
	require.Equal(t, 204, code)
	require.Len(t, h.storedEvents("acme", "download"), 1)
	code, _, _ = h.beacon("/t/collect", siteOrigin, with(view, "url", siteOrigin+"/about", "kind", "download"))
	require.Equal(t, 204, code)
	require.Len(t, h.storedEvents("acme", "download"), 1, "a link the site does not call a download is not one")
}

// with is a copy of m with the key-value pairs set.
func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
