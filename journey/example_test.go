package journey_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

// readExample returns the journey from DESIGN.md, copied verbatim.
func readExample(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/example.yaml")
	require.NoError(t, err)
	return data
}

func TestDesignExampleParsesWithTheExpectedValues(t *testing.T) {
	d, err := journey.Parse(readExample(t))
	require.NoError(t, err)

	assert.Equal(t, "erp-automation-crosssell", d.ID)
	assert.Equal(t, "Automation add-on for ERP customers", d.Name)
	assert.Equal(t, journey.Offer{Kind: journey.OfferCrossSell, Product: "automation-suite"}, d.Offer)
	assert.Equal(t, "ops-lead", d.Persona)
	require.NotNil(t, d.Detector)
	assert.Equal(t, journey.Detector{Topics: []string{"process-automation"}, MinEvents: 2, Within: span(t, "14d")}, *d.Detector)
	assert.Equal(t, map[string]float64{"open": 1, "click": 10, "visit": 5, "download": 15}, d.Scoring.Points)
	assert.Equal(t, 30*24*time.Hour, d.Scoring.HalfLife.Std())
	assert.Equal(t, 40.0, d.MQN.Threshold)
	assert.Equal(t, []string{"consultation", "demo", "price-indication"}, d.MQN.FastLane)
	assert.Equal(t, journey.Handoff{SLA: span(t, "2d"), RecycleAfter: span(t, "60d"), MaxRecycles: 2}, d.Handoff)
	require.NotNil(t, d.SendWindow)
	assert.Equal(t, journey.SendWindow{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00"}, *d.SendWindow)

	assert.Equal(t, []journey.Step{
		{ID: "checklist", Send: "automation-checklist"},
		{ID: "wait-1", Wait: span(t, "4d"), Until: journey.Kinds{"click"}},
		{ID: "reminder", If: "!clicked('checklist')", Send: "automation-checklist-reminder"},
		{ID: "case-study", Send: "erp-automation-case-study"},
		{ID: "wait-2", Wait: span(t, "14d"), Until: journey.Kinds{"fast_lane"}},
		{ID: "nudge", If: "score < 20 && days_in_journey < 90", Goto: "case-study"},
	}, d.Steps)
	kinds := make([]string, len(d.Steps))
	for i, s := range d.Steps {
		kinds[i] = s.Kind()
	}
	assert.Equal(t, []string{"send", "wait", "send", "send", "wait", "goto"}, kinds)

	assert.Empty(t, journey.Validate(d, journey.ValidateOptions{}))
}

func TestDesignExampleValidatesWithKnownContent(t *testing.T) {
	known := map[string]bool{"automation-checklist": true, "automation-checklist-reminder": true, "erp-automation-case-study": true}
	d, err := journey.ParseWith(readExample(t), journey.ValidateOptions{Content: func(id string) bool { return known[id] }})
	require.NoError(t, err)
	assert.Len(t, d.Steps, 6)
}

func TestJSONFromTheAPIParsesToTheSameDefinition(t *testing.T) {
	d, err := journey.Parse(readExample(t))
	require.NoError(t, err)
	for name, marshal := range map[string]func(any) ([]byte, error){
		"compact":        json.Marshal,
		"indented":       func(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") },
		"indented, tabs": func(v any) ([]byte, error) { return json.MarshalIndent(v, "", "\t") },
	} {
		t.Run(name, func(t *testing.T) {
			data, err := marshal(d)
			require.NoError(t, err)
			back, err := journey.Parse(data)
			require.NoError(t, err, string(data))
			assert.Equal(t, d, back)

			var viaJSON journey.Definition
			require.NoError(t, json.Unmarshal(data, &viaJSON))
			assert.Equal(t, d, &viaJSON)
			assert.Empty(t, journey.Validate(&viaJSON, journey.ValidateOptions{}))
		})
	}
}
