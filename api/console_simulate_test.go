package api_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var textareaRE = regexp.MustCompile(`(?s)<textarea id="([^"]+)"[^>]*>(.*?)</textarea>`)

// textareas are the texts of a page's textareas by id, as a browser
// would send them.
func textareas(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range textareaRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// postAs posts a form with the CSRF token of page from, in the browser's
// language lang.
func (b *consoleBrowser) postAs(lang, from, to string, form url.Values) pageResponse {
	b.t.Helper()
	page := b.do("GET", from, nil, map[string]string{"Accept-Language": lang})
	require.Equal(b.t, 200, page.status, page.body)
	form.Set("form_token", formTokenOf(b.t, page.body))
	return b.do("POST", to, form, map[string]string{"Accept-Language": lang})
}

func TestConsoleSimulatesAJourneyAgainstATimelineAndDrawsIt(t *testing.T) {
	h := newHarness(t)
	h.seed()
	const page = "/console/journeys/erp-automation-crosssell/simulate"

	// Sales may not simulate, as in the API.
	sales := h.consoleBrowser()
	sales.signInWithKey(h.keys["sales"])
	requireConsolePage(t, sales.get(page), http.StatusForbidden)

	b := h.consoleBrowser()
	b.signInWithKey(h.keys["marketing"])
	journeyPage := b.get("/console/journeys/erp-automation-crosssell")
	require.Contains(t, journeyPage.body, `href="`+page+`"`, "the journey's page links the simulation")

	// The form comes with an example timeline for the journey, so that
	// "Simulate" runs at once.
	form := b.get(page)
	requireConsolePage(t, form, 200)
	fields := textareas(t, form.body)
	require.Contains(t, fields["sim-events"], "type: click, step: checklist")
	require.Contains(t, fields["sim-events"], "type: sales-feedback, outcome: accepted")
	require.Contains(t, fields["sim-contacts"], "persona: ops-lead")
	require.Contains(t, fields["sim-source"], "id: erp-automation-crosssell", "the published source, to edit")

	run := b.post(page, page, url.Values{"which": {"published"}, "events": {fields["sim-events"]}, "contacts": {fields["sim-contacts"]}})
	requireConsolePage(t, run, 200)
	require.Contains(t, run.body, "version 1 as published")
	require.Contains(t, run.body, `<dd class="outcome">accepted by sales</dd>`)
	require.Contains(t, run.body, `<dd class="mqn">yes</dd>`)
	require.Contains(t, run.body, `<dd class="length">18.0 days</dd>`)
	svg := run.body[strings.Index(run.body, `<figure class="chart timeline"`):]
	svg = svg[:strings.Index(svg, "</figure>")]
	require.Contains(t, svg, `role="img"`)
	require.Contains(t, svg, `class="mark mark-send"`, "the emails")
	require.Contains(t, svg, "checklist (automation-checklist) to max, variant", "each email names its contact and variant")
	require.Contains(t, svg, `class="mark mark-click"`, "the events")
	require.Contains(t, svg, `class="line"`, "the score curve")
	require.Contains(t, svg, `class="threshold"`, "against the threshold")
	require.Contains(t, svg, "threshold 40")
	require.Contains(t, svg, `class="moment moment-handoff"`, "the hand-off")
	require.Contains(t, svg, "MQN · hand-off: the score reached")
	require.Contains(t, svg, `class="moment moment-end"`, "the end")
	require.Contains(t, run.body, "<td>email sent</td>", "the timeline as a table")
	require.Equal(t, fields["sim-events"], textareas(t, run.body)["sim-events"], "the form keeps what was simulated")

	// In German, numbers are written the German way.
	de := b.postAs("de", page, page, url.Values{"which": {"published"}, "events": {fields["sim-events"]}, "contacts": {fields["sim-contacts"]}})
	requireConsolePage(t, de, 200)
	require.Contains(t, de.body, `<dd class="outcome">vom Vertrieb angenommen</dd>`)
	require.Contains(t, de.body, `<dd class="length">18,0 Tage</dd>`)
	require.Contains(t, de.body, "Schwelle 40")
	require.Contains(t, de.body, ">Tag 0<")

	// Mistakes of the timeline are named at their line, and nothing runs.
	bad := b.post(page, page, url.Values{"which": {"published"}, "events": {"- {at: 1d, type: click, step: checklist}\n- {at: 2d, type: click, step: chekclist}\n"}})
	requireConsolePage(t, bad, http.StatusUnprocessableEntity)
	require.Contains(t, bad.body, "Events, line 2: events[1].step: unknown step")
	require.NotContains(t, bad.body, `class="chart`)

	// The definition being edited is simulated instead of the published
	// one: with a lower threshold the hand-off comes sooner.
	edited := strings.Replace(testJourney, "threshold: 40", "threshold: 20", 1)
	low := b.post(page, page, url.Values{"which": {"edited"}, "source": {edited}, "events": {fields["sim-events"]}})
	requireConsolePage(t, low, 200)
	require.Contains(t, low.body, "the definition as edited")
	require.Contains(t, low.body, "threshold 20")
	bad = b.post(page, page, url.Values{"which": {"edited"}, "source": {strings.Replace(testJourney, "goto: case-study", "goto: nowhere", 1)}, "events": {fields["sim-events"]}})
	requireConsolePage(t, bad, http.StatusUnprocessableEntity)
	require.Contains(t, bad.body, "Journey, line 15: steps[5].goto")

	// The publish form's "Simulate this definition" simulates what is in
	// it, against the example timeline, and publishes nothing.
	try := b.post("/console/journeys/erp-automation-crosssell", page, url.Values{"source": {edited}})
	requireConsolePage(t, try, 200)
	require.Contains(t, try.body, "the definition as edited")
	require.Contains(t, try.body, "threshold 20")
	require.Contains(t, b.get("/console/journeys/erp-automation-crosssell").body, "threshold: 40", "nothing was published")
}
