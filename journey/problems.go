package journey

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Problem is one mistake in a journey definition: where it is and what is
// wrong. Line is 1-based; 0 means unknown (a Definition that did not come from
// Parse). Field is a dotted path such as "steps[2].goto" or
// "scoring.half_life"; it is empty for syntax errors.
type Problem struct {
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// String formats the problem as "LINE: field: message", leaving out the parts
// that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		b.WriteString(strconv.Itoa(p.Line))
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in a definition, sorted by line. It is the
// error Parse returns; use errors.As to get at the list (the API maps it to
// 422 with one entry per problem).
type Problems []Problem

// Error lists the problems, one per line.
func (p Problems) Error() string {
	if len(p) == 0 {
		return "no problems"
	}
	lines := make([]string, len(p))
	for i, q := range p {
		lines[i] = q.String()
	}
	return strings.Join(lines, "\n")
}

// Lines formats the problems as compilers do, "FILE:LINE: field: problem",
// for command-line tools and editors.
func (p Problems) Lines(file string) []string {
	out := make([]string, len(p))
	for i, q := range p {
		if q.Line > 0 {
			out[i] = fmt.Sprintf("%s:%s", file, q.String())
		} else {
			out[i] = fmt.Sprintf("%s: %s", file, q.String())
		}
	}
	return out
}

// sorted orders the problems by line, then field (keeping the order they
// were found in for the same field), and returns nil for an empty list.
func (p Problems) sorted() Problems {
	if len(p) == 0 {
		return nil
	}
	sort.SliceStable(p, func(i, j int) bool {
		if p[i].Line != p[j].Line {
			return p[i].Line < p[j].Line
		}
		return p[i].Field < p[j].Field
	})
	return p
}

// Lines maps the field paths a document gave ("steps[2].goto") to the line
// they are on.
type Lines map[string]int

// Line returns the line of field, or of its nearest enclosing field when the
// field itself is absent (a missing "offer.product" is reported on the line
// of "offer"). It returns 0 when nothing is known.
func (p Lines) Line(field string) int {
	if p == nil {
		return 0
	}
	for {
		if l, ok := p[field]; ok {
			return l
		}
		if field == "" {
			return 0
		}
		field = parentField(field)
	}
}

// parentField strips the last ".name" or "[i]" from a field path.
func parentField(field string) string {
	i := strings.LastIndexAny(field, ".[")
	if i < 0 {
		return ""
	}
	return field[:i]
}

// Has reports whether the document gave field itself.
func (p Lines) Has(field string) bool {
	_, ok := p[field]
	return ok
}

// DidYouMean returns `; did you mean "x"?` naming the known word closest to
// got, or "" when none is close. Problems about unknown names end with it.
func DidYouMean(got string, known []string) string { return suggest(got, known) }

// joinField appends a field name to a path.
func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// indexField appends a list index to a path.
func indexField(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
