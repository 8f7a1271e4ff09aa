package chart

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"unicode/utf8"
)

// Timeline draws what happened along one time axis, in days since a
// start: lanes of marks (say, the emails sent and the things a customer
// did), a value curve under them with an optional threshold (a score and
// the MQN threshold), and moments drawn across the whole height (a
// hand-off, the end).
type Timeline struct {
	// Title is the chart's accessible name (the SVG's <title>).
	Title string
	// End is the last day the axis shows; 0 takes the last mark, point
	// or moment.
	End float64
	// Lanes are drawn top to bottom, each with its name on the left.
	Lanes []Lane
	// Curve is drawn under the lanes, in day order; CurveName names its
	// axis. Threshold, when positive, is a dashed line labelled
	// ThresholdLabel.
	Curve          []DayPoint
	CurveName      string
	Threshold      float64
	ThresholdLabel string
	// Moments are drawn as vertical lines across lanes and curve.
	Moments []Mark
	// DayLabel writes a tick of the axis ("day 14"); Number a value of
	// the curve's axis. Nil writes them as plain numbers.
	DayLabel func(day float64) string
	Number   func(v float64) string
	// Width in pixels; 0 takes 960.
	Width int
}

// Lane is one row of marks.
type Lane struct {
	Name  string
	Marks []Mark
}

// Mark is one thing at one day. Label is written beside it (keep it
// short), Detail is its tooltip; Kind becomes a CSS class ("mark-send")
// and picks its colour and shape.
type Mark struct {
	Day           float64
	Label, Detail string
	Kind          string
}

// DayPoint is one value of the curve.
type DayPoint struct {
	Day, Value float64
}

// Layout of the timeline.
const (
	tlLaneName   = 120 // the lanes' names' column
	tlRight      = 24
	tlTop        = 22 // room for the moments' labels
	tlLaneHeight = 58
	tlCurve      = 170
	tlAxis       = 34
)

// kindColour gives each kind of mark a colour of the palette and a shape.
var kindColour = map[string]string{
	"send": palette[0], "open": palette[2], "click": palette[2], "visit": palette[3], "download": palette[3],
	"fast-lane": palette[1], "sales-feedback": palette[4], "handoff": palette[1], "end": "#333",
}

