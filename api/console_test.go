package api_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The console as a browser without script uses it: sign-in by API key or
// emailed link, a session cookie, CSRF tokens on every form, and pages the
// role decides.

// consoleBrowser is a browser of the console: it keeps cookies and does
// not follow redirects, so a test sees each answer.
type consoleBrowser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (h *harness) consoleBrowser() *consoleBrowser {
	jar, err := cookiejar.New(nil)
	require.NoError(h.t, err)
	return &consoleBrowser{t: h.t, base: h.stack.APIURL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *consoleBrowser) do(method, link string, form url.Values, header map[string]string) pageResponse {
	b.t.Helper()
	if strings.HasPrefix(link, "/") {
		link = b.base + link
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, link, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return pageResponse{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

func (b *consoleBrowser) get(path string) pageResponse { return b.do("GET", path, nil, nil) }

// post sends a form with the CSRF token of the page at from.
func (b *consoleBrowser) post(from, to string, form url.Values) pageResponse {
	b.t.Helper()
	page := b.get(from)
	require.Equal(b.t, 200, page.status, page.body)
	form.Set("form_token", formTokenOf(b.t, page.body))
	return b.do("POST", to, form, nil)
}

// signInWithKey signs in with the key of role and follows to the role's
// first page, whose path it returns.
func (b *consoleBrowser) signInWithKey(key string) string {
	b.t.Helper()
	p := b.post("/console/login", "/console/login", url.Values{"api_key": {key}})
	require.Equal(b.t, http.StatusSeeOther, p.status, p.body)
	require.Equal(b.t, "/console", p.header.Get("Location"))
	home := b.get("/console")
	require.Equal(b.t, http.StatusSeeOther, home.status, home.body)
	return home.header.Get("Location")
}

var pageTitle = regexp.MustCompile(`<h1>([^<]*)</h1>`)

func h1(t *testing.T, body string) string {
	t.Helper()
	m := pageTitle.FindStringSubmatch(body)
	require.NotNil(t, m, "a page with a heading: %s", body)
	return m[1]
}

func requireConsolePage(t *testing.T, p pageResponse, status int) {
	t.Helper()
	require.Equal(t, status, p.status, p.body)
	require.Equal(t, "text/html; charset=utf-8", p.header.Get("Content-Type"))
	csp := p.header.Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'none'")
	require.Contains(t, csp, "style-src 'self'")
	require.NotContains(t, csp, "unsafe-inline", "no inline script or style")
	require.Contains(t, csp, "frame-ancestors 'none'")
	require.NotContains(t, p.body, "<script")
	require.NotContains(t, p.body, "style=")
}

func TestConsoleSignInWithAnAPIKeyOpensASessionTheRoleDecides(t *testing.T) {
	h := newHarness(t)
	h.seed()
	b := h.consoleBrowser()

	// Not signed in: every page leads to the sign-in form.
	for _, path := range []string{"/console", "/console/journeys", "/console/handoffs", "/console/journeys/erp-automation-crosssell"} {
		p := b.get(path)
		require.Equal(t, http.StatusSeeOther, p.status, path)
		require.Equal(t, "/console/login", p.header.Get("Location"), path)
	}
	login := b.get("/console/login")
	requireConsolePage(t, login, 200)
	require.Contains(t, login.body, `name="api_key"`)
	require.Contains(t, login.body, `name="email"`)
	css := b.get("/console/static/console.css")
	require.Equal(t, 200, css.status)
	require.Equal(t, "text/css; charset=utf-8", css.header.Get("Content-Type"))

	// A wrong key: the form again, and no session.
	bad := b.post("/console/login", "/console/login", url.Values{"api_key": {"rpn_not-a-key"}})
	requireConsolePage(t, bad, http.StatusUnauthorized)
	require.Contains(t, bad.body, "unknown or revoked")
	require.Empty(t, bad.header.Values("Set-Cookie"))

	// A marketing key: a session cookie, and the journeys.
	p := b.post("/console/login", "/console/login", url.Values{"api_key": {h.keys["marketing"]}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	cookie := p.header.Get("Set-Cookie")
	for _, want := range []string{"ripen_console=", "Path=/console", "HttpOnly", "SameSite=Lax"} {
		require.Contains(t, cookie, want)
	}
	require.NotContains(t, cookie, "Secure", "the test API is served over http")
	home := b.get("/console")
	require.Equal(t, "/console/journeys", home.header.Get("Location"))
	list := b.get("/console/journeys")
	requireConsolePage(t, list, 200)
	require.Contains(t, list.body, "Automation add-on for ERP customers")
	require.Contains(t, list.body, `href="/console/journeys/erp-automation-crosssell"`)
	one := b.get("/console/journeys/erp-automation-crosssell")
	requireConsolePage(t, one, 200)
	require.Equal(t, "Automation add-on for ERP customers", h1(t, one.body))
	require.Contains(t, one.body, "<svg", "the report's charts")
	require.Contains(t, one.body, "send: automation-checklist", "the source")
	require.Equal(t, 404, b.get("/console/journeys/erp-automation-crosssell?version=9").status)
	require.Equal(t, 404, b.get("/console/journeys/no-such-journey").status)

	// Publishing a changed journey makes a new version; mistakes are named
	// at their line and publish nothing.
	changed := strings.Replace(testJourney, "name: Automation add-on for ERP customers", "name: Automation add-on, second take", 1)
	p = b.post("/console/journeys/erp-automation-crosssell", "/console/journeys/erp-automation-crosssell", url.Values{"source": {changed}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, "/console/journeys/erp-automation-crosssell?version=2", p.header.Get("Location"))
	v2 := b.get(p.header.Get("Location"))
	requireConsolePage(t, v2, 200)
	require.Equal(t, "Automation add-on, second take", h1(t, v2.body))
	require.Contains(t, v2.body, `aria-current="true" title="`)
	require.Contains(t, v2.body, `href="/console/journeys/erp-automation-crosssell/diff?from=1&amp;to=2"`)
	diff := b.get("/console/journeys/erp-automation-crosssell/diff?from=1&to=2")
	requireConsolePage(t, diff, 200)
	require.Regexp(t, `(?s)<tr class="removed">\s*<td class="num">2</td>\s*<td class="num"></td>.*name: Automation add-on for ERP customers`, diff.body)
	require.Regexp(t, `(?s)<tr class="added">\s*<td class="num"></td>\s*<td class="num">2</td>.*name: Automation add-on, second take`, diff.body)
	require.Equal(t, 1, strings.Count(diff.body, `class="removed"`), "one line changed")
	requireConsolePage(t, b.get("/console/journeys/erp-automation-crosssell/diff?from=1&to=7"), http.StatusNotFound)
	requireConsolePage(t, b.get("/console/journeys/erp-automation-crosssell/diff?from=x"), http.StatusUnprocessableEntity)
	broken := strings.Replace(testJourney, "goto: case-study", "goto: nowhere", 1)
	p = b.post("/console/journeys/erp-automation-crosssell", "/console/journeys/erp-automation-crosssell", url.Values{"source": {broken}})
	requireConsolePage(t, p, http.StatusUnprocessableEntity)
	require.Contains(t, p.body, "Nothing was published")
	require.Regexp(t, `<li>Line 15: [^<]*nowhere`, p.body)
	require.Contains(t, p.body, "goto: nowhere}", "the form keeps what was sent")
	var versions struct{ Journeys []struct{ Version int } }
	h.json("GET", "/v1/journeys/erp-automation-crosssell/versions", "marketing", nil, 200, &versions)
	require.Len(t, versions.Journeys, 2, "the broken one made no version")
	require.Equal(t, http.StatusForbidden, b.do("POST", "/console/journeys/erp-automation-crosssell", url.Values{"source": {changed}}, nil).status)

	// Marketing sees no hand-offs, and the runs.
	requireConsolePage(t, b.get("/console/handoffs"), http.StatusForbidden)
	runs := b.get("/console/runs")
	requireConsolePage(t, runs, 200)
	require.Contains(t, runs.body, "No runs match")
	requireConsolePage(t, b.get("/console/runs?stage=sleeping"), http.StatusUnprocessableEntity)
	requireConsolePage(t, b.get("/console/runs/erp-automation-crosssell/acme"), http.StatusNotFound)

	// Signing out needs the page's token, then revokes the session.
	require.Equal(t, http.StatusForbidden, b.do("POST", "/console/logout", url.Values{}, nil).status)
	out := b.post("/console/journeys", "/console/logout", url.Values{})
	requireConsolePage(t, out, 200)
	require.Contains(t, out.header.Get("Set-Cookie"), "Max-Age=0")

	// A copy of the cookie no longer works: the session is revoked on the server.
	u, _ := url.Parse(h.stack.APIURL + "/console")
	var token string
	for _, c := range strings.Split(cookie, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(c), "ripen_console="); ok {
			token = v
		}
	}
	require.NotEmpty(t, token)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "ripen_console", Value: token, Path: "/console"}})
	require.Equal(t, http.StatusSeeOther, b.get("/console/journeys").status)

	// Sales sees hand-offs and no journeys; admin sees both.
	sales := h.consoleBrowser()
	require.Equal(t, "/console/handoffs", sales.signInWithKey(h.keys["sales"]))
	requireConsolePage(t, sales.get("/console/handoffs"), 200)
	requireConsolePage(t, sales.get("/console/journeys"), http.StatusForbidden)
	requireConsolePage(t, sales.get("/console/journeys/erp-automation-crosssell"), http.StatusForbidden)
	p = sales.post("/console/handoffs", "/console/journeys/erp-automation-crosssell", url.Values{"source": {testJourney}})
	requireConsolePage(t, p, http.StatusForbidden)
	admin := h.consoleBrowser()
	require.Equal(t, "/console/journeys", admin.signInWithKey(h.keys["admin"]))
	requireConsolePage(t, admin.get("/console/handoffs"), 200)
	requireConsolePage(t, admin.get("/console/journeys"), 200)
}

func TestConsoleFormsRefuseMissingTokensAndOtherSites(t *testing.T) {
	h := newHarness(t)
	b := h.consoleBrowser()
	// No token.
	p := b.do("POST", "/console/login", url.Values{"api_key": {h.keys["admin"]}}, nil)
	require.Equal(t, http.StatusForbidden, p.status, p.body)
	require.Empty(t, p.header.Values("Set-Cookie"))
	// A token of another form (the sign-in link's) does not do.
	page := b.get("/console/login")
	token := formTokenOf(t, page.body)
	p = b.do("POST", "/console/signin/some-link", url.Values{"form_token": {token}}, nil)
	require.Equal(t, http.StatusForbidden, p.status, p.body)
	// The right token from another site.
	p = b.do("POST", "/console/login", url.Values{"form_token": {token}, "api_key": {h.keys["admin"]}},
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	require.Equal(t, http.StatusForbidden, p.status, p.body)
	require.Empty(t, p.header.Values("Set-Cookie"))
	// The same post from our own page works.
	p = b.do("POST", "/console/login", url.Values{"form_token": {token}, "api_key": {h.keys["admin"]}},
		map[string]string{"Origin": h.stack.APIURL, "Sec-Fetch-Site": "same-origin"})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
}

func TestConsoleEmailedLinkSignsInOnceAndTellsNoOneWhoMay(t *testing.T) {
	h := newHarness(t)
	h.seed() // the customer's owner is rep-eva, eva@seller.example

	// Admins manage console users; nobody else may.
	user := map[string]any{"email": "ina@ripen.example", "name": "Ina Weber", "role": "marketing"}
	code, _ := h.do("PUT", "/v1/users/ina", "marketing", user)
	require.Equal(t, http.StatusForbidden, code)
	var got struct{ ID, Email, Name, Role string }
	h.json("PUT", "/v1/users/ina", "admin", user, 200, &got)
	require.Equal(t, "marketing", got.Role)
	bad := map[string]any{"email": "no address", "role": "boss"}
	code, body := h.do("PUT", "/v1/users/tom", "admin", bad)
	require.Equal(t, http.StatusUnprocessableEntity, code, "%s", body)
	require.ElementsMatch(t, []string{"email", "role"}, problemOf(t, body).fields())
	code, body = h.do("PUT", "/v1/users/tom", "admin", map[string]any{"email": "INA@ripen.example", "role": "sales"})
	require.Equal(t, http.StatusConflict, code, "%s", body)
	var list struct{ Items []struct{ ID string } }
	h.json("GET", "/v1/users", "admin", nil, 200, &list)
	require.Len(t, list.Items, 1)

	// A known and an unknown address get the same answer.
	b := h.consoleBrowser()
	known := b.post("/console/login", "/console/login", url.Values{"email": {"Ina@ripen.example"}})
	requireConsolePage(t, known, 200)
	unknown := b.post("/console/login", "/console/login", url.Values{"email": {"nobody@ripen.example"}})
	requireConsolePage(t, unknown, 200)
	strip := regexp.MustCompile(`name="form_token" value="[^"]*"`)
	require.Equal(t, strip.ReplaceAllString(known.body, ""), strip.ReplaceAllString(unknown.body, ""))
	require.Equal(t, http.StatusUnprocessableEntity, b.post("/console/login", "/console/login", url.Values{"email": {"not an address"}}).status)

	// The link, from the local SendGrid inbox; fetching it uses nothing.
	mail := h.mailWith("ina@ripen.example", "console")
	link := h.linkIn(mail, "/console/signin/")
	require.Contains(t, mail.Text, "15 minutes")
	for range 2 {
		scan := fetch(t, "GET", link, nil, nil)
		requireConsolePage(t, scan, 200)
	}
	ina := h.consoleBrowser()
	p := ina.post(link, link, url.Values{})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, "/console/journeys", ina.get("/console").header.Get("Location"))
	journeys := ina.get("/console/journeys")
	requireConsolePage(t, journeys, 200)
	require.Contains(t, journeys.body, "Ina Weber")

	// The link works once.
	again := h.consoleBrowser()
	requireConsolePage(t, again.get(link), http.StatusNotFound)
	form := ina.get("/console/login")
	p = again.do("POST", link, url.Values{"form_token": {formTokenOf(t, form.body)}}, nil)
	require.Equal(t, http.StatusForbidden, p.status, "a token of another form")

	// A changed role counts at once; a removed user is signed out.
	h.json("PUT", "/v1/users/ina", "admin", map[string]any{"email": "ina@ripen.example", "name": "Ina Weber", "role": "sales"}, 200, nil)
	requireConsolePage(t, ina.get("/console/journeys"), http.StatusForbidden)
	requireConsolePage(t, ina.get("/console/handoffs"), 200)
	code, _ = h.do("DELETE", "/v1/users/ina", "admin", nil)
	require.Equal(t, http.StatusNoContent, code)
	require.Equal(t, http.StatusSeeOther, ina.get("/console/handoffs").status)
	code, _ = h.do("DELETE", "/v1/users/ina", "admin", nil)
	require.Equal(t, http.StatusNotFound, code)

	// An account owner signs in as sales of their own book.
	b.post("/console/login", "/console/login", url.Values{"email": {"eva@seller.example"}})
	eva := h.consoleBrowser()
	evaLink := h.linkIn(h.mailWith("eva@seller.example", "console"), "/console/signin/")
	require.Equal(t, http.StatusSeeOther, eva.post(evaLink, evaLink, url.Values{}).status)
	handoffs := eva.get("/console/handoffs")
	requireConsolePage(t, handoffs, 200)
	require.Contains(t, handoffs.body, "Eva Berger")
	require.NotContains(t, handoffs.body, `id="owner"`, "an owner sees only their own hand-offs: no owner filter")
	requireConsolePage(t, eva.get("/console/journeys"), http.StatusForbidden)
}
