package api_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/store"
)

// The sales surfaces as a rep uses them: the hand-off page from the
// hand-off email, and the inbox behind an emailed sign-in link.

// screenshotDir is where the browser tests leave their screenshots:
// RIPEN_SCREENSHOTS if set (to look at them), else a temporary directory.
func screenshotDir(t *testing.T) string {
	if dir := os.Getenv("RIPEN_SCREENSHOTS"); dir != "" {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		return dir
	}
	return t.TempDir()
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, buf, 0o644))
	t.Logf("screenshot: %s", path)
}

// speak makes the browser ask for pages in lang.
func speak(t *testing.T, ctx context.Context, lang string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx)) // starts the browser
	_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}})
	require.NoError(t, err)
}

func navigate(t *testing.T, ctx context.Context, link string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(link)))
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(t, err)
	return s
}

func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))))
}

func typeInto(t *testing.T, ctx context.Context, sel, v string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(sel), v)))
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	return loc
}

// clickAndLoad clicks and waits for the page it leads to.
func clickAndLoad(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel))))
	require.NoError(t, err)
}

// mailWith waits for a mail to addr whose subject contains subject and
// returns the newest.
func (h *harness) mailWith(addr, subject string) sendgriddev.Message {
	h.t.Helper()
	var got sendgriddev.Message
	h.eventually("a mail to "+addr+" about "+subject, func() bool {
		for _, m := range h.mailsTo(addr) {
			if strings.Contains(m.Subject, subject) {
				got = m
			}
		}
		return got.Subject != ""
	})
	return got
}

// linkIn is the first link of the mail under the API's path prefix.
func (h *harness) linkIn(m sendgriddev.Message, prefix string) string {
	h.t.Helper()
	for _, l := range sendgriddev.Links(m.HTML) {
		if strings.HasPrefix(l, h.stack.APIURL+prefix) {
			return l
		}
	}
	h.t.Fatalf("no %s link in %q: %s", prefix, m.Subject, m.HTML)
	return ""
}

// askedForDemo enrols acme, whose contact Max (with a phone number) reads
// on the journey's topic and then asks for a demo on the /f/ page with a
// note; it returns the hand-off's ID once it is in the inbox.
func (h *harness) askedForDemo(note string) string {
	h.t.Helper()
	ls := h.linksOf(h.enrolForLinks())
	h.json("PUT", "/v1/customers/acme", "marketing", map[string]any{
		"name": "acme GmbH", "persona": "ops-lead",
		"owner":    map[string]any{"id": "rep-eva", "name": "Eva Berger", "email": "eva@seller.example"},
		"contacts": []map[string]any{{"id": "acme-max", "email": "max@acme.example", "first_name": "Max", "last_name": "Muster", "timezone": "Europe/Berlin", "locale": "de", "phone": "+49 30 1234-56"}},
	}, 200, nil)
	at := time.Now().UTC().Add(-time.Minute)
	h.postEvents(
		map[string]any{"id": "visit-1", "customer_id": "acme", "contact_id": "acme-max", "type": "visit", "topic": "process-automation", "occurred_at": at.Add(-2 * time.Hour).Format(time.RFC3339)},
		map[string]any{"id": "visit-2", "customer_id": "acme", "contact_id": "acme-max", "type": "download", "topic": "process-automation", "occurred_at": at.Format(time.RFC3339)},
	)
	h.eventually("the run scores the visits", func() bool { return h.linkRun("acme").Score > 0 })
	p := fetch(h.t, "GET", ls.fastLane["demo"], nil, nil)
	require.Equal(h.t, 200, p.status)
	p = fetch(h.t, "POST", ls.fastLane["demo"], url.Values{"form_token": {formTokenOf(h.t, p.body)}, "note": {note}}, nil)
	require.Equal(h.t, 200, p.status, p.body)
	var open struct{ Handoffs []struct{ ID string } }
	h.eventually("the hand-off", func() bool {
		h.json("GET", "/v1/handoffs?status=open&customer=acme", "sales", nil, 200, &open)
		return len(open.Handoffs) == 1
	})
	return open.Handoffs[0].ID
}

type handoffJSON struct {
	Status      string `json:"status"`
	Answer      string `json:"answer"`
	JourneyName string `json:"journey_name"`
	Contact     *struct {
		Name, Email, Phone string
	} `json:"contact"`
}

func (h *harness) handoff(id string) handoffJSON {
	h.t.Helper()
	var ho handoffJSON
	h.json("GET", "/v1/handoffs/"+id, "sales", nil, 200, &ho)
	return ho
}

