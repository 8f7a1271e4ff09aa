package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/linktoken"
)

// companySite serves a company's pages that embed ripen's script as the
// README says, plus one page that adds the script only after
// DOMContentLoaded, as tag managers do, and landing pages (/landing/…)
// with a demo form.
func companySite(t *testing.T, apiURL string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		tag := fmt.Sprintf(`<script async src="%s/t.js" data-site="www"></script>`, apiURL)
		if strings.HasSuffix(r.URL.Path, "/late") {
			tag = fmt.Sprintf(`<script>document.addEventListener("DOMContentLoaded", function () { setTimeout(function () {
  var s = document.createElement("script"); s.async = true; s.src = %q; s.setAttribute("data-site", "www"); document.head.appendChild(s);
}, 200); });</script>`, apiURL+"/t.js")
		}
		form := ""
		if strings.HasPrefix(r.URL.Path, "/landing/") {
			form = `<form id="demo" data-ripen-fast-lane="demo" data-ripen-thanks="Thank you: Eva will call you.">
<label for="note">What should the demo show?</label><textarea id="note" name="note"></textarea>
<button id="send" type="submit">Book a demo</button></form>`
		}
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>%s</title>
<script>window.ripen = window.ripen || function () { (ripen.q = ripen.q || []).push(arguments); };</script>
%s</head><body><h1>%s</h1>
<button id="accept" onclick="ripen('consent', true)">Accept</button>
<a id="pdf" href="/media/automation-checklist.pdf">Checklist (PDF)</a>
%s</body></html>`, r.URL.Path, tag, r.URL.Path, form)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// evaluate runs JavaScript in the page and returns its value.
func evaluate[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

// withGPC makes the browser's pages say Global Privacy Control is on.
func withGPC(ctx context.Context) error {
	return chromedp.Do(ctx, chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `Object.defineProperty(Navigator.prototype, "globalPrivacyControl", {get: function () { return true; }});`,
		})
		return chromedp.Void{}, err
	}))
}

func TestBrowserTheScriptSendsOnlyWithConsentAndTradesASignedIdentity(t *testing.T) {
	ctx := browser(t)
	h := newHarness(t)
	h.enrolForLinks()
	site := companySite(t, h.stack.APIURL)
	h.json("PUT", "/v1/sites/www", "marketing", map[string]any{
		"origins": []string{site.URL}, "topics": []map[string]any{{"path": "/automation/*", "topic": "process-automation"}},
		"downloads": []string{"*.pdf"}, "consent": "required",
	}, 200, nil)
	rpn, err := h.stack.Links.Sign(linktoken.Claims{Kind: linktoken.KindVisitor, RunID: "ripen/" + linkJourney + "/acme",
		ContactID: "acme-max", Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	before := h.linkRun("acme").Score

	// Max arrives from his email. Before he consents nothing is sent and no
	// cookie is set, but the rpn leaves the address bar at once.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(site.URL+"/automation/checklist?rpn="+rpn)))
	require.Eventually(t, func() bool { return evaluate[string](t, ctx, "location.search") == "" }, 10*time.Second, 50*time.Millisecond,
		"the rpn is taken out of the address bar")
	time.Sleep(time.Second) // what the script would send, it would have sent by now
	require.Empty(t, h.storedEvents("acme", "visit"), "nothing without consent")
	require.Equal(t, "", evaluate[string](t, ctx, "document.cookie"), "no cookie without consent")

	// He accepts: the identity and the page view go out, the view counts
	// as a visit on its topic, under his name, and the run's score rises.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("accept"))))
	h.eventually("the page view as a visit of acme-max", func() bool { return len(h.storedEvents("acme", "visit")) == 1 })
	v := h.storedEvents("acme", "visit")[0]
	require.Equal(t, "acme-max", v.ContactID)
	require.Equal(t, "process-automation", v.Topic)
	h.eventually("the run's score rises", func() bool { return h.linkRun("acme").Score >= before+4.9 })
	require.Contains(t, evaluate[string](t, ctx, "document.cookie"), "ripen_v=")

	// He downloads the checklist.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("pdf"))))
	h.eventually("the download", func() bool { return len(h.storedEvents("acme", "download")) == 1 })

	// The script loaded late, after DOMContentLoaded, still sends, with
	// the consent the page queued before it came.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(site.URL+"/automation/late")))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("accept"))))
	h.eventually("the late page's visit", func() bool { return len(h.storedEvents("acme", "visit")) == 2 })

	t.Run("a forged rpn leaves the visitor anonymous", func(t *testing.T) {
		ctx := browser(t)
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(site.URL+"/automation/pricing?rpn="+rpn[:len(rpn)-3]+"abc")))
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("accept"))))
		require.Eventually(t, func() bool { return strings.Contains(evaluate[string](t, ctx, "document.cookie"), "ripen_v=") }, 10*time.Second, 50*time.Millisecond)
		cookie := evaluate[string](t, ctx, "document.cookie")
		visitor := strings.TrimPrefix(cookie[strings.Index(cookie, "ripen_v="):], "ripen_v=")
		h.eventually("the view kept, anonymous", func() bool { return len(h.webViews("www", visitor)) == 1 })
		require.Len(t, h.storedEvents("acme", "visit"), 2, "no visit of acme's")
	})
	t.Run("Global Privacy Control: nothing is sent", func(t *testing.T) {
		ctx := browser(t)
		require.NoError(t, withGPC(ctx))
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(site.URL+"/automation/gpc?rpn="+rpn)))
		require.True(t, evaluate[bool](t, ctx, "navigator.globalPrivacyControl === true"))
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("accept"))))
		time.Sleep(time.Second)
		require.Equal(t, "", evaluate[string](t, ctx, "document.cookie"))
		require.Len(t, h.storedEvents("acme", "visit"), 2, "the page was not heard")
	})
}

// A landing page, however it is opened (with the offer and a note in its
// address, as a link or a prefetch would), asks for nothing; its demo
// form, sent, asks for sales as the known visitor, and the owner gets the
// hand-off.
func TestBrowserALandingPageGetNeverHandsOff(t *testing.T) {
	ctx := browser(t)
	h := newHarness(t)
	h.enrolForLinks()
	site := companySite(t, h.stack.APIURL)
	h.json("PUT", "/v1/sites/www", "marketing", map[string]any{"origins": []string{site.URL}, "consent": "required"}, 200, nil)
	rpn, err := h.stack.Links.Sign(linktoken.Claims{Kind: linktoken.KindVisitor, RunID: "ripen/" + linkJourney + "/acme",
		ContactID: "acme-max", Expires: time.Now().Add(time.Hour)})
	require.NoError(t, err)

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(site.URL+"/landing/demo?rpn="+rpn+"&offer=demo&note=call+me")))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("accept"))))
	h.eventually("the landing page's view as a visit", func() bool { return len(h.storedEvents("acme", "visit")) == 1 })
	for _, path := range []string{"/landing/offer?offer=demo", "/landing/book?fast_lane=demo&email=max@acme.example"} {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(site.URL+path)))
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("accept"))))
	}
	h.eventually("the views", func() bool { return len(h.storedEvents("acme", "visit")) == 3 })
	require.Empty(t, h.storedEvents("acme", "fast-lane"), "a GET asks for nothing")
	require.Nil(t, h.linkRun("acme").FastLane)

	require.NoError(t, chromedp.Do(ctx, chromedp.SendKeys("#note", "The order import, please")))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("send"))))
	require.Eventually(t, func() bool {
		return evaluate[string](t, ctx, `(document.querySelector("[role=status]") || {}).textContent || ""`) == "Thank you: Eva will call you."
	}, 10*time.Second, 50*time.Millisecond, "the form is answered in place")
	h.eventually("the run hears the request", func() bool {
		st := h.linkRun("acme")
		return st.FastLane != nil && st.FastLane.Offer == "demo"
	})
	h.eventually("sales has it, with the note, as Max's own", func() bool {
		claimed, ok := h.handoffNoted("demo", "The order import, please")
		return ok && !claimed
	})
	reqs := h.storedEvents("acme", "fast-lane")
	require.Len(t, reqs, 1)
	require.Equal(t, "web", reqs[0].Source)
	require.Equal(t, "acme-max", reqs[0].ContactID)
	h.eventually("the owner gets the hand-off", func() bool { return len(h.mailsTo("eva@seller.example")) > 0 })
}
