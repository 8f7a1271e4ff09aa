package journey_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

// withProducts is minimal with an upsell that requires two products and a
// goal, so that each product field has a line of its own.
func withProducts(offered, required, goal string) string {
	doc := strings.Replace(minimal, "offer: {kind: repeat, product: p}",
		"offer:\n  kind: upsell\n  product: "+offered+"\n  requires:\n    - erp-core\n    - "+required, 1)
	return doc + "goal: {event: order, product: " + goal + ", within: 180d}\n"
}

func TestParseWithProductsNamesEachUncataloguedProductAtItsLine(t *testing.T) {
	catalogue := journey.ValidateOptions{Product: func(id string) bool {
		return id == "erp-core" || id == "crm" || id == "reporting-edition"
	}}
	_, err := journey.ParseWith([]byte(withProducts("reporting-editon", "crn", "reporting-edtion")), catalogue)
	probs, ok := err.(journey.Problems)
	require.True(t, ok, "%v", err)
	assertProblems(t, probs,
		want{5, "offer.product", `unknown product "reporting-editon": add it to the catalogue first (PUT /v1/products/reporting-editon)`},
		want{8, "offer.requires[1]", `unknown product "crn"`},
		want{13, "goal.product", `unknown product "reporting-edtion"`},
	)

	_, err = journey.ParseWith([]byte(withProducts("reporting-edition", "crm", "reporting-edition")), catalogue)
	require.NoError(t, err, "products of the catalogue pass")
	_, err = journey.Parse([]byte(withProducts("anything", "else", "at-all")))
	require.NoError(t, err, "without a catalogue (offline validate) any product ID passes")
}

func TestNamedProductsReadsLooselyForALookUp(t *testing.T) {
	assert.Equal(t, []string{"reporting-edition", "erp-core", "crm", "reporting-edition"},
		journey.NamedProducts([]byte(withProducts("reporting-edition", "crm", "reporting-edition"))))
	assert.Equal(t, []string{"p", "erp-core"},
		journey.NamedProducts([]byte(`{"id": "j", "offer": {"kind": "upsell", "product": "p", "requires": ["erp-core"]}, "steps": 3}`)),
		"JSON too, and a definition with other problems")
	assert.Empty(t, journey.NamedProducts([]byte("not: [yaml")))
}
