package journey

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Parse reads a journey definition written in YAML or JSON (JSON is YAML) and
// validates it with zero ValidateOptions. On any mistake it returns a nil
// Definition and a Problems error listing every problem with its line.
func Parse(data []byte) (*Definition, error) {
	return ParseWith(data, ValidateOptions{})
}

// ParseWith is Parse with validation options, e.g. a content lookup, so that
// problems found by those checks carry lines too.
func ParseWith(data []byte, opt ValidateOptions) (*Definition, error) {
	if len(data) > MaxSourceBytes {
		line := bytes.Count(data[:MaxSourceBytes], []byte("\n")) + 1
		return nil, Problems{{Line: line, Message: fmt.Sprintf("a journey may be at most %d KiB long; this one is %d bytes and passes the limit on this line", MaxSourceBytes>>10, len(data))}}
	}
	d, pos, probs := decode(data)
	if d != nil {
		opt.lines = pos
		probs = append(probs, withoutReported(Validate(d, opt), probs)...)
	}
	if probs = probs.sorted(); probs != nil {
		return nil, probs
	}
	return d, nil
}

// withoutReported drops the rule problems about fields whose form was
// already reported: after "id: must be a string", "id is required" is noise.
func withoutReported(rules, form Problems) Problems {
	var out Problems
	for _, r := range rules {
		if !slices.ContainsFunc(form, func(f Problem) bool {
			return f.Field != "" && (r.Field == f.Field || strings.HasPrefix(r.Field, f.Field+".") || strings.HasPrefix(r.Field, f.Field+"["))
		}) {
			out = append(out, r)
		}
	}
	return out
}

// decode turns the document into a Definition, noting the line of every field.
// The problems it finds are those of form: syntax, unknown or duplicate
// fields, wrong types, bad durations and conditions that need quotes. It
// returns a nil Definition only when the document is not a mapping at all.
func decode(data []byte) (*Definition, Lines, Problems) {
	data, negated := quoteNegatedConditions(data)
	root, probs := parseYAML(data)
	if root == nil {
		for _, n := range negated {
			probs = append(probs, n.problem(""))
		}
		return nil, nil, probs
	}
	dec := &decoder{pos: Lines{"": root.Line}, limited: true}
	var d Definition
	dec.value(root, reflect.ValueOf(&d).Elem(), "", root.Line)
	probs = append(probs, dec.probs...)
	taken := map[string]bool{}
	for _, n := range negated {
		field := conditionField(dec.pos, n.line, taken)
		probs = append(probs, n.problem(field))
	}
	return &d, dec.pos, probs
}

// looseRoot is a source's top-level mapping for the loose readers
// (SentContent, AudiencePersonas): nil for a source that Parse refuses
// before reading any field (too long, not YAML, anchors or aliases, too
// deep), so they read nothing of it.
func looseRoot(data []byte) *yaml.Node {
	if len(data) > MaxSourceBytes {
		return nil
	}
	data, _ = quoteNegatedConditions(data)
	root, _ := parseYAML(data)
	return root
}

// SentContent returns the content ids the steps of a journey source send
// (and its mqn.assets), read loosely: a definition with other problems still
// names them, so that a caller can look them all up at once before
// ParseWith checks them. It returns nil for a source looseRoot refuses.
func SentContent(data []byte) []string {
	root := looseRoot(data)
	if root == nil {
		return nil
	}
	var ids []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "mqn" {
			ids = append(ids, assetContent(root.Content[i+1])...)
		}
		steps := root.Content[i+1]
		if root.Content[i].Value != "steps" || steps.Kind != yaml.SequenceNode || len(steps.Content) > MaxSteps {
			continue
		}
		for _, step := range steps.Content {
			for j := 0; step.Kind == yaml.MappingNode && j+1 < len(step.Content); j += 2 {
				if k, v := step.Content[j], step.Content[j+1]; k.Value == "send" && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value != "" {
					ids = append(ids, v.Value)
				}
			}
		}
	}
	return ids
}

// assetContent is the content IDs of mqn node's assets (mqn.assets), which
// publishing checks like the steps' sends.
func assetContent(mqn *yaml.Node) []string {
	var ids []string
	for i := 0; mqn.Kind == yaml.MappingNode && i+1 < len(mqn.Content); i += 2 {
		assets := mqn.Content[i+1]
		if mqn.Content[i].Value != "assets" || assets.Kind != yaml.MappingNode || len(assets.Content) > 2*MaxListItems {
			continue
		}
		for j := 0; j+1 < len(assets.Content); j += 2 {
			if v := assets.Content[j+1]; v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value != "" {
				ids = append(ids, v.Value)
			}
		}
	}
	return ids
}

