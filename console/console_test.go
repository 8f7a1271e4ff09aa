package console

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/store"
)

func TestConsoleRoleDecidesWhatASessionSees(t *testing.T) {
	for _, c := range []struct {
		role string
		sees []string
	}{
		{store.RoleMarketing, []string{AreaJourneys, AreaContent, AreaRuns}},
		{store.RoleSales, []string{AreaHandoffs, AreaRuns}},
		{store.RoleAdmin, []string{AreaJourneys, AreaContent, AreaRuns, AreaHandoffs}},
		{"someone", nil},
	} {
		sess := Session{store.ConsoleSession{Role: c.role}}
		for _, area := range []string{AreaJourneys, AreaContent, AreaRuns, AreaHandoffs} {
			want := false
			for _, a := range c.sees {
				want = want || a == area
			}
			require.Equal(t, want, sess.May(area), "%s sees %s", c.role, area)
			if !want {
				require.True(t, fault.Is(sess.need(area), fault.Forbidden))
			}
		}
	}
	bound := Session{store.ConsoleSession{Role: store.RoleSales, OwnerID: "rep-eva"}}
	require.Equal(t, "rep-eva", bound.Caller().OwnerID, "an owner's session keeps to their book")
}

func TestConsoleHandoffSLAStateFollowsItsDueTimeUntilItIsAnswered(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		h    store.Handoff
		want string
	}{
		{"two days left", store.Handoff{Status: store.HandoffOpen, SLADueAt: now.Add(48 * time.Hour)}, SLAOnTime},
		{"due tonight", store.Handoff{Status: store.HandoffOpen, SLADueAt: now.Add(6 * time.Hour)}, SLADueSoon},
		{"past due", store.Handoff{Status: store.HandoffOpen, SLADueAt: now.Add(-time.Minute)}, SLAOverdue},
		{"answered, not yet applied", store.Handoff{Status: store.HandoffOpen, Answer: store.HandoffAccepted, SLADueAt: now.Add(-time.Hour)}, SLAAnswered},
		{"closed", store.Handoff{Status: store.HandoffWon, SLADueAt: now.Add(-time.Hour)}, SLAAnswered},
	} {
		require.Equal(t, c.want, slaOf(c.h, now), c.name)
	}
}

func TestConsoleDiffNamesEveryChangedLineInOrder(t *testing.T) {
	a := lines("id: j\nname: One\nsteps:\n  - {id: a, send: x}\n")
	b := lines("id: j\nname: Two\nsteps:\n  - {id: a, send: x}\n  - {id: b, wait: 1d}\n")
	var got []string
	for _, l := range diffLines(a, b) {
		got = append(got, string(l.Op)+l.Text)
	}
	require.Equal(t, []string{" id: j", "-name: One", "+name: Two", " steps:", "   - {id: a, send: x}", "+  - {id: b, wait: 1d}"}, got)
	require.Empty(t, diffLines(nil, nil))
	for _, l := range diffLines(a, a) {
		require.Equal(t, byte(' '), l.Op)
	}
}

func TestConsoleTestEmailsGoOncePerMinutePerPersonAndContent(t *testing.T) {
	var l testLimiter
	t0 := time.Date(2026, 12, 7, 21, 59, 59, 0, time.UTC)
	require.True(t, l.take("user:ina checklist", t0))
	require.False(t, l.take("user:ina checklist", t0.Add(30*time.Second)), "within the minute, even in the next clock minute")
	require.True(t, l.take("user:ina case-study", t0), "another content")
	require.True(t, l.take("user:tom checklist", t0), "another person")
	require.True(t, l.take("user:ina checklist", t0.Add(time.Minute)))
	l.give("user:ina checklist", t0.Add(time.Minute))
	require.True(t, l.take("user:ina checklist", t0.Add(time.Minute+time.Second)), "a test that did not go does not count")
}

func TestConsolePreviewSampleSpeaksTheLocalesLanguage(t *testing.T) {
	de := sampleData("de-AT", "https://ripen.example/u")
	require.Equal(t, "Anna", de.Contact.FirstName)
	require.Equal(t, "de-AT", de.Contact.Locale)
	require.Equal(t, "Beispiel GmbH", de.Customer.Name)
	require.Equal(t, "https://ripen.example/u", de.Links.Unsubscribe)
	en := sampleData("en-GB", "")
	require.Equal(t, "Jane", en.Contact.FirstName)
	require.Equal(t, "Sam Taylor", en.Owner.Name)
}
