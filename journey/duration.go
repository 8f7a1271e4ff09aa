package journey

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written the way marketing ops think: "90m",
// "36h", "4d", "2w", or combined ("1d12h"). Days are 24 hours of workflow
// time; calendar effects are left to send windows.
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

var durationUnits = map[byte]time.Duration{
	's': time.Second,
	'm': time.Minute,
	'h': time.Hour,
	'd': 24 * time.Hour,
	'w': 7 * 24 * time.Hour,
}

// MaxDuration is the longest duration ParseDuration accepts: 100 years of
// 365 days, far beyond any journey and well inside time.Duration's range
// (about 292 years).
const MaxDuration = 100 * 365 * 24 * time.Hour

const maxDurationText = "100 years (36500d)"

// ParseDuration parses "90m", "36h", "4d", "2w", "1d12h", "30s". Zero ("0",
// "0d") is allowed; negative values, bare numbers and durations longer than
// MaxDuration are not.
func ParseDuration(s string) (Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if in == "0" {
		return 0, nil
	}
	var total time.Duration
	for rest := in; rest != ""; {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf("bad duration %q: want a number and a unit (s, m, h, d, w), e.g. 4d or 36h", s)
		}
		unit, ok := durationUnits[rest[i]]
		if !ok {
			return 0, fmt.Errorf("bad duration %q: unknown unit %q (use s, m, h, d or w)", s, rest[i:i+1])
		}
		// Check each amount and the running total against the cap before
		// adding, so that no product or sum can wrap around.
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || time.Duration(n) > MaxDuration/unit || total+time.Duration(n)*unit > MaxDuration {
			return 0, fmt.Errorf("bad duration %q: longer than %s, the longest a journey may wait", s, maxDurationText)
		}
		total += time.Duration(n) * unit
		rest = rest[i+1:]
	}
	return Duration(total), nil
}

// String formats the duration in the largest exact units, e.g. "4d", "1d12h".
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	v := time.Duration(d)
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
		v = -v
	}
	for _, u := range []struct {
		c byte
		d time.Duration
	}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}} {
		if n := v / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteByte(u.c)
			v -= n * u.d
		}
	}
	if v > 0 {
		b.WriteString(v.String())
	}
	return b.String()
}

// MarshalJSON writes the duration as a string such as "4d".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON accepts a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"4d\"")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes the duration as a string such as "4d".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML accepts a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("duration must be a string like \"4d\"")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Span is a duration in a journey definition, kept as its author wrote it
// ("30d", "36h", "1d12h") as well as its length: a journey read back through
// the API or the CLI shows the text that was published, not the same length
// rewritten in other units ("4w2d"). Spans written differently are not ==
// even when equally long; compare Std() for length.
type Span struct {
	d    Duration
	text string
}

// SpanOf returns d as a Span written in the largest exact units, as
// Duration.String writes it, so that it reads back unchanged too.
func SpanOf(d time.Duration) Span { return Span{d: Duration(d), text: Duration(d).String()} }

// ParseSpan parses s as ParseDuration does and keeps s, without surrounding
// spaces, as the span's text.
func ParseSpan(s string) (Span, error) {
	d, err := ParseDuration(s)
	if err != nil {
		return Span{}, err
	}
	return Span{d: d, text: strings.TrimSpace(s)}, nil
}

// Std returns the span's length as a time.Duration.
func (s Span) Std() time.Duration { return time.Duration(s.d) }

// Duration returns the span's length.
func (s Span) Duration() Duration { return s.d }

// String returns the span as written; the zero Span, which nobody wrote,
// is "0s".
func (s Span) String() string {
	if s.text == "" {
		return s.d.String()
	}
	return s.text
}

// IsZero reports whether s is the zero Span, a field not given at all. A
// span written "0d" is not zero, so that omitempty (YAML) and omitzero
// (JSON) keep it and it reads back as written.
func (s Span) IsZero() bool { return s == Span{} }

// MarshalJSON writes the span as written, e.g. "30d".
func (s Span) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON accepts a duration string and keeps its text.
func (s *Span) UnmarshalJSON(b []byte) error {
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return fmt.Errorf("duration must be a string like \"4d\"")
	}
	v, err := ParseSpan(text)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalYAML writes the span as written, e.g. 30d.
func (s Span) MarshalYAML() (any, error) { return s.String(), nil }

// UnmarshalYAML accepts a duration string and keeps its text.
func (s *Span) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("duration must be a string like \"4d\"")
	}
	v, err := ParseSpan(n.Value)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// UnmarshalJSON accepts "click" or ["click", "fast_lane"].
func (k *Kinds) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*k = Kinds{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("until must be a signal kind or a list of them")
	}
	*k = many
	return nil
}

// UnmarshalYAML accepts "click" or [click, fast_lane].
func (k *Kinds) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*k = Kinds{n.Value}
		return nil
	case yaml.SequenceNode:
		var many []string
		if err := n.Decode(&many); err != nil {
			return err
		}
		*k = many
		return nil
	}
	return fmt.Errorf("until must be a signal kind or a list of them")
}
