// Package demosite is the website of ripen-dev's demo company, Seller
// Systems (ERP core, the automation suite, the reporting edition): a home
// page, pages on each demo topic, a one-page PDF datasheet, a landing page
// with a demo form and a consent banner. Every page embeds ripen's script
// as a customer's site would, so the demo's emails lead somewhere and the
// water hole hears what their readers do.
//
// It is a customer's website, not a part of ripen: it knows ripen only by
// the script tag, the form attributes the script reads and the site
// registration (Site) that says which of its paths are about what. It
// must never call ripen's API or read its store.
package demosite

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/ripen/ripen/sites"
)

// SiteID is the site's ID in ripen (PUT /v1/sites/demo-website).
const SiteID = "demo-website"

// DatasheetPath is where the site serves its PDF.
const DatasheetPath = "/automation/automation-suite-datasheet.pdf"

// Topics are the site's path rules: a page under /automation/ is about
// process automation, and so on, one topic per demo topic.
var Topics = []sites.TopicRule{
	{Path: "/automation/*", Topic: "process-automation"},
	{Path: "/integration/*", Topic: "integration"},
	{Path: "/reporting/*", Topic: "financial-reporting"},
	{Path: "/erp/*", Topic: "erp-renewal"},
}

// Site is the site's registration when it is served at origin
// (scheme://host:port): its topics, PDFs as downloads, and consent
// required, as a European company's site would ask.
func Site(origin string) sites.Site {
	return sites.Site{
		ID: SiteID, Origins: []string{origin}, Topics: append([]sites.TopicRule(nil), Topics...),
		Downloads: []string{"*.pdf"}, Consent: sites.ConsentRequired,
	}
}

// Page is one of the site's HTML pages.
type Page struct {
	Path, Title, Description string
	file                     string
}

// Pages are the site's HTML pages, home first.
var Pages = []Page{
	{"/", "ERP, process automation and financial reporting", "ERP core and the add-ons that take the manual work out of it.", "home.html"},
	{"/automation/checklist", "12 steps to automate order entry", "A checklist that takes a sales office from typing every order line to checking only the exceptions.", "automation-checklist.html"},
	{"/automation/case-study", "Case study: 40% faster order entry", "How a technical wholesaler cut the time per order line by 40% with the automation suite.", "automation-case-study.html"},
	{"/integration/platform", "One integration platform instead of many scripts", "What IT gets with the automation suite: every interface in one audited place.", "integration-platform.html"},
	{"/reporting/webinar", "Webinar: close the books in five days", "Thirty minutes for finance teams on a five-day month-end close with the reporting edition.", "reporting-webinar.html"},
	{"/reporting/pricing", "Reporting edition pricing", "What the reporting edition costs ERP core customers.", "reporting-pricing.html"},
	{"/erp/whats-new", "What's new in ERP core this year", "What changed in ERP core since your last renewal.", "erp-whats-new.html"},
	{"/demo", "Ask for a demo", "A 30-minute demo with your account manager, on your own documents.", "demo.html"},
	{"/privacy", "Privacy", "What this site records, and only after you agree.", "privacy.html"},
}

var nav = []struct{ Label, Path, Section string }{
	{"Automation", "/automation/checklist", "/automation/"},
	{"Integration", "/integration/platform", "/integration/"},
	{"Reporting", "/reporting/webinar", "/reporting/"},
	{"ERP core", "/erp/whats-new", "/erp/"},
}

//go:embed pages static
var files embed.FS

var layout = template.Must(template.ParseFS(files, "pages/layout.html"))

// view is what a page's template sees.
type view struct {
	Page
	APIURL, SiteID string
	Nav            []navItem
}

type navItem struct {
	Label, Path string
	Current     bool
}

// Handler serves the site, with ripen's script from apiURL (the API's
// public URL, e.g. http://127.0.0.1:8080).
func Handler(apiURL string) http.Handler {
	apiURL = strings.TrimRight(apiURL, "/")
	mux := http.NewServeMux()
	for _, p := range Pages {
		body := render(p, apiURL)
		mux.HandleFunc("GET "+muxPath(p.Path), func(w http.ResponseWriter, r *http.Request) {
			writePage(w, http.StatusOK, body)
		})
	}
	// Without its script the demo form posts here: say what happened
	// rather than pretend it was sent.
	unsent := render(Page{Path: "/demo", Title: "Your request was not sent", file: "demo-unsent.html"}, apiURL)
	mux.HandleFunc("POST /demo", func(w http.ResponseWriter, r *http.Request) {
		writePage(w, http.StatusServiceUnavailable, unsent)
	})
	notFound := render(Page{Path: "", Title: "Page not found", file: "notfound.html"}, apiURL)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writePage(w, http.StatusNotFound, notFound)
	})
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err)
	}
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET "+DatasheetPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		http.ServeFileFS(w, r, static, "automation-suite-datasheet.pdf")
	})
	return headers(mux)
}

// muxPath is a page's ServeMux pattern: "/" is the home page only.
func muxPath(p string) string {
	if p == "/" {
		return "/{$}"
	}
	return p
}

func render(p Page, apiURL string) []byte {
	t := template.Must(template.Must(layout.Clone()).ParseFS(files, "pages/"+p.file))
	v := view{Page: p, APIURL: apiURL, SiteID: SiteID}
	for _, n := range nav {
		v.Nav = append(v.Nav, navItem{Label: n.Label, Path: n.Path, Current: strings.HasPrefix(p.Path, n.Section)})
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		panic(fmt.Sprintf("demosite: render %s: %v", p.Path, err))
	}
	return b.Bytes()
}

func writePage(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// headers are a careful site's: no sniffing, no framing, and a referrer
// that keeps its paths to itself.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		hd.Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}
