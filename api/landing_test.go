package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
)

// A landing-page form on a registered site asks for sales by POST alone.
// An address typed into it is a claimed identity: the request reaches the
// contact's run marked as claimed, and the claim is kept, but the
// visitor's page views do not score. A visitor known by a signed rpn asks
// as that contact. Whatever is malformed or foreign stores nothing.
func TestALandingPageFormAsksForSalesByPostAlone(t *testing.T) {
	h := newHarness(t)
	msg := h.enrolForLinks()
	h.json("PUT", "/v1/sites/www", "marketing", map[string]any{
		"origins": []string{siteOrigin},
		"topics":  []map[string]any{{"path": "/automation/*", "topic": "process-automation"}},
	}, 200, nil)
	form := map[string]any{"site": "www", "offer": "demo", "note": "Tuesday works", "email": "MAX@acme.example", "url": siteOrigin + "/landing/demo"}

	t.Run("what is refused stores nothing", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			origin string
			body   map[string]any
			status int
			field  string
		}{
			{"a foreign origin", "https://evil.example", form, 403, ""},
			{"no origin", "", form, 403, ""},
			{"an unknown site", siteOrigin, with(form, "site", "nope"), 404, ""},
			{"an offer no journey knows", siteOrigin, with(form, "offer", "free-lunch"), 422, "offer"},
			{"not an address", siteOrigin, with(form, "email", "max at acme"), 422, "email"},
			{"a page of another origin", siteOrigin, with(form, "url", "https://evil.example/landing"), 422, "url"},
			{"a malformed visitor", siteOrigin, with(form, "visitor", "x"), 422, "visitor"},
			{"a note too long", siteOrigin, with(form, "note", strings.Repeat("n", 2001)), 422, "note"},
			{"an unknown field", siteOrigin, with(form, "phone", "+49 89 123"), 400, ""},
			{"an oversized beacon", siteOrigin, with(form, "note", strings.Repeat("n", 5000)), 413, ""},
		} {
			code, _, body := h.beacon("/t/fast-lane", tc.origin, tc.body)
			require.Equal(t, tc.status, code, "%s: %s", tc.name, body)
			require.Contains(t, string(body), tc.field, tc.name)
		}
		code, _, _ := h.doWith("GET", "/t/fast-lane?site=www&offer=demo&email=max@acme.example", "", nil, http.Header{"Origin": {siteOrigin}})
		require.Equal(t, http.StatusMethodNotAllowed, code, "a GET never asks for sales")
		code, _, _ = h.doWith("POST", "/t/fast-lane", "", mustJSON(t, form), http.Header{"Origin": {siteOrigin}, "User-Agent": {"Googlebot/2.1"}})
		require.Equal(t, 204, code, "a bot is answered")
		require.Empty(t, h.storedEvents("acme", "fast-lane"))
		require.Nil(t, h.linkRun("acme").FastLane)
	})

	// An address ripen does not know is answered as any other: the form
	// does not tell who is a customer's contact.
	code, _, body := h.beacon("/t/fast-lane", siteOrigin, with(form, "email", "someone@prospect.example"))
	require.Equal(t, 202, code, "%s", body)
	require.Empty(t, h.storedEvents("acme", "fast-lane"))

	// Max types his address (in another case) on the landing page, from a
	// browser ripen does not know yet.
	const stranger = "v-stranger-0123456789"
	claimed := with(form, "visitor", stranger)
	for range 2 {
		code, _, body = h.beacon("/t/fast-lane", siteOrigin, claimed)
		require.Equal(t, 202, code, "%s", body)
	}
	reqs := h.storedEvents("acme", "fast-lane")
	require.Len(t, reqs, 1, "sent twice the same day, asked once")
	require.Equal(t, store.SourceWebClaimed, reqs[0].Source)
	require.Equal(t, "acme-max", reqs[0].ContactID)
	require.Equal(t, "demo", reqs[0].Topic)
	require.Equal(t, siteOrigin+"/landing/demo", reqs[0].URL)
	claims, err := h.stack.Store.ClaimsOf(t.Context(), "acme")
	require.NoError(t, err)
	require.Len(t, claims, 1)
	require.Equal(t, stranger, claims[0].VisitorID)
	h.eventually("the run hears the request", func() bool {
		st := h.linkRun("acme")
		return st.FastLane != nil && st.FastLane.Offer == "demo"
	})
	h.eventually("sales has it, with the note, marked as claimed", func() bool {
		claimed, ok := h.handoffNoted("demo", "Tuesday works")
		return ok && claimed
	})
	h.eventually("the owner's email says the identity is not verified", func() bool {
		for _, m := range h.mailsTo("eva@seller.example") {
			if strings.Contains(m.Text, "not verified") {
				return true
			}
		}
		return false
	})

	// A claim does not make the visitor known: their reading is kept, not
	// scored for Max.
	code, _, _ = h.beacon("/t/collect", siteOrigin, map[string]any{"site": "www", "visitor": stranger, "kind": "view",
		"url": siteOrigin + "/automation/checklist", "consent": true})
	require.Equal(t, 204, code)
	require.Len(t, h.webViews("www", stranger), 1)
	require.Empty(t, h.storedEvents("acme", "visit"))

	// Max follows the link in his email: his browser is known by the signed
	// rpn, and his request needs no address.
	ls := h.linksOf(msg)
	click := fetch(t, "GET", ls.tracked[0], nil, map[string]string{"User-Agent": "Mozilla/5.0 Chrome/156.0"})
	require.Equal(t, http.StatusSeeOther, click.status)
	rpn := queryOf(t, click.header.Get("Location")).Get("rpn")
	code, _, body = h.beacon("/t/identify", siteOrigin, map[string]any{"site": "www", "visitor": visitor, "rpn": rpn})
	require.Equal(t, 204, code, "%s", body)
	signed := map[string]any{"site": "www", "visitor": visitor, "offer": "price-indication", "url": siteOrigin + "/landing/price"}
	code, _, body = h.beacon("/t/fast-lane", siteOrigin, signed)
	require.Equal(t, 202, code, "%s", body)
	var sources []string
	for _, e := range h.storedEvents("acme", "fast-lane") {
		sources = append(sources, e.Topic+" "+e.Source)
	}
	require.ElementsMatch(t, []string{"demo web-claimed", "price-indication web"}, sources)
}

func queryOf(t *testing.T, link string) url.Values {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	return u.Query()
}

// handoffNoted reports whether sales has a hand-off for offer with note,
// and whether it came under a claimed identity.
func (h *harness) handoffNoted(offer, note string) (claimed, ok bool) {
	h.t.Helper()
	var inbox runlessInbox
	h.json("GET", "/v1/handoffs", "sales", nil, 200, &inbox)
	for _, x := range inbox.Handoffs {
		if x.Offer == offer && x.Note == note {
			return x.Claimed, true
		}
	}
	return false, false
}
