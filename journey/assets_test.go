package journey_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

// withAssets is minimal with mqn.assets for both asset offers.
var withAssets = strings.Replace(minimal, "mqn: {threshold: 10}",
	"mqn: {threshold: 10, assets: {checklist: automation-checklist, implementation-note: impl-note}}", 1)

func TestAssetsParse(t *testing.T) {
	d, err := journey.Parse([]byte(withAssets))
	require.NoError(t, err)
	assert.Equal(t, "automation-checklist", d.Asset("checklist"))
	assert.Equal(t, "impl-note", d.Asset("implementation-note"))
	assert.Equal(t, "", d.Asset("demo"), "an offer without an asset has none")
}

func TestAssetMistakesAreNamed(t *testing.T) {
	tests := []struct {
		name, from, to string
		field, message string
	}{
		{"an asset is for an asset offer", "checklist: automation-checklist", "demo: automation-checklist", "mqn.assets.demo", `unknown asset offer "demo"`},
		{"an asset names content", "checklist: automation-checklist", "checklist: ''", "mqn.assets.checklist", "content ID of the checklist is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(withAssets, tt.from, tt.to, 1)
			require.NotEqual(t, withAssets, doc)
			probs := parseProblems(t, doc)
			require.Len(t, probs, 1, "%v", probs)
			assert.Equal(t, tt.field, probs[0].Field)
			assert.Contains(t, probs[0].Message, tt.message)
		})
	}
}

func TestAssetContentIsCheckedLikeSend(t *testing.T) {
	known := map[string]bool{"c": true, "automation-checklist": true}
	_, err := journey.ParseWith([]byte(withAssets), journey.ValidateOptions{Content: func(id string) bool { return known[id] }})
	var probs journey.Problems
	require.ErrorAs(t, err, &probs)
	require.Len(t, probs, 1, "%v", probs)
	assert.Equal(t, "mqn.assets.implementation-note", probs[0].Field)
	assert.Contains(t, probs[0].Message, `unknown content "impl-note"`)
}
