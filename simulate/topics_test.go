package simulate

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The simulator knows no content: a journey without scoring.topics scores
// every topic here, and the report says so.
func TestJourneyWithoutScoringTopicsScoresEveryTopicAndSaysSo(t *testing.T) {
	def := exampleJourney(t)
	def.Steps = def.Steps[:2] // the checklist, then wait 4d
	evs, err := ParseEvents([]byte(`
- {at: 1d, type: visit, topic: financial-reporting}
`), def, nil)
	require.NoError(t, err)
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	rep, err := Run(def, evs, Options{Start: start})
	require.NoError(t, err)
	require.Positive(t, rep.Score, "a topic the journey never names scores")
	require.Len(t, rep.Notes, 1)
	require.Contains(t, rep.Notes[0], "every topic scores here")
	require.Contains(t, rep.Text(), "note: scoring.topics is not set")

	def.Scoring.Topics = []string{"process-automation"}
	rep, err = Run(def, evs, Options{Start: start})
	require.NoError(t, err)
	require.Equal(t, 0.0, rep.Score, "with scoring.topics the simulation scores as a published run")
	require.Empty(t, rep.Notes)
	require.False(t, strings.Contains(rep.Text(), "note:"))
}
