package workflows

import (
	"time"

	"github.com/ripen/ripen/journey"
)

// zonesJourneyYAML sends once inside 08:00-18:00 on weekdays, then waits.
const zonesJourneyYAML = `
id: erp-automation-crosssell
version: 5
name: Automation add-on
offer: {kind: cross-sell, product: automation-suite}
scoring: {points: {click: 10}}
mqn: {threshold: 40, fast_lane: [demo]}
send_window: {days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00"}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 5d}
`

func zonesJourney() journey.Definition {
	def, err := journey.Parse([]byte(zonesJourneyYAML))
	if err != nil {
		panic(err)
	}
	return *def
}

// zonesStart is a Monday 03:00 UTC: 04:00 in Berlin (opens 07:00 UTC),
// Sunday 22:00 in New York (opens 13:00 UTC).
var zonesStart = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)

var (
	berlin8  = time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	newYork8 = time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
)

func (s *journeySuite) zonesSetup() {
	s.env.SetStartTime(zonesStart)
	s.acts.timezone = "Europe/Berlin"
	s.acts.timezones = []string{"America/New_York", "Europe/Berlin"}
}

func (s *journeySuite) TestEachContactGetsTheStepInItsOwnWindow() {
	s.zonesSetup()
	res := s.run(zonesJourney())
	s.Equal(OutcomeNotQualified, res.Outcome)
	s.Equal([]sentAt{
		{Step: "checklist", Cycle: 1, At: berlin8, Zone: "Europe/Berlin"},
		{Step: "checklist", Cycle: 1, At: newYork8, Zone: "America/New_York"},
	}, s.acts.sends, "Berlin at its 08:00, New York at its own")
	s.Equal([]int{1, 1}, s.acts.visits, "one visit of the step")
	s.Equal(1, res.Touches)
	st := s.state()
	s.Require().Len(st.Sent, 1)
	s.Equal(berlin8, st.Sent[0].At)
	s.Nil(st.ZoneSend)
	s.Equal([]string{"America/New_York", "Europe/Berlin"}, st.Timezones)
}

func (s *journeySuite) TestWithoutAccountRulesOneSendAtTheRunsWindow() {
	s.withoutAccountRules()
	s.zonesSetup()
	s.run(zonesJourney())
	s.Equal([]sentAt{{Step: "checklist", Cycle: 1, At: berlin8}}, s.acts.sends)
	s.Empty(s.state().Timezones)
}

func (s *journeySuite) TestAPauseBetweenZonesSendsNoZoneTwice() {
	s.zonesSetup()
	s.signal(8*time.Hour, SignalPause, Control{}) // 11:00 UTC: Berlin sent
	s.signal(3*day, SignalResume, Control{})      // Thursday 03:00 UTC
	s.run(zonesJourney())
	s.Equal([]sentAt{
		{Step: "checklist", Cycle: 1, At: berlin8, Zone: "Europe/Berlin"},
		{Step: "checklist", Cycle: 1, At: newYork8.Add(3 * day), Zone: "America/New_York"},
	}, s.acts.sends)
	s.Equal(1, s.state().Touches)
}

func (s *journeySuite) TestTheFrequencyCapDefersOneZoneAlone() {
	s.zonesSetup()
	// The cap defers Berlin's send (07:00 UTC) and New York's (13:00 UTC)
	// to 14:00 UTC: each zone waits out its own deferral, then both go, in
	// the zones' order, each once.
	s.acts.capUntil = time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	s.run(zonesJourney())
	s.Equal([]sentAt{
		{Step: "checklist", Cycle: 1, At: s.acts.capUntil, Zone: "America/New_York"},
		{Step: "checklist", Cycle: 1, At: s.acts.capUntil, Zone: "Europe/Berlin"},
	}, s.acts.sends)
}
