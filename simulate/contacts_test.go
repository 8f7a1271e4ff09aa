package simulate

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
)

var monday = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// buyingGroup is an account of two people: an IT lead who reads German and
// an ops lead who reads English.
func buyingGroup(t *testing.T) []Contact {
	t.Helper()
	cs, err := ParseContacts([]byte(`
- {id: max, persona: it-lead, locale: de-DE, timezone: Europe/Berlin}
- {id: ann, persona: ops-lead, locale: en}
`))
	require.NoError(t, err)
	return cs
}

// checklistOnly is the example journey cut to its first email and wait.
func checklistOnly(t *testing.T) *journey.Definition {
	def := exampleJourney(t)
	def.Steps = def.Steps[:2]
	def.Scoring.Topics = []string{"process-automation"}
	return def
}

func sendsOf(rep *Report) []string {
	var out []string
	for _, s := range rep.Sends {
		out = append(out, s.Step+" "+s.Contact+" "+s.Variant)
	}
	return out
}

func TestEachContactGetsTheVariantForTheirPersonaAndLocale(t *testing.T) {
	email := func(s string) store.ContentEmail { return store.ContentEmail{Subject: s} }
	lib := map[string]store.Content{"automation-checklist": {ID: "automation-checklist", Email: email("base"), Variants: []store.ContentVariant{
		{Persona: "it-lead", Locale: "de", Email: email("it-lead/de")},
		{Persona: "ops-lead", Email: email("ops-lead")},
	}}}
	rep, err := Run(checklistOnly(t), nil, Options{Start: monday, Contacts: buyingGroup(t), Content: lib})
	require.NoError(t, err)
	require.Equal(t, []string{"checklist max it-lead/de", "checklist ann ops-lead"}, sendsOf(rep))
	require.Equal(t, "Europe/Berlin", rep.Start.Location().String(), "the first contact's zone when no timezone is given")
	require.Contains(t, rep.Text(), "automation-checklist to max (it-lead/de)")
	require.Contains(t, rep.Text(), "contact max (it-lead, de-DE, Europe/Berlin)")

	t.Run("without the content library every email is base", func(t *testing.T) {
		rep, err := Run(checklistOnly(t), nil, Options{Start: monday, Contacts: buyingGroup(t)})
		require.NoError(t, err)
		require.Equal(t, []string{"checklist max base", "checklist ann base"}, sendsOf(rep))
	})
	t.Run("one default contact when none are listed", func(t *testing.T) {
		rep, err := Run(checklistOnly(t), nil, Options{Start: monday})
		require.NoError(t, err)
		require.Equal(t, []string{"checklist c1 base"}, sendsOf(rep))
		require.Equal(t, []Contact{{ID: "c1"}}, rep.Contacts)
		require.Equal(t, "simulated-customer", rep.Customer)
	})
}

func TestAudienceChoosesWhoGetsTheSends(t *testing.T) {
	def := checklistOnly(t)
	def.Audience = &journey.Audience{Personas: []string{"ops-lead"}}
	rep, err := Run(def, nil, Options{Start: monday, Contacts: buyingGroup(t)})
	require.NoError(t, err)
	require.Equal(t, []string{"checklist ann base"}, sendsOf(rep))

	def.Audience = &journey.Audience{Personas: []string{"cfo"}}
	rep, err = Run(def, nil, Options{Start: monday, Contacts: buyingGroup(t)})
	require.NoError(t, err)
	require.Empty(t, rep.Sends, "nobody of the account is in the audience")
	require.Contains(t, rep.Text(), "nobody of the audience is left to mail")
}

func TestMinContactsQualifiesOnlyOnceTheSecondContactEngages(t *testing.T) {
	def := checklistOnly(t)
	def.MQN.MinContacts = 2
	evs, err := ParseEvents([]byte(`
- {at: 1d, type: download, topic: process-automation, contact: max}
- {at: 1d, type: download, topic: process-automation, contact: max}
- {at: 1d, type: download, topic: process-automation, contact: max}
- {at: 3d, type: visit, topic: process-automation, contact: ann}
`), def, buyingGroup(t))
	require.NoError(t, err)
	rep, err := Run(def, evs, Options{Start: monday, Contacts: buyingGroup(t)})
	require.NoError(t, err)
	require.True(t, rep.MQN)
	require.Len(t, rep.Handoffs, 1)
	require.InDelta(t, 3*day, rep.Handoffs[0].AtS, 1, "45 points by max alone do not qualify; ann's visit does")
	require.Empty(t, rep.Notes)

	t.Run("a lone contact never qualifies by score, and the report says so", func(t *testing.T) {
		evs, err := ParseEvents([]byte(`
- {at: 1d, type: download, topic: process-automation}
- {at: 1d, type: download, topic: process-automation}
- {at: 1d, type: download, topic: process-automation}
`), def, nil)
		require.NoError(t, err)
		rep, err := Run(def, evs, Options{Start: monday})
		require.NoError(t, err)
		require.False(t, rep.MQN)
		require.Len(t, rep.Notes, 1)
		require.Contains(t, rep.Notes[0], "mqn.min_contacts is 2 and the simulation has 1 contact(s)")
	})
}

