package journey

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// A condition such as `if: !clicked('checklist')` is the natural way to
// write "not clicked", but unquoted it is not a string to YAML: a leading
// "!" starts a tag. Depending on what follows, the parser then fails with a
// message about tags or flow mappings that says nothing of conditions, or
// reads a tagged empty value, or (for "! clicked(...)") silently drops the
// "!" and keeps the opposite condition. So such values are found in the
// text before YAML sees it, reported at their line, and quoted for the rest
// of the parse, so that the document's other problems are reported too.

// negatedCondition is an unquoted `if:` value that starts with "!".
type negatedCondition struct {
	line int    // 1-based
	cond string // as written, e.g. !clicked('checklist')
}

// problem says how to write the condition; field is "" when the document
// could not be read far enough to know it.
func (n negatedCondition) problem(field string) Problem {
	return Problem{Line: n.line, Field: field, Message: fmt.Sprintf(
		`a condition that starts with "!" must be quoted, or YAML reads the "!" as a tag: write if: %s`, quoteYAML(n.cond))}
}

// quoteNegatedConditions returns data with every unquoted `if:` value that
// starts with "!" quoted, each line where it was, and where they were.
func quoteNegatedConditions(data []byte) ([]byte, []negatedCondition) {
	if !bytes.Contains(data, []byte("!")) {
		return data, nil
	}
	var (
		out   = make([]byte, 0, len(data)+16)
		found []negatedCondition
		// blockIndent is the indentation of the key that opened a block
		// scalar (| or >): lines indented deeper are its text, not YAML.
		blockIndent = -1
	)
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		indent := len(line) - len(bytes.TrimLeft(line, " "))
		blank := len(bytes.TrimSpace(line)) == 0
		if blockIndent >= 0 && (blank || indent > blockIndent) {
			out = append(out, line...)
			continue
		}
		blockIndent = -1
		code := yamlCode(line)
		if blockScalarStart.Match(code) {
			blockIndent = indent
		}
		out = append(out, quoteLine(line, len(code), i+1, &found)...)
	}
	return out, found
}

// blockScalarStart matches a line that ends by starting a block scalar,
// e.g. "name: >" or "- |-".
var blockScalarStart = regexp.MustCompile(`(^|[:\-])[ \t]+[|>][0-9+\-]*[ \t]*$`)

// yamlCode returns line without its comment and line break.
func yamlCode(line []byte) []byte {
	var quote byte
	for j := 0; j < len(line); j++ {
		c := line[j]
		switch {
		case quote == '"' && c == '\\':
			j++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (j == 0 || line[j-1] == ' ' || line[j-1] == '\t'):
			return bytes.TrimRight(line[:j], " \t")
		case c == '\r' || c == '\n':
			return line[:j]
		}
	}
	return line
}

// quoteLine quotes the negated conditions in line[:end] (the part before a
// comment), adding them to found.
func quoteLine(line []byte, end, lineNo int, found *[]negatedCondition) []byte {
	var out []byte
	var quote byte
	done := 0 // line[:done] is copied to out
	for j := 0; j < end; j++ {
		c := line[j]
		switch {
		case quote == '"' && c == '\\':
			j++
			continue
		case quote != 0:
			if c == quote {
				quote = 0
			}
			continue
		}
		if start := negationAt(line[:end], j); start > 0 {
			stop := conditionEnd(line[:end], start)
			cond := string(line[start:stop])
			*found = append(*found, negatedCondition{line: lineNo, cond: cond})
			out = append(out, line[done:start]...)
			out = append(out, quoteYAML(cond)...)
			done, j = stop, stop-1
			continue
		}
		if c == '"' || c == '\'' {
			quote = c
		}
	}
	if out == nil {
		return line
	}
	return append(out, line[done:]...)
}

// negationAt reports where the value starts when an `if` key begins at j
// and its unquoted value starts with "!"; otherwise 0.
func negationAt(code []byte, j int) int {
	if j > 0 && !strings.ContainsRune(" \t{,", rune(code[j-1])) {
		return 0
	}
	rest := code[j:]
	var key int
	for _, k := range []string{"if", `"if"`, "'if'"} {
		if bytes.HasPrefix(rest, []byte(k)) {
			key = len(k)
		}
	}
	if key == 0 {
		return 0
	}
	k := j + key
	for k < len(code) && (code[k] == ' ' || code[k] == '\t') {
		k++
	}
	if k >= len(code) || code[k] != ':' {
		return 0
	}
	k++
	spaces := k
	for k < len(code) && (code[k] == ' ' || code[k] == '\t') {
		k++
	}
	if k == spaces || k >= len(code) || code[k] != '!' {
		return 0
	}
	return k
}

// conditionEnd returns where the value starting at start ends: at the end of
// the line or, as in a flow mapping, at a ",", "}" or "]" outside the
// condition's own brackets and strings.
func conditionEnd(code []byte, start int) int {
	depth := 0
	var quote byte
	end := len(code)
scan:
	for j := start; j < len(code); j++ {
		c := code[j]
		switch {
		case quote == '"' && c == '\\':
			j++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '(' || c == '[' || c == '{':
			depth++
		case (c == ')' || c == ']' || c == '}') && depth > 0:
			depth--
		case c == ',' || c == ']' || c == '}':
			if depth == 0 {
				end = j
				break scan
			}
		}
	}
	for end > start && (code[end-1] == ' ' || code[end-1] == '\t') {
		end--
	}
	return end
}

// quoteYAML writes s as a YAML string: double-quoted, or single-quoted when
// it holds a double quote or a backslash (which double quotes would need
// escaped).
func quoteYAML(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
