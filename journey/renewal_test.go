package journey_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

// renewalDoc is minimal (a repeat offer of p) with a detector by renewal.
const renewalDoc = minimal + "detector: {renews_within: 90d}\n"

func TestARepeatOrUpsellJourneyMayEnrolOnRenewal(t *testing.T) {
	t.Run("a repeat offer watches the renewal of its product", func(t *testing.T) {
		d, err := journey.Parse([]byte(renewalDoc))
		require.NoError(t, err)
		require.True(t, d.Detector.OnRenewal())
		assert.Equal(t, 90*24*time.Hour, d.Detector.RenewsWithin.Std())
		assert.Equal(t, []string{"p"}, journey.RenewalProducts(d.Offer))
	})
	t.Run("an upsell watches the renewal of what it requires", func(t *testing.T) {
		doc := strings.Replace(renewalDoc, "{kind: repeat, product: p}", "{kind: upsell, product: p, requires: [base]}", 1)
		d, err := journey.Parse([]byte(doc))
		require.NoError(t, err)
		assert.Equal(t, []string{"base"}, journey.RenewalProducts(d.Offer))
	})
	t.Run("its JSON holds renews_within alone, and the schema takes it", func(t *testing.T) {
		d, err := journey.Parse([]byte(renewalDoc))
		require.NoError(t, err)
		data, err := json.Marshal(d.Detector)
		require.NoError(t, err)
		assert.JSONEq(t, `{"renews_within": "90d"}`, string(data))
		assert.NoError(t, validateAgainstSchema(t, compileSchema(t), renewalDoc))
	})
	t.Run("an engagement detector's JSON is as before", func(t *testing.T) {
		d, err := journey.Parse([]byte(minimal + "detector: {topics: [t], min_events: 2, within: 14d}\n"))
		require.NoError(t, err)
		require.False(t, d.Detector.OnRenewal())
		data, err := json.Marshal(d.Detector)
		require.NoError(t, err)
		assert.JSONEq(t, `{"topics": ["t"], "min_events": 2, "within": "14d"}`, string(data))
	})
}

func TestARenewalDetectorIsRefusedAtItsLine(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		wants []want
	}{
		{"a zero span", minimal + "detector: {renews_within: 0d}\n",
			[]want{{8, "detector.renews_within", "longer than 0"}}},
		{"with topics", minimal + "detector: {renews_within: 90d, topics: [t]}\n",
			[]want{{8, "detector.topics", "not both"}}},
		{"with a window and events", minimal + "detector:\n  renews_within: 90d\n  min_events: 2\n  within: 3d\n",
			[]want{{10, "detector.min_events", "not both"}, {11, "detector.within", "not both"}}},
		{"on a cross-sell", strings.Replace(renewalDoc, "kind: repeat", "kind: cross-sell", 1),
			[]want{{8, "detector.renews_within", "only repeat and upsell offers"}}},
		{"on an upsell that requires nothing", strings.Replace(renewalDoc, "kind: repeat", "kind: upsell", 1),
			[]want{{8, "detector.renews_within", "set offer.requires"}}},
	}
	s := compileSchema(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProblems(t, parseProblems(t, tt.doc), tt.wants...)
			if tt.name == "with topics" || tt.name == "with a window and events" || tt.name == "a zero span" {
				assert.Error(t, validateAgainstSchema(t, s, tt.doc), "schema")
			}
		})
	}
}