func TestOneContactsUnsubscribeSuppressesThatContactAlone(t *testing.T) {
	def := exampleJourney(t)
	def.Steps = def.Steps[:3] // checklist, wait 4d, reminder
	evs, err := ParseEvents([]byte(`
- {at: 1d, type: unsubscribe, contact: max}
`), def, buyingGroup(t))
	require.NoError(t, err)
	rep, err := Run(def, evs, Options{Start: monday, Contacts: buyingGroup(t)})
	require.NoError(t, err)
	require.Equal(t, []string{"checklist max base", "checklist ann base", "reminder ann base"}, sendsOf(rep))
	require.NotEqual(t, "unsubscribed", rep.Outcome)

	t.Run("the run ends when the last contact unsubscribes", func(t *testing.T) {
		evs, err := ParseEvents([]byte(`
- {at: 1d, type: unsubscribe, contact: max}
- {at: 2d, type: unsubscribe, contact: ann}
`), def, buyingGroup(t))
		require.NoError(t, err)
		rep, err := Run(def, evs, Options{Start: monday, Contacts: buyingGroup(t)})
		require.NoError(t, err)
		require.Equal(t, []string{"checklist max base", "checklist ann base"}, sendsOf(rep))
		require.Equal(t, "unsubscribed", rep.Outcome)
	})
}

func TestEventsNameAContactOfTheSimulation(t *testing.T) {
	_, err := ParseEvents([]byte(`
- {at: 1d, type: click, step: checklist, contact: max}
- {at: 2d, type: click, step: checklist, contact: maxx}
- {at: 3d, type: sales-feedback, outcome: won, contact: ann}
`), exampleJourney(t), buyingGroup(t))
	var probs journey.Problems
	require.True(t, errors.As(err, &probs), "error is %T: %v", err, err)
	require.Equal(t, `events.yaml:3: events[1].contact: unknown contact "maxx": the simulation's contacts are max, ann; did you mean "max"?
events.yaml:4: events[2].contact: only open, click, visit, download, fast-lane, unsubscribe events name a contact (who of the account acted)`,
		strings.Join(probs.Lines("events.yaml"), "\n"))

	_, err = ParseEvents([]byte(`[{at: 1d, type: visit, topic: x, contact: max}]`), nil, nil)
	require.ErrorContains(t, err, `unknown contact "max": the simulation's contacts are c1`)

	_, err = Run(exampleJourney(t), []Event{{At: journey.Duration(time.Hour), Type: "visit", Topic: "x", Contact: "bob"}}, Options{Start: monday, Contacts: buyingGroup(t)})
	require.ErrorContains(t, err, "events[0].contact")
}

func TestContactsFileProblemsHaveLinesAndFields(t *testing.T) {
	_, err := ParseContacts([]byte(`
- {id: max, persona: it-lead, timezone: Local}
- {id: max, locale: "not a locale!"}
- {persona: cfo}
- {id: eva, timezone: Mars/Olympus}
`))
	var probs journey.Problems
	require.True(t, errors.As(err, &probs), "error is %T: %v", err, err)
	got := strings.Join(probs.Lines("contacts.yaml"), "\n")
	for _, want := range []string{
		`contacts.yaml:2: contacts[0].timezone: "Local" is this machine's time zone`,
		`contacts.yaml:3: contacts[1].id: contact "max" is listed twice`,
		`contacts.yaml:3: contacts[1].locale: "not a locale!" is not a locale`,
		`contacts.yaml:4: contacts[2].id: id is required`,
		`contacts.yaml:5: contacts[3].timezone: "Mars/Olympus" is not a time zone`,
	} {
		require.Contains(t, got, want)
	}
	_, err = Run(exampleJourney(t), nil, Options{Contacts: []Contact{{ID: ""}}})
	require.ErrorContains(t, err, "contacts[0].id: id is required")
}

func TestACustomerIsNamedInTheReport(t *testing.T) {
	rep, err := Run(checklistOnly(t), nil, Options{Start: monday, Customer: "acme"})
	require.NoError(t, err)
	require.Equal(t, "acme", rep.Customer)
	require.Contains(t, rep.Text(), "customer acme")
	require.Empty(t, rep.Notes, "a journey without experiments is the same for every customer")
	require.Equal(t, map[string]string{}, rep.Arms)
	require.False(t, rep.Holdout)
}
