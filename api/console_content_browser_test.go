package api_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestConsoleBrowserPreviewsAGermanVariantAndSendsATest signs in to the
// console in chromium by an emailed link as a marketing user, opens the
// content, previews the German variant of a persona and sends it to
// herself, and finds the test in the local SendGrid inbox; screenshots
// go where RIPEN_SCREENSHOTS says.
func TestConsoleBrowserPreviewsAGermanVariantAndSendsATest(t *testing.T) {
	ctx := browser(t)
	h := newHarness(t)
	shots := screenshotDir(t)
	h.seed()
	h.germanChecklist()
	h.json("PUT", "/v1/users/ina", "admin", map[string]any{"email": "ina@ripen.example", "name": "Ina Weber", "role": "marketing"}, 200, nil)

	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900)))
	speak(t, ctx, "de")
	navigate(t, ctx, h.stack.APIURL+"/console/login")
	typeInto(t, ctx, "#email", "ina@ripen.example")
	clickAndLoad(t, ctx, "section[aria-labelledby=by-email] button")
	navigate(t, ctx, h.linkIn(h.mailWith("ina@ripen.example", "Konsole"), "/console/signin/"))
	clickAndLoad(t, ctx, "main form button")
	require.True(t, strings.HasSuffix(location(t, ctx), "/console/journeys"), location(t, ctx))

	clickAndLoad(t, ctx, `nav a[href="/console/content"]`)
	main := text(t, ctx, "main")
	require.Contains(t, main, "Automation checklist")
	require.Contains(t, main, "Varianten")
	screenshot(t, ctx, shots, "console-content-de.png")
	axeCheck(t, ctx, "console-content-de.png")

	clickAndLoad(t, ctx, `a[href="/console/content/automation-checklist"]`)
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#persona"), "ops-lead"), chromedp.SetValue(chromedp.CSS("#locale"), "de")))
	clickAndLoad(t, ctx, "form.filters button")
	require.Contains(t, location(t, ctx), "locale=de")
	require.Equal(t, "ops-lead/de", text(t, ctx, "dd.variant"))
	require.Equal(t, "Anna, Ihre Checkliste für die Automatisierung", text(t, ctx, "dd.subject"))
	require.Contains(t, text(t, ctx, "pre.email-text"), "Hallo Anna, lesen Sie https://example.com/automation-checklist")
	frame, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("iframe.email"), "src"))
	require.NoError(t, err)
	require.Contains(t, frame.Value, "/console/content/automation-checklist/preview.html?")
	screenshot(t, ctx, shots, "console-preview-de.png")
	axeCheck(t, ctx, "console-preview-de.png")

	clickAndLoad(t, ctx, "section.test button")
	require.Contains(t, text(t, ctx, "p.notice"), "ina@ripen.example")
	mail := h.mailWith("ina@ripen.example", "[Test]")
	require.Equal(t, "[Test] Anna, Ihre Checkliste für die Automatisierung", mail.Subject)
	require.Contains(t, mail.HTML, "Hallo Anna Becker")
	screenshot(t, ctx, shots, "console-test-sent-de.png")

	// A second test within the minute is refused.
	clickAndLoad(t, ctx, "section.test button")
	require.Contains(t, text(t, ctx, "p.error"), "weniger als einer Minute")

	// In English: the list, and a preview in a journey's context, whose
	// sender setting decides the From line.
	speak(t, ctx, "en")
	clickAndLoad(t, ctx, `nav a[href="/console/content"]`)
	require.Contains(t, text(t, ctx, "main"), "Variants")
	screenshot(t, ctx, shots, "console-content-en.png")
	axeCheck(t, ctx, "console-content-en.png")
	clickAndLoad(t, ctx, `a[href="/console/content/automation-checklist"]`)
	require.Contains(t, text(t, ctx, "p.sender-note"), "No journey chosen")
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#persona"), "ops-lead"), chromedp.SetValue(chromedp.CSS("#locale"), "en"),
		chromedp.SetValue(chromedp.CSS("#journey"), "erp-automation-crosssell")))
	clickAndLoad(t, ctx, "form.filters button")
	require.Contains(t, text(t, ctx, "dd.from"), "Sam Taylor via")
	require.Contains(t, text(t, ctx, "dd.replyto"), "sam.taylor@example.com")
	require.Contains(t, text(t, ctx, "p.sender-note"), "erp-automation-crosssell")
	screenshot(t, ctx, shots, "console-preview-en.png")
	axeCheck(t, ctx, "console-preview-en.png")
}
