package journey_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

func TestParseDuration(t *testing.T) {
	const d = 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"0d", 0},
		{"90m", 90 * time.Minute},
		{"36h", 36 * time.Hour},
		{"4d", 4 * d},
		{"2w", 14 * d},
		{"1d12h", 36 * time.Hour},
		{"2000000s", 2000000 * time.Second}, // 23 days written in seconds
		{"36500d", journey.MaxDuration},
		{"5214w2d", journey.MaxDuration},
		{"36499d24h", journey.MaxDuration},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := journey.ParseDuration(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Std())
		})
	}
}

func TestParseDurationRefusesWhatWouldWrapOrIsTooLong(t *testing.T) {
	for _, in := range []string{
		"36501d",
		"36500d1s",
		"300000d",  // wrapped to a wrong positive value
		"106752d",  // wrapped to a negative value
		"1048576w", // wrapped
		"9999999d",
		"99999999999999999999s", // not even an int64
		"36500d36500d",          // each term fine, the sum is not
	} {
		t.Run(in, func(t *testing.T) {
			_, err := journey.ParseDuration(in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "longer than 100 years")
		})
	}
}

func TestDurationTooLongIsReportedOnItsField(t *testing.T) {
	for _, wait := range []string{"106752d", "300000d", "1048576w"} {
		t.Run(wait, func(t *testing.T) {
			probs := parseProblems(t, minimal+"  - {id: w, wait: "+wait+"}\n")
			assertProblems(t, probs, want{8, "steps[1].wait", `bad duration "` + wait + `": longer than 100 years`})
			assert.NotContains(t, probs.Error(), "negative")
		})
	}
	probs := parseProblems(t, strings.Replace(minimal, "{click: 10}}", "{click: 10}, half_life: 999999w}", 1))
	assertProblems(t, probs, want{4, "scoring.half_life", "longer than 100 years"})
}
