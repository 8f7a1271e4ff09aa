package journey_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

func TestOfferRequiresIsParsedWithTheOffer(t *testing.T) {
	doc := strings.Replace(minimal, "offer: {kind: repeat, product: p}",
		"offer:\n  kind: upsell\n  product: automation-suite-pro\n  requires: [erp-core, automation-suite]", 1)
	d, err := journey.Parse([]byte(doc))
	require.NoError(t, err)
	assert.Equal(t, journey.Offer{Kind: journey.OfferUpsell, Product: "automation-suite-pro",
		Requires: []string{"erp-core", "automation-suite"}}, d.Offer)
}

func TestOfferRequiresProblemsNameTheirLine(t *testing.T) {
	tests := []struct {
		name, offer string
		want        []want
	}{
		{"a product ID holds no whitespace", "offer:\n  kind: upsell\n  product: p\n  requires:\n    - erp-core\n    - erp core",
			[]want{{8, "offer.requires[1]", `"erp core" is not a product ID`}}},
		{"a product ID holds no slash", "offer:\n  kind: repeat\n  product: p\n  requires:\n    - erp/core",
			[]want{{7, "offer.requires[0]", "without '/' or whitespace"}}},
		{"an empty product ID", "offer:\n  kind: repeat\n  product: p\n  requires: ['']",
			[]want{{6, "offer.requires[0]", `"" is not a product ID`}}},
		{"a product is required once", "offer:\n  kind: upsell\n  product: p\n  requires:\n    - erp-core\n    - erp-core",
			[]want{{8, "offer.requires[1]", `"erp-core" is listed twice`}}},
		{"a cross-sell cannot require what it offers", "offer:\n  kind: cross-sell\n  product: automation-suite\n  requires:\n    - erp-core\n    - automation-suite",
			[]want{{8, "offer.requires[1]", "a cross-sell of automation-suite cannot require it"}}},
		{"requires is a list", "offer:\n  kind: upsell\n  product: p\n  requires: erp-core",
			[]want{{6, "offer.requires", "must be a list"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(minimal, "offer: {kind: repeat, product: p}", tt.offer, 1)
			assertProblems(t, parseProblems(t, doc), tt.want...)
		})
	}
}

func TestOfferRequiresIsMeaningfulForEveryKind(t *testing.T) {
	for _, kind := range journey.OfferKinds {
		d := valid()
		d.Offer = journey.Offer{Kind: kind, Product: "automation-suite", Requires: []string{"erp-core"}}
		assert.Empty(t, journey.Validate(d, journey.ValidateOptions{}), kind)
	}
}

func TestEligibilityByOfferKind(t *testing.T) {
	crossSell := journey.Offer{Kind: journey.OfferCrossSell, Product: "automation-suite"}
	crossSellOnErp := journey.Offer{Kind: journey.OfferCrossSell, Product: "automation-suite", Requires: []string{"erp-core"}}
	upsell := journey.Offer{Kind: journey.OfferUpsell, Product: "automation-suite-pro", Requires: []string{"erp-core", "automation-suite"}}
	openUpsell := journey.Offer{Kind: journey.OfferUpsell, Product: "reporting-edition"}
	repeat := journey.Offer{Kind: journey.OfferRepeat, Product: "erp-core"}
	repeatWithAddOn := journey.Offer{Kind: journey.OfferRepeat, Product: "erp-core", Requires: []string{"support-plus"}}
	tests := []struct {
		name   string
		offer  journey.Offer
		owned  []string
		ok     bool
		reason string
	}{
		{"a cross-sell fits an account without the product", crossSell, []string{"erp-core"}, true, ""},
		{"a cross-sell fits an account that owns nothing", crossSell, nil, true, ""},
		{"a cross-sell is not for an account that owns the product", crossSell, []string{"erp-core", "automation-suite"}, false, "owns automation-suite already"},
		{"a cross-sell with requires needs them", crossSellOnErp, []string{"reporting-edition"}, false, "does not own erp-core"},
		{"a cross-sell with requires fits an account that owns them", crossSellOnErp, []string{"erp-core"}, true, ""},
		{"an account owning the product is told so before a missing requirement", crossSellOnErp, []string{"automation-suite"}, false, "owns automation-suite already"},
		{"an upsell fits an account that owns every required product", upsell, []string{"automation-suite", "erp-core"}, true, ""},
		{"an upsell is not for an account lacking one required product", upsell, []string{"erp-core"}, false, "does not own automation-suite"},
		{"an upsell names the first required product lacking", upsell, nil, false, "does not own erp-core"},
		{"an upsell without requires is open to every account", openUpsell, nil, true, ""},
		{"a repeat fits an account that owns the product", repeat, []string{"erp-core"}, true, ""},
		{"a repeat is not for an account without the product", repeat, []string{"automation-suite"}, false, "does not own erp-core"},
		{"a repeat with requires needs them too", repeatWithAddOn, []string{"erp-core"}, false, "does not own support-plus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := journey.Eligible(tt.offer, tt.owned)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.reason, reason)
		})
	}
}
