package chart

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Bar is one labelled value of a bar chart. Note, when set, is written
// after the bar in place of the value ("12 · 40 %").
type Bar struct {
	Label string
	Value float64
	Note  string
}

// Bars is a horizontal bar chart, one bar a row: a funnel when Funnel is
// set (the bars centred, so each stage narrows the one above it), else
// bars from a common left edge.
type Bars struct {
	Bars   []Bar
	Funnel bool
	// Title is the chart's accessible name (the SVG's <title>).
	Title string
	// Width of the drawing in pixels; 0 takes 640.
	Width int
	// Max is the value of a full-width bar; 0 takes the largest value.
	Max float64
}

// Layout of the horizontal charts.
const (
	labelWidth = 170 // the labels' column
	noteWidth  = 110 // the values' column, right of the bars
	rowHeight  = 26
	barHeight  = 18
	padTop     = 6
)

// palette is the series' colours: dark enough for white text and for the
// 3:1 contrast a graphic needs on white.
var palette = []string{"#1f5f3f", "#b35c00", "#2b5c9e", "#7a3e8e", "#8a6d00"}

// SVG draws the chart. Without bars it draws an empty frame of one row, so
// the page keeps its shape.
func (c Bars) SVG() template.HTML {
	w := c.Width
	if w <= 0 {
		w = 640
	}
	rows := max(len(c.Bars), 1)
	h := padTop*2 + rows*rowHeight
	top := c.Max
	for _, b := range c.Bars {
		top = max(top, finite(b.Value))
	}
	plotW := float64(w - labelWidth - noteWidth)
	var b strings.Builder
	open(&b, w, h, c.Title)
	for i, bar := range c.Bars {
		y := padTop + i*rowHeight
		v := finite(bar.Value)
		bw := 0.0
		if top > 0 {
			bw = plotW * v / top
		}
		x := float64(labelWidth)
		if c.Funnel {
			x += (plotW - bw) / 2
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#1a1a1a" text-anchor="end" dominant-baseline="middle">%s</text>`,
			labelWidth-8, y+rowHeight/2, esc(bar.Label))
		// A zero draws no bar: its value beside says it, and a sliver
		// would read as a glitch.
		if bw > 0 {
			fmt.Fprintf(&b, `<rect class="bar" x="%s" y="%d" width="%s" height="%d" rx="2" fill="%s"><title>%s: %s</title></rect>`,
				num(x), y+(rowHeight-barHeight)/2, num(math.Max(bw, 1)), barHeight, palette[0], esc(bar.Label), esc(noteOr(bar)))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#333" text-anchor="start" dominant-baseline="middle">%s</text>`,
			w-noteWidth+8, y+rowHeight/2, esc(noteOr(bar)))
	}
	b.WriteString(`</svg>`)
	// Every value above is a number or escaped text: the markup is safe.
	return template.HTML(b.String())
}

// Series is one named set of values of a grouped chart, a value per group.
type Series struct {
	Name   string
	Values []float64
}

// Grouped is a horizontal bar chart of groups (say, content blocks), each
// with one bar per series (sent, opened, clicked), and a legend.
type Grouped struct {
	Groups []string
	Series []Series
	// Title is the chart's accessible name; Width as for Bars.
	Title string
	Width int
	// Percent writes the values as percentages (0.25 → 25 %).
	Percent bool
	// Number writes a value (nil: a plain number, "21.5"), so that a page
	// writes numbers as its language does.
	Number func(float64) string
}

// SVG draws the chart with a legend above it.
func (c Grouped) SVG() template.HTML {
	w := c.Width
	if w <= 0 {
		w = 640
	}
	n := max(len(c.Series), 1)
	sub := barHeight - 4
	groupH := n*sub + 10
	legendH := 22
	h := legendH + padTop*2 + max(len(c.Groups), 1)*groupH
	top := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			top = max(top, finite(v))
		}
	}
	plotW := float64(w - labelWidth - noteWidth)
	var b strings.Builder
	open(&b, w, h, c.Title)
	x := labelWidth
	for i, s := range c.Series {
		fmt.Fprintf(&b, `<rect x="%d" y="4" width="12" height="12" fill="%s"/>`, x, palette[i%len(palette)])
		fmt.Fprintf(&b, `<text x="%d" y="14" font-size="12" fill="#1a1a1a">%s</text>`, x+16, esc(s.Name))
		x += 24 + 8*len([]rune(s.Name))
	}
	for g, name := range c.Groups {
		y0 := legendH + padTop + g*groupH
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#1a1a1a" text-anchor="end" dominant-baseline="middle">%s</text>`,
			labelWidth-8, y0+n*sub/2, esc(name))
		for i, s := range c.Series {
			v := 0.0
			if g < len(s.Values) {
				v = finite(s.Values[g])
			}
			bw := 0.0
			if top > 0 {
				bw = plotW * v / top
			}
			y := y0 + i*sub
			label := numberOr(c.Number)(v)
			if c.Percent {
				label = numberOr(c.Number)(v*100) + " %"
			}
			if bw > 0 {
				fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%s" height="%d" fill="%s"><title>%s, %s: %s</title></rect>`,
					labelWidth, y, num(math.Max(bw, 1)), sub-2, palette[i%len(palette)], esc(name), esc(s.Name), esc(label))
			}
			fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="11" fill="#333" dominant-baseline="middle">%s</text>`,
				num(float64(labelWidth)+math.Max(bw, 1)+4), y+(sub-2)/2, esc(label))
		}
	}
	b.WriteString(`</svg>`)
	// Every value above is a number or escaped text: the markup is safe.
	return template.HTML(b.String())
}

func open(b *strings.Builder, w, h int, title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		w, h, w, h, esc(title))
	if title != "" {
		fmt.Fprintf(b, `<title>%s</title>`, esc(title))
	}
}

// numberOr is f, or num without one.
func numberOr(f func(float64) string) func(float64) string {
	if f == nil {
		return num
	}
	return f
}

func noteOr(b Bar) string {
	if b.Note != "" {
		return b.Note
	}
	return num(finite(b.Value))
}

// finite keeps a value drawable: NaN, infinities and negatives are 0.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}
