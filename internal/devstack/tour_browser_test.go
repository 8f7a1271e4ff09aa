package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// The README's tour, in a browser: Max clicks the checklist in his email,
// lands on the demo company's website, accepts its consent banner, reads
// two pages about process automation, and the run's score rises with each;
// then he asks for a demo on the landing page, and Eva, Acme's owner, gets
// the hand-off with his note.
func TestBrowserTheREADMETour(t *testing.T) {
	ctx := tourBrowser(t)
	tctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st, key := startDemo(t, tctx)
	score := func() float64 {
		resp, body := fetch(t, "GET", st.APIURL+"/v1/journeys/erp-automation-crosssell/runs/acme", key, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		var run struct{ Score float64 }
		require.NoError(t, json.Unmarshal([]byte(body), &run))
		return run.Score
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		require.Eventually(t, cond, 30*time.Second, 100*time.Millisecond, what)
	}

	// 2. Enrol Acme; 3. Max's checklist email.
	resp, body := fetch(t, "POST", st.APIURL+"/v1/journeys/erp-automation-crosssell/enrollments", key, strings.NewReader(`{"customer_ids": ["acme"]}`))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var link string
	eventually("Max's checklist email", func() bool {
		for _, m := range st.SendGrid.Messages() {
			if l := checklistLink.FindStringSubmatch(m.HTML); l != nil && m.To[0] == "max@acme.example" {
				link = strings.ReplaceAll(l[1], "&amp;", "&")
				return true
			}
		}
		return false
	})
	before := score()

	// He clicks it: the click scores, and he is on the site's checklist.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(link)))
	eventually("the checklist page, its rpn taken out of the address bar", func() bool {
		return evalString(t, ctx, "location.href") == st.WebsiteURL+"/automation/checklist"
	})
	eventually("the click scores", func() bool { return score() >= before+9.9 })
	afterClick := score()

	// 4. He accepts the banner: the page he reads is a visit of his.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("consent-accept"))))
	eventually("the checklist's visit scores", func() bool { return score() >= afterClick+4.9 })
	afterOne := score()

	// The second page: consent is remembered, the banner stays away.
	_, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(`a[href="/automation/case-study"]`))))
	require.NoError(t, err)
	require.Equal(t, st.WebsiteURL+"/automation/case-study", evalString(t, ctx, "location.href"))
	require.True(t, evalBool(t, ctx, `document.getElementById("consent").hidden`), "the banner asks once")
	eventually("the case study's visit scores", func() bool { return score() >= afterOne+4.9 })
	t.Logf("score: %.1f before the click, %.1f after it, %.1f after two pages", before, afterClick, score())

	// 5. The landing page's demo form.
	const note = "PDF orders from our three largest customers, please; Tuesday mornings suit us best."
	_, err = chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(`main a[href="/demo"]`))))
	require.NoError(t, err)
	_, err = chromedp.Run(ctx, chromedp.SendKeys(chromedp.ID("note"), note))
	require.NoError(t, err)
	_, err = chromedp.Run(ctx, chromedp.Click(chromedp.CSS(`form[data-ripen-fast-lane="demo"] button[type="submit"]`)))
	require.NoError(t, err)
	eventually("the form thanks him in place", func() bool {
		return evalString(t, ctx, "location.pathname") == "/demo" &&
			strings.Contains(evalString(t, ctx, "document.querySelector('main').innerText"), "Thank you") &&
			!evalBool(t, ctx, `!!document.querySelector("form[data-ripen-fast-lane]")`)
	})

	// 6. Eva's hand-off, with his note.
	eventually("Eva's hand-off email with Max's note", func() bool {
		for _, m := range st.SendGrid.Messages() {
			if len(m.To) == 1 && m.To[0] == "eva@seller.example" && strings.Contains(m.HTML+m.Text, "Tuesday mornings") {
				return true
			}
		}
		return false
	})
}

func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	require.NoError(t, err, expr)
	return v
}

func evalBool(t *testing.T, ctx context.Context, expr string) bool {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
	require.NoError(t, err, expr)
	return v
}

// tourBrowser starts a headless chromium (Debian's), as the api package's
// browser tests do. Without one the test skips, unless
// RIPEN_REQUIRE_BROWSER is set (as in CI), when it fails.
func tourBrowser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if required := os.Getenv("RIPEN_REQUIRE_BROWSER"); required != "" && required != "0" && !strings.EqualFold(required, "false") {
			t.Fatal("RIPEN_REQUIRE_BROWSER is set but chromium is not installed (apt-get install -y chromium)")
		}
		t.Skip("chromium is not installed (apt-get install -y chromium); set RIPEN_REQUIRE_BROWSER=1 to fail instead of skipping")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancelCtx := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}
