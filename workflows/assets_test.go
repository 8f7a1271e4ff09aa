package workflows

import (
	"time"

	"github.com/ripen/ripen/journey"
)

// assetsJourneyYAML lists a checklist asset and hands off on a demo only.
const assetsJourneyYAML = `
id: erp-automation-crosssell
version: 4
name: Automation add-on
offer: {kind: cross-sell, product: automation-suite}
scoring: {points: {click: 10}, topics: [process-automation]}
mqn: {threshold: 40, fast_lane: [demo], assets: {checklist: automation-checklist-pdf}}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 30d}
`

func assetsJourney() journey.Definition {
	def, err := journey.Parse([]byte(assetsJourneyYAML))
	if err != nil {
		panic(err)
	}
	return *def
}

func (s *journeySuite) TestAssetRequestedInARunIsSentOncePerRequest() {
	s.signal(time.Hour, SignalFastLane, FastLane{EventID: "fl-1", Offer: "checklist", ContactID: "acme-ina"})
	s.signal(2*time.Hour, SignalFastLane, FastLane{EventID: "fl-1", Offer: "checklist", ContactID: "acme-ina"})
	s.signal(3*day, SignalFastLane, FastLane{EventID: "fl-2", Offer: "checklist", ContactID: "acme-max"})
	res := s.run(assetsJourney())
	s.Equal(OutcomeNotQualified, res.Outcome, "an asset request is no hand-off")
	s.Equal([]FastLaneAssetRequest{
		{EventID: "fl-1", JourneyID: "erp-automation-crosssell", Version: 4},
		{EventID: "fl-2", JourneyID: "erp-automation-crosssell", Version: 4},
	}, s.acts.assets, "once per request, with the run's journey and version")
	s.Empty(s.state().PendingAssets)
}

func (s *journeySuite) TestNoAssetForOtherOffersOrWithoutOne() {
	s.acceptHandoffs()
	s.signal(time.Hour, SignalFastLane, FastLane{EventID: "fl-1", Offer: "implementation-note", ContactID: "acme-ina"})
	s.signal(2*time.Hour, SignalFastLane, FastLane{EventID: "fl-2", Offer: "demo", ContactID: "acme-ina"})
	res := s.run(assetsJourney())
	s.Equal(OutcomeAccepted, res.Outcome)
	s.Empty(s.acts.assets, "no asset listed for the note, and a demo is no asset")
}

func (s *journeySuite) TestNoAssetWithoutAccountRules() {
	s.withoutAccountRules()
	s.signal(time.Hour, SignalFastLane, FastLane{EventID: "fl-1", Offer: "checklist", ContactID: "acme-ina"})
	res := s.run(assetsJourney())
	s.Equal(OutcomeNotQualified, res.Outcome)
	s.Empty(s.acts.assets)
}