func TestBrowserARepAnswersTheHandoffFromTheEmailsPage(t *testing.T) {
	ctx := browser(t)
	h := newHarness(t)
	shots := screenshotDir(t)
	const note = "Bitte nächste Woche Dienstag vormittags anrufen"
	id := h.askedForDemo(note)

	ho := h.handoff(id)
	require.Equal(t, "Automation add-on for ERP customers", ho.JourneyName)
	require.NotNil(t, ho.Contact, "the hand-off names who asked")
	require.Equal(t, "Max Muster", ho.Contact.Name)
	require.Equal(t, "+49 30 1234-56", ho.Contact.Phone)

	// The owner's email names the person and the journey, and links to the page.
	mail := h.mailWith("eva@seller.example", "is ready")
	require.Contains(t, mail.Text, "Who asked: Max Muster · max@acme.example · +49 30 1234-56")
	require.Contains(t, mail.Text, "Journey: Automation add-on for ERP customers")
	link := h.linkIn(mail, "/h/")

	// A mail scanner fetches the link: it sees the page, and nothing changes.
	scan := fetch(t, "GET", link, nil, nil)
	requireHTMLPage(t, scan, 200, "en")
	require.Contains(t, scan.body, "<svg")
	staleForm := formTokenOf(t, scan.body)
	require.Equal(t, store.HandoffOpen, h.handoff(id).Status)
	require.Empty(t, h.handoff(id).Answer)

	// The rep opens it, in English first.
	speak(t, ctx, "en")
	navigate(t, ctx, link)
	main := text(t, ctx, "main")
	for _, want := range []string{"acme GmbH", "Automation add-on for ERP customers", "Max Muster", "max@acme.example", "+49 30 1234-56", note, "Book a demo", "download"} {
		require.Contains(t, main, want)
	}
	paths, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("figure.chart svg path.line")))
	require.NoError(t, err)
	require.Len(t, paths, 1, "the score over time is a line")
	screenshot(t, ctx, shots, "handoff-en.png")
	axeCheck(t, ctx, "handoff-en")

	// In German, and answers: not ready yet.
	speak(t, ctx, "de-DE,de;q=0.9")
	navigate(t, ctx, link)
	htmlLang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
	require.NoError(t, err)
	require.Equal(t, "de", htmlLang.Value)
	require.Contains(t, text(t, ctx, "main"), "Wer gefragt hat")
	screenshot(t, ctx, shots, "handoff-de.png")
	click(t, ctx, `input[name="outcome"][value="not-ready"]`)
	typeInto(t, ctx, `textarea[name="note"]`, "Budget erst nächstes Jahr")
	require.NoError(t, submit(ctx))
	require.Equal(t, "Antwort gespeichert", text(t, ctx, "h1"))
	h.eventually("the run cools down", func() bool { return h.linkRun("acme").Stage == "cooldown" })
	require.Equal(t, store.HandoffNotReady, h.handoff(id).Status)

	// The page now shows the answer instead of the form.
	navigate(t, ctx, link)
	require.Contains(t, text(t, ctx, "main"), "Noch nicht bereit")
	forms, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("form"), chromedp.AtLeast(0)))
	require.NoError(t, err)
	require.Empty(t, forms)

	// A second answer (an old tab) is told the first one counts.
	again := fetch(t, "POST", link, url.Values{"form_token": {staleForm}, "outcome": {"accepted"}}, nil)
	requireHTMLPage(t, again, http.StatusConflict, "en")
	require.Contains(t, again.body, "already answered: Not ready yet")
	require.Equal(t, store.HandoffNotReady, h.handoff(id).Status)
}

func TestBrowserAnExpiredHandoffLinkEmailsTheOwnerAFreshOne(t *testing.T) {
	ctx := browser(t)
	h := newHarness(t)
	_, id := h.handedOffRun()
	token, err := h.stack.Links.Sign(linktoken.Handoff(id, time.Now().Add(-time.Hour)))
	require.NoError(t, err)
	link := h.stack.APIURL + "/h/" + token

	scan := fetch(t, "GET", link, nil, nil)
	requireHTMLPage(t, scan, http.StatusGone, "en")
	require.NotContains(t, scan.body, "acme", "an expired link shows nothing of the hand-off")
	h.mailWith("eva@seller.example", "is ready") // the hand-off email went first
	before := len(h.mailsTo("eva@seller.example"))

	speak(t, ctx, "en")
	navigate(t, ctx, link)
	require.Equal(t, "This hand-off link has expired", text(t, ctx, "h1"))
	require.NoError(t, submit(ctx))
	require.Contains(t, text(t, ctx, "main"), "If this hand-off exists, its owner gets a new link")
	fresh := h.mailWith("eva@seller.example", "Your new link to the hand-off of acme GmbH")
	require.Len(t, h.mailsTo("eva@seller.example"), before+1)
	freshLink := h.linkIn(fresh, "/h/")
	c, err := h.stack.Links.VerifyKind(strings.TrimPrefix(freshLink, h.stack.APIURL+"/h/"), linktoken.KindHandoff, time.Now())
	require.NoError(t, err, "the fresh link works")
	require.Equal(t, id, c.Target)

	// Asking again at once sends no second email: one per few minutes.
	p := fetch(t, "GET", link, nil, nil)
	again := fetch(t, "POST", link, url.Values{"form_token": {formTokenOf(t, p.body)}, "action": {"fresh-link"}}, nil)
	require.Equal(t, 200, again.status)
	time.Sleep(200 * time.Millisecond)
	require.Len(t, h.mailsTo("eva@seller.example"), before+1)

	// A forged link learns the same answer and sends nothing.
	forged, err := h.stack.Links.Sign(linktoken.Handoff("no-such-handoff", time.Now().Add(-time.Hour)))
	require.NoError(t, err)
	fp := fetch(t, "GET", h.stack.APIURL+"/h/"+forged, nil, nil)
	fa := fetch(t, "POST", h.stack.APIURL+"/h/"+forged, url.Values{"form_token": {formTokenOf(t, fp.body)}, "action": {"fresh-link"}}, nil)
	require.Equal(t, again.body, fa.body)
}