// SVG draws the timeline.
func (t Timeline) SVG() template.HTML {
	w := t.Width
	if w <= 0 {
		w = 960
	}
	dayLabel, number := t.DayLabel, t.Number
	if dayLabel == nil {
		dayLabel = func(d float64) string { return num(d) }
	}
	if number == nil {
		number = num
	}
	end := finite(t.End)
	for _, l := range t.Lanes {
		for _, m := range l.Marks {
			end = max(end, finite(m.Day))
		}
	}
	for _, m := range t.Moments {
		end = max(end, finite(m.Day))
	}
	for _, p := range t.Curve {
		end = max(end, finite(p.Day))
	}
	end = max(end, 1)
	lanesH := len(t.Lanes) * tlLaneHeight
	h := tlTop + lanesH + tlCurve + tlAxis
	plotW := float64(w - tlLaneName - tlRight)
	x := func(day float64) float64 { return tlLaneName + plotW*max(0, min(finite(day), end))/end }
	curveTop := float64(tlTop + lanesH + 10)
	curveH := float64(tlCurve - 20)
	top := niceCeil(max(maxDay(t.Curve), t.Threshold))
	y := func(v float64) float64 { return curveTop + curveH*(1-max(0, finite(v))/top) }
	bottom := float64(tlTop + lanesH + tlCurve)

	var b strings.Builder
	open(&b, w, h, t.Title)
	// Lanes: a band each, the name on the left, the marks on a line.
	for i, l := range t.Lanes {
		y0 := float64(tlTop + i*tlLaneHeight)
		if i%2 == 0 {
			fmt.Fprintf(&b, `<rect x="%d" y="%s" width="%s" height="%d" fill="#f6f6f3"/>`, tlLaneName, num(y0), num(plotW), tlLaneHeight)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%s" font-size="12" font-weight="600" fill="#333" text-anchor="end" dominant-baseline="middle">%s</text>`,
			tlLaneName-8, num(y0+tlLaneHeight/2), esc(l.Name))
		// Emails on the upper line, labelled above it; everything else on
		// the lower one, labelled below.
		for _, m := range l.Marks {
			colour := kindColour[m.Kind]
			if colour == "" {
				colour = palette[2]
			}
			cx := x(m.Day)
			fmt.Fprintf(&b, `<g class="mark mark-%s">`, esc(m.Kind))
			var ly float64
			if m.Kind == "send" {
				my := y0 + tlLaneHeight/2 - 6
				fmt.Fprintf(&b, `<rect x="%s" y="%s" width="10" height="10" fill="%s"/>`, num(cx-5), num(my-5), colour)
				ly = my - 9
			} else {
				my := y0 + tlLaneHeight/2 + 8
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="5" fill="%s"/>`, num(cx), num(my), colour)
				ly = my + 16
			}
			if m.Detail != "" {
				fmt.Fprintf(&b, `<title>%s</title>`, esc(m.Detail))
			}
			if m.Label != "" {
				anchor := "middle"
				switch {
				case cx > float64(w-tlRight)-40:
					anchor = "end"
				case cx < tlLaneName+30:
					anchor = "start"
				}
				fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="10.5" fill="#333" text-anchor="%s">%s</text>`, num(cx), num(ly), anchor, esc(m.Label))
			}
			b.WriteString(`</g>`)
		}
	}
	// The curve: its grid and values, the threshold, the line.
	if t.CurveName != "" {
		fmt.Fprintf(&b, `<text x="%d" y="%s" font-size="12" font-weight="600" fill="#333" text-anchor="end" dominant-baseline="middle">%s</text>`,
			tlLaneName-40, num(curveTop+curveH/2), esc(t.CurveName))
	}
	for _, v := range []float64{0, top / 2, top} {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%s" x2="%d" y2="%s" stroke="#e2e2dc" stroke-width="1"/>`, tlLaneName, num(y(v)), w-tlRight, num(y(v)))
		fmt.Fprintf(&b, `<text x="%d" y="%s" font-size="11" fill="#555" text-anchor="end" dominant-baseline="middle">%s</text>`, tlLaneName-6, num(y(v)), esc(number(v)))
	}
	if t.Threshold > 0 {
		fmt.Fprintf(&b, `<line class="threshold" x1="%d" y1="%s" x2="%d" y2="%s" stroke="#b35c00" stroke-width="1.5" stroke-dasharray="6 4"/>`,
			tlLaneName, num(y(t.Threshold)), w-tlRight, num(y(t.Threshold)))
		if t.ThresholdLabel != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%s" font-size="11" fill="#8a4700" text-anchor="end">%s</text>`, w-tlRight, num(y(t.Threshold)-4), esc(t.ThresholdLabel))
		}
	}
	if len(t.Curve) > 0 {
		var d strings.Builder
		for i, p := range t.Curve {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%s %s ", cmd, num(x(p.Day)), num(y(p.Value)))
		}
		fmt.Fprintf(&b, `<path class="line" d="%s" fill="none" stroke="#1f5f3f" stroke-width="2" stroke-linejoin="round"/>`, strings.TrimSpace(d.String()))
	}
	// The axis: ticks at whole days, a few of them.
	step := niceCeil(end / 8)
	for d := 0.0; d <= end+1e-9; d += step {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999" stroke-width="1"/>`, num(x(d)), num(bottom), num(x(d)), num(bottom+5))
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="11" fill="#555" text-anchor="middle">%s</text>`, num(x(d)), num(bottom+18), esc(dayLabel(d)))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#999" stroke-width="1"/>`, tlLaneName, num(bottom), w-tlRight, num(bottom))
	// Moments across everything, labelled at the top.
	for i, m := range t.Moments {
		colour := kindColour[m.Kind]
		if colour == "" {
			colour = "#333"
		}
		mx := x(m.Day)
		dash := ` stroke-dasharray="4 3"`
		if m.Kind == "end" {
			dash = ""
		}
		fmt.Fprintf(&b, `<g class="moment moment-%s"><line x1="%s" y1="%d" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`,
			esc(m.Kind), num(mx), tlTop-4, num(mx), num(bottom), colour, dash)
		if m.Detail != "" {
			fmt.Fprintf(&b, `<title>%s</title>`, esc(m.Detail))
		}
		// A label near the right edge reads leftwards; near the left, rightwards.
		anchor, dx := "start", 4.0
		if mx+textWidth(m.Label) > float64(w-tlRight) {
			anchor, dx = "end", -4
		}
		ly := tlTop - 8
		if i%2 == 1 {
			ly = int(bottom) - 6
		}
		fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="11" font-weight="600" fill="%s" text-anchor="%s">%s</text></g>`,
			num(mx+dx), ly, colour, anchor, esc(m.Label))
	}
	b.WriteString(`</svg>`)
	// Every value above is a number or escaped text: the markup is safe.
	return template.HTML(b.String())
}

// textWidth guesses the width of a label of 11px bold text.
func textWidth(s string) float64 { return 6.8 * float64(utf8.RuneCountInString(s)) }

func maxDay(pts []DayPoint) float64 {
	m := 0.0
	for _, p := range pts {
		if !math.IsNaN(p.Value) && !math.IsInf(p.Value, 0) {
			m = max(m, p.Value)
		}
	}
	return m
}
