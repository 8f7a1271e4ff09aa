package demosite_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/internal/demosite"
	"github.com/ripen/ripen/journey"
)

const apiURL = "http://127.0.0.1:18080"

func get(t *testing.T, srv *httptest.Server, method, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

var (
	hrefs     = regexp.MustCompile(`href="(/[^"]*)"`)
	controlID = regexp.MustCompile(`<(?:input|textarea|select)[^>]*\sid="([^"]+)"`)
)

// Every page is a whole, accessible page that embeds ripen's script from
// the API it was given, and every link between them leads somewhere.
func TestEveryPageEmbedsTheScriptAndLinksResolve(t *testing.T) {
	srv := httptest.NewServer(demosite.Handler(apiURL + "/"))
	defer srv.Close()

	linked := map[string]bool{}
	for _, p := range demosite.Pages {
		resp, body := get(t, srv, "GET", p.Path)
		require.Equal(t, http.StatusOK, resp.StatusCode, p.Path)
		require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		require.Contains(t, body, `<html lang="en">`, p.Path)
		require.Contains(t, body, "<title>"+template(p.Title)+" · Seller Systems</title>", p.Path)
		require.Equal(t, 1, strings.Count(body, "<h1"), "%s has one h1", p.Path)
		require.Contains(t, body, `<script async src="`+apiURL+`/t.js" data-site="demo-website"></script>`, p.Path)
		require.Contains(t, body, `<script src="/static/consent.js" defer></script>`, p.Path)
		require.Contains(t, body, `id="consent-accept"`, "%s has the consent banner", p.Path)
		for _, id := range controlID.FindAllStringSubmatch(body, -1) {
			require.Contains(t, body, `<label for="`+id[1]+`">`, "%s: the field %s has a label", p.Path, id[1])
		}
		for _, m := range hrefs.FindAllStringSubmatch(body, -1) {
			linked[m[1]] = true
		}
	}
	for link := range linked {
		resp, _ := get(t, srv, "GET", link)
		require.Equal(t, http.StatusOK, resp.StatusCode, "a page links to %s", link)
	}
	require.True(t, linked[demosite.DatasheetPath], "a page links to the PDF")
	require.True(t, linked["/demo"], "a page links to the landing page")

	resp, body := get(t, srv, "GET", "/no-such-page")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, "Page not found")
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
}

// template escapes a title as html/template does in the page.
func template(s string) string {
	return strings.NewReplacer("'", "&#39;", "&", "&amp;").Replace(s)
}

// The landing page's form is the one ripen's script hands to sales: a
// fast-lane offer of the journeys', no action (the script sends it and
// thanks), a note and an email.
func TestTheLandingPageFormIsAFastLaneForm(t *testing.T) {
	srv := httptest.NewServer(demosite.Handler(apiURL))
	defer srv.Close()
	_, body := get(t, srv, "GET", "/demo")
	form := regexp.MustCompile(`(?s)<form[^>]*>.*?</form>`).FindString(body)
	require.NotEmpty(t, form)
	open := form[:strings.Index(form, ">")+1]
	offer := regexp.MustCompile(`data-ripen-fast-lane="([^"]+)"`).FindStringSubmatch(open)
	require.NotNil(t, offer)
	require.Equal(t, "demo", offer[1])
	require.True(t, slices.Contains(journey.FastLaneOffers, offer[1]))
	require.Regexp(t, `data-ripen-thanks="[^"]{10,}"`, open)
	require.NotContains(t, open, "action=", "without an action the script sends the form and says thanks")
	require.Contains(t, open, `method="post"`, "without the script the form never puts a note in a URL")
	require.Regexp(t, `<textarea id="note" name="note"`, form)
	require.Regexp(t, `<input id="email" name="email" type="email"`, form)

	// Without the script the browser posts it to the site, which says so.
	resp, body := get(t, srv, "POST", "/demo")
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Contains(t, body, "not sent")
}

// The datasheet is a real one-page PDF: its cross-reference table points
// at its objects.
func TestTheDatasheetIsAPDF(t *testing.T) {
	srv := httptest.NewServer(demosite.Handler(apiURL))
	defer srv.Close()
	resp, body := get(t, srv, "GET", demosite.DatasheetPath)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	pdf := []byte(body)
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")))
	require.True(t, bytes.HasSuffix(pdf, []byte("%%EOF\n")))
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	require.NotNil(t, m)
	xref, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(pdf[xref:], []byte("xref\n0 ")))
	entries := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(pdf[xref:], -1)
	require.NotEmpty(t, entries)
	for i, e := range entries {
		off, err := strconv.Atoi(string(e[1]))
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(pdf[off:], []byte(strconv.Itoa(i+1)+" 0 obj\n")), "object %d at %d", i+1, off)
	}
	require.Contains(t, body, "/Count 1", "one page")
	m = regexp.MustCompile(`<< /Length (\d+) >>\nstream\n`).FindSubmatch(pdf)
	require.NotNil(t, m)
	n, _ := strconv.Atoi(string(m[1]))
	start := bytes.Index(pdf, m[0]) + len(m[0])
	require.True(t, bytes.HasPrefix(pdf[start+n:], []byte("endstream")), "the content stream's length is right")
}

// The registration is valid, each topic has pages, and the pages say what
// the rules say they are about.
func TestTheRegistrationMatchesThePages(t *testing.T) {
	site := demosite.Site("http://127.0.0.1:8090")
	require.NoError(t, site.Check())
	require.Equal(t, "required", site.Consent)
	require.True(t, site.IsDownload(demosite.DatasheetPath))
	require.Equal(t, "process-automation", site.TopicOf(demosite.DatasheetPath))
	for _, r := range demosite.Topics {
		n := 0
		for _, p := range demosite.Pages {
			if site.TopicOf(p.Path) == r.Topic {
				n++
			}
		}
		require.NotZero(t, n, "no page about %s", r.Topic)
	}
	for _, p := range []string{"/", "/demo", "/privacy"} {
		require.Empty(t, site.TopicOf(p), "%s is about no topic", p)
	}
}

// The banner's script queues ripen's calls until ripen's script is there,
// and keeps the visitor's choice.
func TestTheConsentScript(t *testing.T) {
	srv := httptest.NewServer(demosite.Handler(apiURL))
	defer srv.Close()
	resp, body := get(t, srv, "GET", "/static/consent.js")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "javascript")
	require.Contains(t, body, "window.ripen = window.ripen || function () { (window.ripen.q = window.ripen.q || []).push(arguments); };")
	require.Contains(t, body, `ripen("consent", true)`)
	require.Contains(t, body, "localStorage")
	resp, _ = get(t, srv, "GET", "/static/site.css")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/css")
}
