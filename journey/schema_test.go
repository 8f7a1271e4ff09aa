package journey_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/ripen/ripen/journey"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(journey.Schema))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("journey.schema.json", doc))
	s, err := c.Compile("journey.schema.json")
	require.NoError(t, err)
	return s
}

// validateAgainstSchema reads a YAML document the way a YAML-aware editor
// would and validates it against the schema.
func validateAgainstSchema(t *testing.T, s *jsonschema.Schema, doc string) error {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal([]byte(doc), &v))
	data, err := json.Marshal(v)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	return s.Validate(inst)
}

func TestSchemaAcceptsWhatTheParserAccepts(t *testing.T) {
	s := compileSchema(t)
	docs := map[string]string{
		"design example":         string(readExample(t)),
		"minimal":                minimal,
		"until as a list":        minimal + "  - {id: w, wait: 1d12h, until: [click, fast_lane]}\n",
		"end step":               minimal + "  - {id: stop, if: \"score > 50\", end: true}\n  - {id: more, send: c}\n",
		"window to midnight":     minimal + "send_window: {from: \"20:00\", to: \"24:00\"}\n",
		"zero half life and sla": strings.Replace(minimal, "{click: 10}}", "{click: 10}, half_life: 0d}", 1) + "handoff: {sla: \"0\", recycle_after: 0w}\n",
		"wait with a zero term":  minimal + "  - {id: w, wait: 0d12h}\n",
		"longest durations":      minimal + "  - {id: w, wait: 36500d}\n  - {id: x, wait: 3153600000s}\n  - {id: y, wait: 5214w2d}\n",
		"many seconds":           minimal + "  - {id: w, wait: 2000000s}\n",
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			_, err := journey.Parse([]byte(doc))
			require.NoError(t, err)
			assert.NoError(t, validateAgainstSchema(t, s, doc))
		})
	}
}

func TestSchemaAndParserRejectTheSameMistakes(t *testing.T) {
	s := compileSchema(t)
	docs := map[string]string{
		"unknown field":               minimal + "colour: red\n",
		"unknown step field":          minimal + "  - {id: w, wait: 1d, unitl: click}\n",
		"bad duration":                minimal + "  - {id: w, wait: 4 days}\n",
		"unknown until kind":          minimal + "  - {id: w, wait: 4d, until: reply}\n",
		"until without wait":          minimal + "  - {id: w, send: x, until: click}\n",
		"two actions":                 minimal + "  - {id: w, send: x, goto: s}\n",
		"no action":                   minimal + "  - {id: w}\n",
		"offer kind":                  strings.Replace(minimal, "kind: repeat", "kind: resale", 1),
		"missing offer product":       strings.Replace(minimal, ", product: p", "", 1),
		"zero threshold":              strings.Replace(minimal, "threshold: 10", "threshold: 0", 1),
		"negative points":             strings.Replace(minimal, "click: 10", "click: -1", 1),
		"unknown points kind":         strings.Replace(minimal, "click: 10", "click: 10, like: 1", 1),
		"step id not a slug":          strings.Replace(minimal, "{id: s,", "{id: Step One,", 1),
		"no steps":                    strings.Replace(minimal, "  - {id: s, send: c}\n", "", 1) + "  []\n",
		"unknown fast-lane offer":     strings.Replace(minimal, "threshold: 10", "threshold: 10, fast_lane: [lunch]", 1),
		"bad send window day":         minimal + "send_window: {days: [monday]}\n",
		"bad send window time":        minimal + "send_window: {from: \"8:00\"}\n",
		"detector without min_events": minimal + "detector: {topics: [t], within: 3d}\n",
		"negative max_recycles":       minimal + "handoff: {max_recycles: -1}\n",
		"zero wait":                   minimal + "  - {id: w, wait: 0d}\n",
		"bare zero wait":              minimal + "  - {id: w, wait: \"0\"}\n",
		"zero detector window":        minimal + "detector: {topics: [t], min_events: 1, within: \"0\"}\n",
		"wait of 9999999 days":        minimal + "  - {id: w, wait: 9999999d}\n",
		"half life of 1048576 weeks":  strings.Replace(minimal, "{click: 10}}", "{click: 10}, half_life: 1048576w}", 1),
		"sla of 10^11 seconds":        minimal + "handoff: {sla: 100000000000s}\n",
		"201 steps":                   minimal + strings.Repeat("  - {id: s, send: c}\n", journey.MaxSteps),
		"51 signal kinds":             minimal + "  - {id: w, wait: 1d, until: [click" + strings.Repeat(", click", journey.MaxListItems) + "]}\n",
		"a condition of 501 bytes":    minimal + "  - {id: w, if: \"score > 1" + strings.Repeat(" ", journey.MaxConditionLength-8) + "\", send: c}\n",
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			_, err := journey.Parse([]byte(doc))
			assert.Error(t, err, "parser")
			assert.Error(t, validateAgainstSchema(t, s, doc), "schema")
		})
	}
}

// TestSchemaPropertiesMatchTheGoTypes walks the Go types and the schema
// together: every object in the schema lists exactly the yaml names of its
// struct, forbids other properties, and every field's json and yaml names
// agree.
func TestSchemaPropertiesMatchTheGoTypes(t *testing.T) {
	var root map[string]any
	require.NoError(t, json.Unmarshal(journey.Schema, &root))
	assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", root["$schema"])
	walkSchema(t, "", reflect.TypeFor[journey.Definition](), root, root)
}

func walkSchema(t *testing.T, path string, typ reflect.Type, sch, root map[string]any) {
	sch = resolveRef(t, sch, root)
	switch typ.Kind() {
	case reflect.Pointer:
		walkSchema(t, path, typ.Elem(), sch, root)
		return
	case reflect.Slice:
		if typ.Elem().Kind() == reflect.Struct {
			items, ok := sch["items"].(map[string]any)
			require.True(t, ok, "%s: schema has no items", path)
			walkSchema(t, path+"[]", typ.Elem(), items, root)
		}
		return
	case reflect.Struct:
		if typ.Implements(reflect.TypeFor[json.Marshaler]()) {
			return // written as a scalar (a Span is a string)
		}
	default:
		return
	}
	assert.Equal(t, false, sch["additionalProperties"], "%s: additionalProperties must be false", path)
	props, _ := sch["properties"].(map[string]any)
	var inSchema, inGo []string
	for name := range props {
		inSchema = append(inSchema, name)
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		yamlName, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		jsonName, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		assert.Equal(t, jsonName, yamlName, "%s.%s: json and yaml names differ", path, f.Name)
		inGo = append(inGo, yamlName)
		if p, ok := props[yamlName].(map[string]any); ok {
			walkSchema(t, strings.TrimPrefix(path+"."+yamlName, "."), f.Type, p, root)
		}
	}
	sort.Strings(inSchema)
	sort.Strings(inGo)
	assert.Equal(t, inGo, inSchema, "%s: schema properties differ from the Go struct %s", path, typ.Name())
}

func resolveRef(t *testing.T, sch, root map[string]any) map[string]any {
	ref, ok := sch["$ref"].(string)
	if !ok {
		return sch
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	require.True(t, ok, "unexpected $ref %s", ref)
	def, ok := root["$defs"].(map[string]any)[name].(map[string]any)
	require.True(t, ok, "no $defs/%s", name)
	return resolveRef(t, def, root)
}
