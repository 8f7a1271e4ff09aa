package api_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestConsoleBrowserSimulatesAJourneyAsATimeline opens a journey in
// chromium, follows its link to the simulation, runs the example timeline
// as it comes and sees the run drawn, in English and German, leaving
// screenshots where RIPEN_SCREENSHOTS says.
func TestConsoleBrowserSimulatesAJourneyAsATimeline(t *testing.T) {
	ctx := browser(t)
	h := newHarness(t)
	shots := screenshotDir(t)
	h.seed()

	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1200, 1400)))
	speak(t, ctx, "en")
	navigate(t, ctx, h.stack.APIURL+"/console/login")
	typeInto(t, ctx, "#api_key", h.keys["marketing"])
	clickAndLoad(t, ctx, "section[aria-labelledby=by-key] button")

	for _, lang := range []string{"en", "de"} {
		speak(t, ctx, lang)
		navigate(t, ctx, h.stack.APIURL+"/console/journeys/erp-automation-crosssell")
		clickAndLoad(t, ctx, `p.simulate-link a`)
		events, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#sim-events")))
		require.NoError(t, err)
		require.Contains(t, events, "type: click, step: checklist", "an example to run at once")
		clickAndLoad(t, ctx, "form.simulate > button")
		main := text(t, ctx, "main")
		for _, want := range map[string][]string{"en": {"accepted by sales", "18.0 days", "day 10"}, "de": {"vom Vertrieb angenommen", "18,0 Tage", "Tag 10"}}[lang] {
			require.Contains(t, main, want)
		}
		for sel, n := range map[string]int{"figure.timeline svg g.mark-send": 2, "figure.timeline svg path.line": 1,
			"figure.timeline svg line.threshold": 1, "figure.timeline svg g.moment-handoff": 1, "figure.timeline svg g.moment-end": 1} {
			nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(sel)))
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(nodes), n, sel)
		}
		screenshot(t, ctx, shots, "console-simulate-"+lang+".png")
		axeCheck(t, ctx, "console-simulate-"+lang+".png")
	}

	// A mistake in the timeline is named at its line, in the form.
	speak(t, ctx, "en")
	navigate(t, ctx, h.stack.APIURL+"/console/journeys/erp-automation-crosssell/simulate")
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#sim-events"), "- {at: 1d, type: clik, step: checklist}\n")))
	clickAndLoad(t, ctx, "form.simulate > button")
	require.True(t, strings.Contains(text(t, ctx, ".problems"), "Events, line 1: events[0].type"), text(t, ctx, ".problems"))
	axeCheck(t, ctx, "console-simulate-problems-en")
}