// conditionField names the first `if` field on line not yet taken, or ""
// when the decoder did not get to one there.
func conditionField(pos Lines, line int, taken map[string]bool) string {
	for _, f := range sortedKeys(pos) {
		if pos[f] == line && (f == "if" || strings.HasSuffix(f, ".if")) && !taken[f] {
			taken[f] = true
			return f
		}
	}
	return ""
}

// DecodeYAML decodes one YAML or JSON document into v, a pointer to a value
// built as a Definition is (structs with yaml tags, lists, string-keyed maps,
// strings, numbers, booleans, Durations and Spans), the way Parse decodes a
// journey: it reports every syntax error, unknown or repeated field, wrong
// type and bad duration with its line, naming fields by their path under
// root ("events[2].at"). The Lines it returns place the problems found later.
// Files that go with journeys, such as the simulator's event scripts, use it
// so that their mistakes read like a journey's. Like Parse it refuses
// anchors, aliases and nesting deeper than MaxDepth; the other limits are
// the caller's (a script's events are bounded by the simulator).
func DecodeYAML(data []byte, root string, v any) (Lines, Problems) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic("journey: DecodeYAML needs a non-nil pointer")
	}
	n, probs := parseDocument(data, root, root)
	if n == nil {
		return Lines{}, probs.sorted()
	}
	dec := &decoder{pos: Lines{root: n.Line}}
	dec.value(n, rv.Elem(), root, n.Line)
	return dec.pos, append(probs, dec.probs...).sorted()
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses exactly one YAML document into a node tree and returns its
// root mapping.
func parseYAML(data []byte) (*yaml.Node, Problems) {
	n, probs := parseDocument(data, "", "journeys")
	if n == nil {
		return nil, probs
	}
	if n.Kind != yaml.MappingNode {
		return nil, append(probs, Problem{Line: n.Line, Message: "a journey must be a mapping (a JSON object)"})
	}
	return n, probs
}

// parseDocument parses exactly one YAML document into a node tree and returns
// its root node (nil when there is none, or when checkTree refuses it). Field
// paths start at root; what names the documents in problems ("journeys").
func parseDocument(data []byte, root, what string) (_ *yaml.Node, probs Problems) {
	if looksLikeJSON(data) {
		data = jsonAsYAML(data)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Problems{{Line: 1, Message: "empty document"}}
		}
		return nil, Problems{yamlProblem(err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		probs = append(probs, Problem{Line: extra.Line, Message: "more than one document: a file holds one journey"})
	} else if !errors.Is(err, io.EOF) {
		probs = append(probs, yamlProblem(err))
	}
	n := &doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, append(probs, Problem{Line: 1, Message: "empty document"})
		}
		n = n.Content[0]
	}
	if refused := checkTree(n, root, what); len(refused) > 0 {
		return nil, append(probs, refused...)
	}
	return n, probs
}

// checkTree refuses, before anything is decoded, what lets a small document
// cost a lot to read: anchors and aliases (each *name is a copy of what
// &name marks, so 25 KB of aliases to an anchored list become millions of
// values; yaml.v3 guards against that only when it decodes into Go values
// itself) and nesting deeper than MaxDepth. Journeys need neither. It visits
// each node of the tree once, never following an alias.
func checkTree(root *yaml.Node, path, what string) Problems {
	c := treeCheck{what: what}
	c.walk(root, path, 1)
	var probs Problems
	for _, f := range []struct {
		first *Problem
		n     int
		noun  string
	}{{c.firstAnchor, c.anchors, "anchors"}, {c.firstAlias, c.aliases, "aliases"}, {c.tooDeep, 1, ""}} {
		if f.first == nil {
			continue
		}
		p := *f.first
		if f.n > 1 {
			p.Message += fmt.Sprintf(" (%d %s in all; this is the first)", f.n, f.noun)
		}
		probs = append(probs, p)
	}
	return probs
}

type treeCheck struct {
	what                             string
	anchors, aliases                 int
	firstAnchor, firstAlias, tooDeep *Problem
}

