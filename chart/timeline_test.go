package chart_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/chart"
)

func TestATimelineDrawsLanesTheCurveAndItsMoments(t *testing.T) {
	svg := string(chart.Timeline{
		Title: "A simulated run",
		Lanes: []chart.Lane{
			{Name: "max", Marks: []chart.Mark{{Day: 0, Kind: "send", Label: "checklist", Detail: "to max, variant ops-lead/de"}, {Day: 2, Kind: "click", Label: "click"}}},
			{Name: "Sales", Marks: []chart.Mark{{Day: 18, Kind: "sales-feedback", Label: "sales-feedback"}}},
		},
		Curve:     []chart.DayPoint{{Day: 0, Value: 0}, {Day: 10, Value: 42}, {Day: 18, Value: 35}},
		Threshold: 40, ThresholdLabel: "threshold 40",
		Moments:  []chart.Mark{{Day: 10, Kind: "handoff", Label: "MQN · hand-off"}, {Day: 18, Kind: "end", Label: "end: accepted"}},
		DayLabel: func(d float64) string { return "Tag " + strconv.FormatFloat(d, 'f', -1, 64) },
		Number:   func(v float64) string { return strings.ReplaceAll(strconv.FormatFloat(v, 'f', -1, 64), ".", ",") },
	}.SVG())
	els := elements(t, svg)
	require.Equal(t, "A simulated run", els["svg"][0]["aria-label"])
	classes := map[string]int{}
	for _, g := range els["g"] {
		classes[g["class"]]++
	}
	require.Equal(t, map[string]int{"mark mark-send": 1, "mark mark-click": 1, "mark mark-sales-feedback": 1, "moment moment-handoff": 1, "moment moment-end": 1}, classes)
	require.Len(t, els["rect"], 1+1, "a lane's band and one email")
	require.Len(t, els["path"], 1, "the curve")
	require.Contains(t, svg, "to max, variant ops-lead/de", "an email's detail as its tooltip")
	require.Contains(t, svg, ">threshold 40<")
	require.Contains(t, svg, ">Tag 0<", "the axis in the caller's words")
	require.Contains(t, svg, ">25<", "the value axis (top 50) through Number")
	require.Contains(t, svg, `text-anchor="end">sales-feedback<`, "a label at the right edge reads leftwards")
}

func TestAnEmptyTimelineStillDrawsItsAxis(t *testing.T) {
	els := elements(t, string(chart.Timeline{Title: "nothing"}.SVG()))
	require.Empty(t, els["path"])
	require.NotEmpty(t, els["line"])
}
