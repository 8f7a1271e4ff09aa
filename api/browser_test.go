package api_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromium returns the headless browser to test with: Debian's chromium.
// Without one the browser tests skip, unless RIPEN_REQUIRE_BROWSER is set
// (as in CI), when they fail.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if required := os.Getenv("RIPEN_REQUIRE_BROWSER"); required != "" && required != "0" && !strings.EqualFold(required, "false") {
		t.Fatal("RIPEN_REQUIRE_BROWSER is set but chromium is not installed (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium); set RIPEN_REQUIRE_BROWSER=1 to fail instead of skipping")
	return ""
}

// browser starts a headless chromium for one test and returns its context.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
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
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// submit clicks the form's button and waits for the page it leads to.
func submit(ctx context.Context) error {
	_, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(`button[type="submit"]`))))
	return err
}

func TestBrowserFastLaneRequestAndUnsubscribe(t *testing.T) {
	ctx := browser(t)
	h := newHarness(t)
	ls := h.linksOf(h.enrolForLinks())
	const note = "Am liebsten Dienstag vormittags."

	// The fast-lane link from the email: German page, a note, confirm.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(ls.fastLane["demo"])))
	lang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
	require.NoError(t, err)
	require.Equal(t, "de", lang.Value)
	offer, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	require.NoError(t, err)
	require.Equal(t, "Demo vereinbaren", offer)
	label, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`label[for="note"]`)))
	require.NoError(t, err)
	require.Contains(t, label, "(optional)")
	axeCheck(t, ctx, "fast-lane page (de)")
	require.NoError(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("note"), note)))
	require.NoError(t, submit(ctx))
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	require.NoError(t, err)
	require.Equal(t, "Vielen Dank!", heading)
	thanks, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(t, err)
	require.Contains(t, thanks, "Eva Berger")

	var open struct {
		Handoffs []struct {
			Reason string `json:"reason"`
			Offer  string `json:"offer"`
			Note   string `json:"note"`
		} `json:"handoffs"`
	}
	h.eventually("the hand-off with the note", func() bool {
		h.json("GET", "/v1/handoffs?status=open&customer=acme", "sales", nil, 200, &open)
		return len(open.Handoffs) == 1
	})
	require.Equal(t, "fast-lane", open.Handoffs[0].Reason)
	require.Equal(t, "demo", open.Handoffs[0].Offer)
	require.Equal(t, note, open.Handoffs[0].Note)

	// The unsubscribe link: confirm by click.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(ls.unsubscribe)))
	heading, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	require.NoError(t, err)
	require.Equal(t, "Abmelden", heading)
	axeCheck(t, ctx, "unsubscribe page (de)")
	require.NoError(t, submit(ctx))
	heading, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	require.NoError(t, err)
	require.Equal(t, "Sie sind abgemeldet", heading)
	done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(t, err)
	require.Contains(t, done, "max@acme.example")
	require.True(t, h.suppressed("max@acme.example"))
	h.eventually("the run ends as unsubscribed", func() bool {
		run := h.linkRun("acme")
		return run.Outcome != nil && *run.Outcome == "unsubscribed"
	})
}
