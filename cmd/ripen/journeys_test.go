package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// A buying group of two: each send names its contact and the variant of the
// --content library that contact got, and events name who acted.
func TestJourneysSimulateSendsEachContactTheirVariant(t *testing.T) {
	contacts := writeFile(t, "contacts.yaml", `
- {id: max, persona: it-lead, locale: de, timezone: Europe/Berlin}
- {id: ann, persona: ops-lead, locale: en}
`)
	content := writeFile(t, "content.yaml", `
- id: automation-checklist
  email: {subject: Checklist}
  variants:
    - {persona: it-lead, locale: de, email: {subject: Checkliste}}
    - {locale: en, email: {subject: Checklist (en)}}
- automation-checklist-reminder
- id: erp-automation-case-study
`)
	events := writeFile(t, "events.yaml", "- {at: 1d, type: stop}\n")
	out, errOut, code := runCLI(t, "journeys", "simulate", example, "--events", events, "--contacts", contacts,
		"--content", content, "--customer", "acme", "--json", "--start", "2026-11-30T09:00:00+01:00")
	require.Equal(t, 0, code, errOut)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	require.Equal(t, "acme", rep["customer"])
	sends := objects(t, rep, "sends")
	require.Len(t, sends, 2)
	require.Equal(t, map[string]any{"step": "checklist", "contact": "max", "variant": "it-lead/de"}, pick(sends[0], "step", "contact", "variant"))
	require.Equal(t, map[string]any{"step": "checklist", "contact": "ann", "variant": "en"}, pick(sends[1], "step", "contact", "variant"))
	require.Len(t, objects(t, rep, "contacts"), 2)

	t.Run("without --content every email is base, and the timeline says who got what", func(t *testing.T) {
		out, errOut, code := runCLI(t, "journeys", "simulate", example, "--events", events, "--contacts", contacts, "--start", "2026-11-30T09:00:00+01:00")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "automation-checklist to max (base)")
		require.Contains(t, out, "automation-checklist to ann (base)")
		require.Contains(t, out, "contact max (it-lead, de, Europe/Berlin)")
	})
}

func TestJourneysSimulateListsContactAndEventProblemsWithTheirLines(t *testing.T) {
	contacts := writeFile(t, "contacts.yaml", "- {id: max}\n- {id: ann, timezone: Local}\n")
	events := writeFile(t, "events.yaml", "- {at: 1d, type: click, step: checklist, contact: bob}\n")
	_, errOut, code := runCLI(t, "journeys", "simulate", example, "--events", events, "--contacts", contacts)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, contacts+`:2: contacts[1].timezone: "Local" is this machine's time zone`)

	contacts = writeFile(t, "contacts.yaml", "- {id: max}\n- {id: ann}\n")
	_, errOut, code = runCLI(t, "journeys", "simulate", example, "--events", events, "--contacts", contacts)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, events+`:1: events[0].contact: unknown contact "bob": the simulation's contacts are max, ann`)
}