func (c *treeCheck) walk(n *yaml.Node, path string, depth int) {
	if n.Anchor != "" {
		c.anchors++
		if c.firstAnchor == nil {
			c.firstAnchor = &Problem{Line: n.Line, Field: path, Message: fmt.Sprintf("anchors (&%s) are not allowed in %s: write the value out where it is used", n.Anchor, c.what)}
		}
	}
	switch n.Kind {
	case yaml.AliasNode:
		c.aliases++
		if c.firstAlias == nil {
			c.firstAlias = &Problem{Line: n.Line, Field: path, Message: fmt.Sprintf("aliases are not allowed in %s: write the value out instead of *%s", c.what, n.Value)}
		}
	case yaml.MappingNode, yaml.SequenceNode:
		if depth > MaxDepth {
			if c.tooDeep == nil {
				c.tooDeep = &Problem{Line: n.Line, Field: path, Message: fmt.Sprintf("nested more than %d levels deep", MaxDepth)}
			}
			return
		}
		if n.Kind == yaml.SequenceNode {
			for i, item := range n.Content {
				c.walk(item, indexField(path, i), depth+1)
			}
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			c.walk(k, path, depth+1)
			c.walk(n.Content[i+1], joinField(path, k.Value), depth+1)
		}
	}
}

func looksLikeJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// jsonAsYAML rewrites the few JSON spellings YAML reads differently, keeping
// every line where it was: tabs between tokens become spaces (YAML forbids
// tab indentation), and inside strings the escape \/ becomes / and UTF-16
// surrogate pairs (\ud83d\ude00) become one \U escape (YAML has neither).
func jsonAsYAML(data []byte) []byte {
	out := make([]byte, 0, len(data))
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case !inString && c == '\t':
			out = append(out, ' ')
		case c == '"':
			inString = !inString
			out = append(out, c)
		case inString && c == '\\' && i+1 < len(data):
			switch data[i+1] {
			case '/':
				out = append(out, '/')
			case 'u':
				r, n := jsonEscapedRune(data[i:])
				if n == 0 {
					out = append(out, data[i:i+2]...)
					i++
					continue
				}
				out = fmt.Appendf(out, "\\U%08X", r)
				i += n - 2
			default:
				out = append(out, data[i:i+2]...)
			}
			i++
		default:
			out = append(out, c)
		}
	}
	return out
}

// jsonEscapedRune decodes a \uXXXX escape, or a surrogate pair of them, at
// the start of b and returns the rune and the bytes used (0 if malformed).
// A lone surrogate becomes U+FFFD, as encoding/json does.
func jsonEscapedRune(b []byte) (rune, int) {
	hex := func(b []byte) (rune, bool) {
		if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(b[2:6]), 16, 32)
		return rune(v), err == nil
	}
	r, ok := hex(b)
	if !ok {
		return 0, 0
	}
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	if r2, ok := hex(b[6:]); ok {
		if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
			return dec, 12
		}
	}
	return utf8.RuneError, 6
}

// yamlParserErrors are the messages of yaml.v3's parser (as opposed to its
// scanner). For these it reports a 0-based line, one less than the line of the
// construct at fault; yamlProblem corrects that.
var yamlParserErrors = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found undefined tag handle":             true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

func yamlProblem(err error) Problem {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if yamlParserErrors[m[2]] {
			line++
		}
		return Problem{Line: line, Message: m[2]}
	}
	return Problem{Line: 1, Message: strings.TrimPrefix(msg, "yaml: ")}
}

// decoder fills Go values from YAML nodes, guided by the Go types' yaml tags.
// It meets no aliases (checkTree refused them), so it reads each node at
// most once, and its depth is bounded by the types (there is no recursive
// type in a Definition).
type decoder struct {
	pos   Lines
	probs Problems
	// limited: the document is a journey, whose lists are bounded by
	// MaxSteps and MaxListItems; longer ones are refused, not decoded.
	limited bool
}

