package api_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// axeCheck runs axe-core (its axe.min.js at RIPEN_AXE_JS, from the npm
// package axe-core) on the page and fails on any violation of WCAG 2.1 A
// and AA. Without RIPEN_AXE_JS it checks nothing: CI installs no npm
// packages yet.
func axeCheck(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	path := os.Getenv("RIPEN_AXE_JS")
	if path == "" {
		return
	}
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	// DevTools' evaluate is not held to the page's CSP, so axe runs on the
	// page as it is served.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[any](string(src), chromedp.EvalIgnoreExceptions))
	require.NoError(t, err)
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})
		.then(r => JSON.stringify({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))}))`,
		chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	var res struct {
		Passes     int
		Violations []struct {
			ID, Help string
			Nodes    []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.NotZero(t, res.Passes, "axe ran")
	t.Logf("axe on %s: %d rules pass, %d fail", page, res.Passes, len(res.Violations))
	for _, v := range res.Violations {
		t.Errorf("axe on %s: %s (%s): %v", page, v.ID, v.Help, v.Nodes)
	}
}

// TestConsoleBrowserShowsJourneysWithChartsAndHandoffsInBothLanguages signs
// in to the console with an admin's API key in chromium and opens the
// journeys, one journey with its report as charts, and the hand-offs, in
// English and German, leaving screenshots (RIPEN_SCREENSHOTS=docs/console
// keeps them for the README).
func TestConsoleBrowserShowsJourneysWithChartsAndHandoffsInBothLanguages(t *testing.T) {
	ctx := browser(t)
	h := newHarness(t)
	shots := screenshotDir(t)
	h.askedForDemo("Bitte Dienstag anrufen") // a journey with sends, engagement and a hand-off

	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900)))
	speak(t, ctx, "de")
	navigate(t, ctx, h.stack.APIURL+"/console/login")
	require.Contains(t, text(t, ctx, "h1"), "Anmeldung zur ripen-Konsole")
	screenshot(t, ctx, shots, "console-login-de.png")
	axeCheck(t, ctx, "console-login-de.png")
	typeInto(t, ctx, "#api_key", h.keys["admin"])
	clickAndLoad(t, ctx, "section[aria-labelledby=by-key] button")
	require.True(t, strings.HasSuffix(location(t, ctx), "/console/journeys"), location(t, ctx))

	for _, lang := range []string{"en", "de"} {
		speak(t, ctx, lang)
		navigate(t, ctx, h.stack.APIURL+"/console/journeys")
		main := text(t, ctx, "main")
		require.Contains(t, main, "Automation add-on for ERP customers")
		require.Contains(t, main, map[string]string{"en": "MQN rate", "de": "MQN-Quote"}[lang])
		screenshot(t, ctx, shots, "console-journeys-"+lang+".png")
		axeCheck(t, ctx, "console-journeys-"+lang+".png")

		clickAndLoad(t, ctx, `a[href="/console/journeys/erp-automation-crosssell"]`)
		charts, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("figure.chart svg")))
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(charts), 2, "the funnel and the content")
		bars, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("figure.chart svg rect.bar")))
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(bars), 5, "a bar per funnel stage reached: enrolled to handed off")
		require.Contains(t, text(t, ctx, "pre.source"), "id: erp-automation-crosssell")
		require.Contains(t, text(t, ctx, "main"), map[string]string{"en": "Funnel", "de": "Trichter"}[lang])
		screenshot(t, ctx, shots, "console-journey-"+lang+".png")
		axeCheck(t, ctx, "console-journey-"+lang+".png")

		clickAndLoad(t, ctx, `nav a[href="/console/handoffs"]`)
		main = text(t, ctx, "main")
		require.Contains(t, main, "acme GmbH")
		require.Contains(t, main, "Eva Berger")
		require.Contains(t, main, map[string]string{"en": "on time", "de": "im Plan"}[lang])
		screenshot(t, ctx, shots, "console-handoffs-"+lang+".png")
		axeCheck(t, ctx, "console-handoffs-"+lang+".png")

		// Runs: filtered by stage and MQN, then one run's timeline.
		clickAndLoad(t, ctx, `nav a[href="/console/runs"]`)
		require.Contains(t, text(t, ctx, "main"), "acme")
		require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#stage"), "nurturing")))
		clickAndLoad(t, ctx, "form.filters button")
		require.Contains(t, location(t, ctx), "stage=nurturing")
		require.Contains(t, text(t, ctx, "main"), map[string]string{"en": "No runs match", "de": "Keine passenden Läufe"}[lang], "the run is with sales")
		require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#stage"), "handoff"), chromedp.SetValue(chromedp.CSS("#mqn"), "true")))
		clickAndLoad(t, ctx, "form.filters button")
		temporal, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`a[href^="http://127.0.0.1:8233/namespaces/default/workflows/"]`), "href"))
		require.NoError(t, err)
		require.Contains(t, temporal.Value, "ripen%2Ferp-automation-crosssell%2Facme")
		screenshot(t, ctx, shots, "console-runs-"+lang+".png")
		axeCheck(t, ctx, "console-runs-"+lang+".png")
		clickAndLoad(t, ctx, `a[href="/console/runs/erp-automation-crosssell/acme"]`)
		main = text(t, ctx, "main")
		for _, want := range map[string][]string{"en": {"email sent", "downloaded", "handed off"}, "de": {"E-Mail gesendet", "heruntergeladen", "übergeben"}}[lang] {
			require.Contains(t, main, want)
		}
		lines, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("figure.chart svg path.line")))
		require.NoError(t, err)
		require.Len(t, lines, 1, "the score over time")
		screenshot(t, ctx, shots, "console-run-"+lang+".png")
		axeCheck(t, ctx, "console-run-"+lang+".png")
	}

	// Publish a changed journey from its page, then see what changed.
	navigate(t, ctx, h.stack.APIURL+"/console/journeys/erp-automation-crosssell")
	click(t, ctx, "details.publish summary")
	changed := strings.Replace(testJourney, "name: Automation add-on for ERP customers", "name: Automation add-on, second take", 1)
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#journey-source"), changed)))
	clickAndLoad(t, ctx, "details.publish button")
	require.True(t, strings.HasSuffix(location(t, ctx), "?version=2"), location(t, ctx))
	require.Equal(t, "Automation add-on, second take", text(t, ctx, "h1"))
	clickAndLoad(t, ctx, "a.diff")
	require.Contains(t, text(t, ctx, "tr.removed"), "name: Automation add-on for ERP customers")
	require.Contains(t, text(t, ctx, "tr.added"), "name: Automation add-on, second take")
	screenshot(t, ctx, shots, "console-diff-de.png")
	axeCheck(t, ctx, "console-diff-de.png")

	// Signing out ends the session: the console asks to sign in again.
	clickAndLoad(t, ctx, "form.signout button")
	navigate(t, ctx, h.stack.APIURL+"/console/journeys")
	require.True(t, strings.HasSuffix(location(t, ctx), "/console/login"), location(t, ctx))
}
