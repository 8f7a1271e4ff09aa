// Package chart draws small server-rendered SVG charts for ripen's pages
// (the hand-off page, the console): no script, no external assets, so a
// page with a strict Content-Security-Policy shows them as they are.
//
// It knows nothing of journeys or HTTP: it takes points and labels and
// returns markup that is safe to embed in HTML.
package chart

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// Point is one value at one time.
type Point struct {
	At    time.Time
	Value float64
}

// Line is a line chart of points over time, with an optional horizontal
// threshold (say, a journey's MQN threshold).
type Line struct {
	Points []Point
	// Threshold, when positive, is drawn as a dashed line, labelled
	// ThresholdLabel.
	Threshold      float64
	ThresholdLabel string
	// Title is the chart's accessible name (the SVG's <title>).
	Title string
	// Width and Height in pixels of the drawing; 0 takes 640 × 220.
	Width, Height int
	// Location shows times on the axis (nil: UTC).
	Location *time.Location
	// Number writes a value (nil: a plain number, "21.5"), so that a page
	// writes numbers as its language does.
	Number func(float64) string
}

// Margins around the plot, for the axis labels.
const (
	marginLeft   = 44
	marginRight  = 12
	marginTop    = 14
	marginBottom = 28
)

// SVG draws the chart. With no points it draws the axes and the threshold
// alone, so the page keeps its shape. Times need not be sorted; the line
// follows them in time order.
func (l Line) SVG() template.HTML {
	w, h := l.Width, l.Height
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 220
	}
	loc := l.Location
	if loc == nil {
		loc = time.UTC
	}
	pts := sortedPoints(l.Points)
	plotW, plotH := float64(w-marginLeft-marginRight), float64(h-marginTop-marginBottom)

	top := niceCeil(max(maxValue(pts), l.Threshold))
	var from, to time.Time
	if len(pts) > 0 {
		from, to = pts[0].At, pts[len(pts)-1].At
	}
	span := to.Sub(from)
	x := func(t time.Time) float64 {
		if span <= 0 {
			return marginLeft + plotW/2
		}
		return marginLeft + plotW*float64(t.Sub(from))/float64(span)
	}
	y := func(v float64) float64 { return marginTop + plotH*(1-v/top) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		w, h, w, h, esc(l.Title))
	if l.Title != "" {
		fmt.Fprintf(&b, `<title>%s</title>`, esc(l.Title))
	}
	// Grid and value labels: zero, half and the top.
	for _, v := range []float64{0, top / 2, top} {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%s" x2="%d" y2="%s" stroke="#e2e2dc" stroke-width="1"/>`,
			marginLeft, num(y(v)), w-marginRight, num(y(v)))
		fmt.Fprintf(&b, `<text x="%d" y="%s" font-size="11" fill="#555" text-anchor="end" dominant-baseline="middle">%s</text>`,
			marginLeft-6, num(y(v)), esc(numberOr(l.Number)(v)))
	}
	if len(pts) > 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555" text-anchor="start">%s</text>`,
			marginLeft, h-8, esc(from.In(loc).Format("2 Jan 15:04")))
		if span > 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555" text-anchor="end">%s</text>`,
				w-marginRight, h-8, esc(to.In(loc).Format("2 Jan 15:04")))
		}
	}
	if l.Threshold > 0 {
		fmt.Fprintf(&b, `<line class="threshold" x1="%d" y1="%s" x2="%d" y2="%s" stroke="#b35c00" stroke-width="1.5" stroke-dasharray="6 4"/>`,
			marginLeft, num(y(l.Threshold)), w-marginRight, num(y(l.Threshold)))
		if l.ThresholdLabel != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%s" font-size="11" fill="#b35c00" text-anchor="end">%s</text>`,
				w-marginRight, num(y(l.Threshold)-4), esc(l.ThresholdLabel))
		}
	}
	if len(pts) > 0 {
		var d strings.Builder
		for i, p := range pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%s %s ", cmd, num(x(p.At)), num(y(p.Value)))
		}
		fmt.Fprintf(&b, `<path class="line" d="%s" fill="none" stroke="#1f5f3f" stroke-width="2" stroke-linejoin="round"/>`, strings.TrimSpace(d.String()))
		for _, p := range pts {
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="#1f5f3f"><title>%s: %s</title></circle>`,
				num(x(p.At)), num(y(p.Value)), esc(p.At.In(loc).Format("2006-01-02 15:04")), esc(numberOr(l.Number)(p.Value)))
		}
	}
	b.WriteString(`</svg>`)
	// Every value above is a number or escaped text: the markup is safe.
	return template.HTML(b.String())
}

func sortedPoints(in []Point) []Point {
	out := make([]Point, 0, len(in))
	for _, p := range in {
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			continue
		}
		out = append(out, Point{At: p.At, Value: max(p.Value, 0)})
	}
	// Insertion sort: trails are short and mostly in order already.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].At.Before(out[j-1].At); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func maxValue(pts []Point) float64 {
	m := 0.0
	for _, p := range pts {
		m = max(m, p.Value)
	}
	return m
}

// niceCeil rounds the top of the scale up to 1, 2 or 5 times a power of
// ten, so the labels read well; at least 1, so an empty chart has a scale.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// num writes a coordinate or value with at most one decimal.
func num(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}

func esc(s string) string { return template.HTMLEscapeString(s) }