func (d *decoder) problem(line int, field, format string, args ...any) {
	d.probs = append(d.probs, Problem{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

var (
	durationType = reflect.TypeFor[Duration]()
	spanType     = reflect.TypeFor[Span]()
	kindsType    = reflect.TypeFor[Kinds]()
)

// value decodes n into v. path names v; line is where it was introduced (the
// key's line for a field, the item's line for a list item).
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string, line int) {
	if _, seen := d.pos[path]; !seen {
		d.pos[path] = line
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // absent
	}
	switch t := v.Type(); {
	case t == durationType, t == spanType:
		if n.Kind != yaml.ScalarNode {
			d.problem(n.Line, path, "must be a duration such as 4d or 36h")
			return
		}
		span, err := ParseSpan(n.Value)
		if err != nil {
			d.problem(n.Line, path, "%v", err)
			return
		}
		if t == spanType {
			v.Set(reflect.ValueOf(span))
		} else {
			v.SetInt(int64(span.Duration()))
		}
	case t == kindsType:
		if n.Kind == yaml.ScalarNode {
			var s string
			if d.scalarString(n, path, &s) {
				v.Set(reflect.ValueOf(Kinds{s}))
			}
			return
		}
		d.list(n, v, path)
	case t.Kind() == reflect.Pointer:
		p := reflect.New(t.Elem())
		d.value(n, p.Elem(), path, line)
		v.Set(p)
	case t.Kind() == reflect.Struct:
		d.object(n, v, path)
	case t.Kind() == reflect.Slice:
		d.list(n, v, path)
	case t.Kind() == reflect.Map:
		d.dict(n, v, path)
	case t.Kind() == reflect.String:
		var s string
		if d.scalarString(n, path, &s) {
			v.SetString(s)
		}
	case t.Kind() == reflect.Int:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			d.problem(n.Line, path, "must be a whole number")
			return
		}
		var i int
		if err := n.Decode(&i); err != nil {
			d.problem(n.Line, path, "must be a whole number")
			return
		}
		v.SetInt(int64(i))
	case t.Kind() == reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
			d.problem(n.Line, path, "must be a number")
			return
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			d.problem(n.Line, path, "must be a number")
			return
		}
		v.SetFloat(f)
	case t.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.problem(n.Line, path, "must be true or false")
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.problem(n.Line, path, "must be true or false")
			return
		}
		v.SetBool(b)
	default:
		panic("journey: no decoder for " + t.String())
	}
}

func (d *decoder) scalarString(n *yaml.Node, path string, s *string) bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.problem(n.Line, path, "must be a string%s", quoteHint(n))
		return false
	}
	*s = n.Value
	return true
}

// quoteHint suggests quoting a scalar YAML read as something else (id: 2024).
func quoteHint(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf(" (quote it: %q)", n.Value)
	}
	return ""
}

// object decodes a mapping into a struct, reporting unknown and repeated
// fields.
func (d *decoder) object(n *yaml.Node, v reflect.Value, path string) {
	what := "an object"
	if path != "" {
		what = "an object with fields " + strings.Join(fieldNames(v.Type()), ", ")
	}
	if n.Kind != yaml.MappingNode {
		d.problem(n.Line, path, "must be %s", what)
		return
	}
	fields := structFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.problem(n.Content[i].Line, path, "field names must be strings")
			continue
		}
		field := joinField(path, k.Value)
		if k.Value == "<<" {
			d.problem(k.Line, field, "merge keys (<<) are not supported; write the fields out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.problem(k.Line, field, "repeated; first given on line %d", first)
			continue
		}
		seen[k.Value] = k.Line
		idx, ok := fields[k.Value]
		if !ok {
			d.problem(k.Line, field, "unknown field%s", suggest(k.Value, fieldNames(v.Type())))
			continue
		}
		d.value(val, v.Field(idx), field, k.Line)
	}
}

// list decodes a sequence into a slice.
func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.problem(n.Line, path, "must be a list")
		return
	}
	if d.limited {
		limit, what := MaxListItems, "items"
		switch {
		case path == "steps":
			limit, what = MaxSteps, "steps"
		case v.Type() == kindsType:
			what = "signal kinds"
		}
		if len(n.Content) > limit {
			d.problem(d.pos.Line(path), path, "%s", tooMany(len(n.Content), limit, what))
			return
		}
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, s.Index(i), indexField(path, i), item.Line)
	}
	v.Set(s)
}

// dict decodes a mapping into a map with string keys.
func (d *decoder) dict(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(n.Line, path, "must be a mapping")
		return
	}
	if entries := len(n.Content) / 2; d.limited && entries > MaxListItems {
		d.problem(d.pos.Line(path), path, "%s", tooMany(entries, MaxListItems, "entries"))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.problem(n.Content[i].Line, path, "keys must be strings")
			continue
		}
		field := joinField(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.problem(k.Line, field, "repeated; first given on line %d", first)
			continue
		}
		seen[k.Value] = k.Line
		e := reflect.New(v.Type().Elem()).Elem()
		d.value(val, e, field, k.Line)
		m.SetMapIndex(reflect.ValueOf(k.Value), e)
	}
	v.Set(m)
}

// structFields maps yaml names to field indexes.
func structFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			m[name] = i
		}
	}
	return m
}

// fieldNames lists a struct's yaml names in declaration order.
func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	return names
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// suggest returns `; did you mean "x"?` for the closest known name, if close.
func suggest(got string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(got, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the edit distance of two short strings, counting a swap
// of neighbouring letters as one edit ("stpe" is one edit from "step", two
// from "type"), as typos are.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	// d[i][j] is the distance of a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// sortedKeys returns a map's keys in order, for deterministic problem lists.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