func TestBrowserARepSignsInToTheInboxAnswersAndSignsOut(t *testing.T) {
	ctx := browser(t)
	h := newHarness(t)
	shots := screenshotDir(t)
	_, id := h.handedOffRun()

	// Not signed in: the inbox sends to the sign-in page.
	speak(t, ctx, "en")
	navigate(t, ctx, h.stack.APIURL+"/inbox")
	require.Equal(t, h.stack.APIURL+"/inbox/login", location(t, ctx))

	// The answer to a sign-in request tells no one whether the address is an owner's.
	login := fetch(t, "GET", h.stack.APIURL+"/inbox/login", nil, nil)
	unknown := fetch(t, "POST", h.stack.APIURL+"/inbox/login", url.Values{"form_token": {formTokenOf(t, login.body)}, "email": {"nobody@seller.example"}}, nil)
	require.Equal(t, 200, unknown.status)

	typeInto(t, ctx, `#email`, "eva@seller.example")
	require.NoError(t, submit(ctx))
	known := text(t, ctx, "main")
	require.Contains(t, unknown.body, "If this address belongs to an account owner")
	require.Contains(t, known, "If this address belongs to an account owner")
	mail := h.mailWith("eva@seller.example", "sign-in link")
	link := h.linkIn(mail, "/inbox/signin/")
	require.Empty(t, h.mailsTo("nobody@seller.example"))

	// A scanner fetching the link does not use it up.
	scan := fetch(t, "GET", link, nil, nil)
	requireHTMLPage(t, scan, 200, "en")
	navigate(t, ctx, link)
	require.Equal(t, "Sign in", text(t, ctx, "h1"))
	require.NoError(t, submit(ctx))
	require.Equal(t, h.stack.APIURL+"/inbox", location(t, ctx))
	main := text(t, ctx, "main")
	require.Contains(t, main, "Signed in as Eva Berger")
	require.Contains(t, main, "acme GmbH")
	require.Contains(t, main, "Automation add-on for ERP customers")
	var cookie *network.Cookie
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	require.NoError(t, err)
	for _, c := range cookies.Cookies {
		if c.Name == "ripen_inbox" {
			cookie = c
		}
	}
	require.NotNil(t, cookie)
	require.True(t, cookie.HTTPOnly)
	require.Equal(t, "/inbox", cookie.Path)
	require.Equal(t, network.CookieSameSiteLax, cookie.SameSite)
	click(t, ctx, `#handoff-`+id+` summary`)
	screenshot(t, ctx, shots, "inbox-en.png")
	axeCheck(t, ctx, "inbox-en")

	// The link works once.
	used := fetch(t, "GET", link, nil, nil)
	require.Equal(t, http.StatusNotFound, used.status)

	// Answer from the inbox: accepted.
	click(t, ctx, `#handoff-`+id+` input[value="accepted"]`)
	typeInto(t, ctx, `#handoff-`+id+` textarea`, "calling Tuesday")
	clickAndLoad(t, ctx, `#handoff-`+id+` button[type="submit"]`)
	h.eventually("the hand-off is accepted", func() bool { return h.handoff(id).Status == store.HandoffAccepted })
	navigate(t, ctx, h.stack.APIURL+"/inbox")
	require.Contains(t, text(t, ctx, "main"), "No open hand-offs")

	// Sign out: the server forgets the session, so the old cookie is useless.
	clickAndLoad(t, ctx, `button.secondary`)
	require.Equal(t, "You are signed out", text(t, ctx, "h1"))
	old := fetch(t, "GET", h.stack.APIURL+"/inbox", nil, map[string]string{"Cookie": "ripen_inbox=" + cookie.Value})
	require.Equal(t, http.StatusSeeOther, old.status)
	require.Equal(t, "/inbox/login", old.header.Get("Location"))
}
