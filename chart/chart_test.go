package chart_test

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/chart"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// elements parses the SVG (it must be well-formed XML) and counts its
// elements by name, keeping their attributes.
func elements(t *testing.T, svg string) map[string][]map[string]string {
	t.Helper()
	out := map[string][]map[string]string{}
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err, "well-formed: %s", svg)
		if se, ok := tok.(xml.StartElement); ok {
			attrs := map[string]string{}
			for _, a := range se.Attr {
				attrs[a.Name.Local] = a.Value
			}
			out[se.Name.Local] = append(out[se.Name.Local], attrs)
		}
	}
}

func TestAScoreTrailIsALineThroughEveryPointWithTheThreshold(t *testing.T) {
	svg := string(chart.Line{
		Points:    []chart.Point{{At: t0.Add(48 * time.Hour), Value: 42}, {At: t0, Value: 10}, {At: t0.Add(24 * time.Hour), Value: 25}},
		Threshold: 40, ThresholdLabel: "MQN 40", Title: "Score over time",
	}.SVG())
	els := elements(t, svg)
	require.Len(t, els["svg"], 1)
	require.Equal(t, "Score over time", els["svg"][0]["aria-label"])
	require.Len(t, els["path"], 1)
	d := els["path"][0]["d"]
	require.Equal(t, 3, strings.Count(d, "L")+strings.Count(d, "M"), d)
	require.True(t, strings.HasPrefix(d, "M44 "), "the earliest point starts the line at the left: %s", d)
	require.Len(t, els["circle"], 3)
	var threshold bool
	for _, l := range els["line"] {
		threshold = threshold || l["class"] == "threshold"
	}
	require.True(t, threshold, "the threshold is drawn")
	require.Contains(t, svg, "MQN 40")
	require.Contains(t, svg, ">50<", "the scale rounds up to 50")
}

func TestAnEmptyChartKeepsItsAxesAndThreshold(t *testing.T) {
	els := elements(t, string(chart.Line{Threshold: 40}.SVG()))
	require.Empty(t, els["path"])
	require.NotEmpty(t, els["line"])
}

func TestOnePointSitsInTheMiddle(t *testing.T) {
	els := elements(t, string(chart.Line{Points: []chart.Point{{At: t0, Value: 5}}, Width: 200}.SVG()))
	require.Len(t, els["circle"], 1)
	require.Equal(t, "116", els["circle"][0]["cx"], "44 + (200-44-12)/2")
}

func TestLabelsAreEscaped(t *testing.T) {
	svg := string(chart.Line{Title: `<script>"x"</script>`, ThresholdLabel: "a & b", Threshold: 1}.SVG())
	require.NotContains(t, svg, "<script>")
	elements(t, svg)
}
