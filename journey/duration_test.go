package journey_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

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

// span parses text as a journey duration, failing the test if it is bad.
func span(t testing.TB, text string) journey.Span {
	t.Helper()
	s, err := journey.ParseSpan(text)
	require.NoError(t, err)
	return s
}

// writtenDurations has every duration field of a journey, each written in
// units that Duration.String would rewrite ("30d" is "4w2d" to it).
const writtenDurations = `id: j
name: J
offer: {kind: cross-sell, product: p}
detector: {topics: [t], min_events: 2, within: 14d}
scoring: {points: {click: 10}, half_life: 30d}
mqn: {threshold: 10}
handoff: {sla: 48h, recycle_after: 60d, max_recycles: 2}
send_window: {days: [mon, fri], from: "08:00", to: "18:00"}
steps:
  - {id: s, send: c}
  - {id: a, wait: 1d12h}
  - {id: b, wait: 36h, until: click}
  - {id: c, wait: 2000000s}
  - {id: d, wait: 1w}
  - {id: e, wait: 90m}
`

// durationFields are the duration texts writtenDurations gives, by path.
var durationFields = map[string]string{
	"detector.within": "14d", "scoring.half_life": "30d", "handoff.sla": "48h", "handoff.recycle_after": "60d",
	"send_window.from": "08:00", "send_window.to": "18:00",
	"steps.1.wait": "1d12h", "steps.2.wait": "36h", "steps.3.wait": "2000000s", "steps.4.wait": "1w", "steps.5.wait": "90m",
}

func TestDurationsReadBackAsWritten(t *testing.T) {
	d, err := journey.Parse([]byte(writtenDurations))
	require.NoError(t, err)
	assert.Equal(t, 30*24*time.Hour, d.Scoring.HalfLife.Std(), "the text is kept, the length is still what it says")
	assert.Equal(t, "30d", d.Scoring.HalfLife.String())

	for name, codec := range map[string]struct {
		marshal   func(any) ([]byte, error)
		unmarshal func([]byte, any) error
	}{
		"JSON": {json.Marshal, json.Unmarshal},
		"YAML": {yaml.Marshal, yaml.Unmarshal},
	} {
		t.Run(name, func(t *testing.T) {
			data, err := codec.marshal(d)
			require.NoError(t, err)
			var doc map[string]any
			require.NoError(t, yaml.Unmarshal(data, &doc), "%s", data)
			for path, text := range durationFields {
				assert.Equal(t, text, lookup(doc, path), "%s in\n%s", path, data)
			}

			back, err := journey.Parse(data)
			require.NoError(t, err, "%s", data)
			assert.Equal(t, d, back, "parse(marshal(def)) is def")

			var decoded journey.Definition
			require.NoError(t, codec.unmarshal(data, &decoded))
			assert.Equal(t, d, &decoded, "plain %s decoding keeps the texts too", name)
		})
	}
}

// lookup follows a dotted path ("steps.1.wait") through decoded YAML.
func lookup(doc any, path string) any {
	for _, key := range strings.Split(path, ".") {
		switch v := doc.(type) {
		case map[string]any:
			doc = v[key]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i >= len(v) {
				return nil
			}
			doc = v[i]
		default:
			return nil
		}
	}
	return doc
}

func TestDurationsWrittenAsZeroReadBackAsWritten(t *testing.T) {
	d, err := journey.Parse([]byte(strings.Replace(minimal, "{click: 10}}", "{click: 10}, half_life: 0d}\nhandoff: {sla: \"0\"}", 1)))
	require.NoError(t, err)
	for _, marshal := range []func(any) ([]byte, error){json.Marshal, yaml.Marshal} {
		data, err := marshal(d)
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, yaml.Unmarshal(data, &doc))
		assert.Equal(t, "0d", lookup(doc, "scoring.half_life"), "%s", data)
		assert.Equal(t, "0", lookup(doc, "handoff.sla"), "%s", data)
		assert.Nil(t, lookup(doc, "handoff.recycle_after"), "a duration not given stays out: %s", data)
		back, err := journey.Parse(data)
		require.NoError(t, err, "%s", data)
		assert.Equal(t, d, back)
	}
}

func TestSpanOfWritesTheLargestExactUnits(t *testing.T) {
	assert.Equal(t, "1d12h", journey.SpanOf(36*time.Hour).String())
	assert.Equal(t, "4w2d", journey.SpanOf(30*24*time.Hour).String())
	assert.Equal(t, "0s", journey.Span{}.String())
	assert.Equal(t, journey.SpanOf(36*time.Hour), span(t, "1d12h"), "SpanOf reads back unchanged")
	assert.NotEqual(t, span(t, "36h"), span(t, "1d12h"), "spans written differently differ")
	assert.Equal(t, span(t, "36h").Std(), span(t, "1d12h").Std())
}
