package metrics

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func TestJourneyCountersKeepTheirLabelsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	j := NewJourneys(reg)
	j.Enrolled("crosssell")
	j.Enrolled("crosssell")
	j.Sent("crosssell")
	j.MQN("crosssell")
	j.Answered("crosssell", "not-ready")
	j.Converted("crosssell")
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP ripen_journey_enrolled_total Runs started, per journey.
# TYPE ripen_journey_enrolled_total counter
ripen_journey_enrolled_total{journey="crosssell"} 2
# HELP ripen_journey_handoffs_answered_total Hand-offs closed, per journey and outcome (accepted, won, lost, rejected, not-ready).
# TYPE ripen_journey_handoffs_answered_total counter
ripen_journey_handoffs_answered_total{journey="crosssell",outcome="not-ready"} 1
`), "ripen_journey_enrolled_total", "ripen_journey_handoffs_answered_total"))

	for i := range MaxJourneyLabels + 50 {
		j.Enrolled(fmt.Sprintf("journey-%d", i))
	}
	series := testutil.CollectAndCount(reg, "ripen_journey_enrolled_total")
	require.Equal(t, MaxJourneyLabels+1, series, "the first journeys by name, the rest as other")
	require.Equal(t, 51.0, testutil.ToFloat64(j.enrolled.WithLabelValues(OtherJourney)),
		"crosssell and 199 more keep their names; 51 count as other")

	var none *Journeys
	none.Enrolled("crosssell") // a nil Journeys counts nothing, and does not panic
}
