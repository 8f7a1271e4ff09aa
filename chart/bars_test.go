package chart_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/chart"
)

func width(t *testing.T, attrs map[string]string) float64 {
	t.Helper()
	w, err := strconv.ParseFloat(attrs["width"], 64)
	require.NoError(t, err)
	return w
}

func TestAFunnelDrawsOneCentredBarPerStageNarrowingDown(t *testing.T) {
	svg := string(chart.Bars{Funnel: true, Title: "Funnel <of> journey", Bars: []chart.Bar{
		{Label: "enrolled", Value: 100}, {Label: "emailed", Value: 80, Note: "80 · 80 %"}, {Label: "mqn", Value: 10},
	}}.SVG())
	els := elements(t, svg)
	bars := els["rect"]
	require.Len(t, bars, 3)
	require.Greater(t, width(t, bars[0]), width(t, bars[1]))
	require.Greater(t, width(t, bars[1]), width(t, bars[2]))
	// Centred: the middle of every bar is the same.
	mid := func(a map[string]string) float64 {
		x, _ := strconv.ParseFloat(a["x"], 64)
		return x + width(t, a)/2
	}
	require.InDelta(t, mid(bars[0]), mid(bars[2]), 0.2)
	require.Contains(t, svg, "80 · 80 %")
	require.Contains(t, svg, "Funnel &lt;of&gt; journey", "the title is escaped")
	require.Equal(t, "img", els["svg"][0]["role"])
}

func TestBarsSurviveNothingAndNonsense(t *testing.T) {
	els := elements(t, string(chart.Bars{}.SVG()))
	require.Empty(t, els["rect"])
	svg := string(chart.Bars{Bars: []chart.Bar{{Label: "nan", Value: math.NaN()}, {Label: "neg", Value: -3}, {Label: "one", Value: 1}}}.SVG())
	els = elements(t, svg)
	require.Len(t, els["rect"], 1, "nothing draws no bar")
	require.Contains(t, svg, ">nan</text>", "but its row and value")
}

func TestGroupedBarsDrawEverySeriesOfEveryGroupWithALegend(t *testing.T) {
	svg := string(chart.Grouped{Title: "Content", Groups: []string{"checklist", "case-study"}, Series: []chart.Series{
		{Name: "sent", Values: []float64{10, 4}}, {Name: "opened", Values: []float64{5, 2}}, {Name: "clicked", Values: []float64{1}},
	}}.SVG())
	els := elements(t, svg)
	require.Len(t, els["rect"], 3+2*3-1, "a legend swatch per series and a bar per series and group (but the missing one)")
	for _, want := range []string{"sent", "opened", "clicked", "checklist", "case-study"} {
		require.Contains(t, svg, want)
	}
	pct := string(chart.Grouped{Percent: true, Groups: []string{"a"}, Series: []chart.Series{{Name: "mqn rate", Values: []float64{0.25}}}}.SVG())
	require.Contains(t, pct, "25 %")
}
