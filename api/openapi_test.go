package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"

	"github.com/ripen/ripen/codec"
	"github.com/ripen/ripen/journey"
)

// The OpenAPI document (api/openapi.yaml, served at /openapi.yaml) is the
// contract other teams integrate with. These tests keep it in step with the
// route table, the roles, and the journey format's JSON Schema.

var openapiMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// specDoc parses the embedded document, the bytes GET /openapi.yaml serves.
func specDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(openapiSpec, &doc); err != nil {
		t.Fatalf("api/openapi.yaml does not parse: %v", err)
	}
	if doc == nil {
		t.Fatal("api/openapi.yaml is empty")
	}
	return doc
}

// specOp is one operation of the document.
type specOp struct {
	method, path string
	op           map[string]any
	item         map[string]any // the path item, for its shared parameters
}

// specOps lists the operations by "METHOD /path".
func specOps(t *testing.T, doc map[string]any) map[string]specOp {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("the document has no paths object")
	}
	ops := map[string]specOp{}
	for path, v := range paths {
		item, ok := v.(map[string]any)
		if !ok {
			t.Errorf("paths[%q] is not an object", path)
			continue
		}
		for _, m := range openapiMethods {
			if o, ok := item[m]; ok {
				op, ok := o.(map[string]any)
				if !ok {
					t.Errorf("%s %s is not an object", strings.ToUpper(m), path)
					continue
				}
				ops[strings.ToUpper(m)+" "+path] = specOp{method: strings.ToUpper(m), path: path, op: op, item: item}
			}
		}
	}
	return ops
}

// muxVar drops a gorilla/mux pattern from a path variable: {id:[0-9]+} → {id}.
var muxVar = regexp.MustCompile(`\{([^}:]+)(:[^}]*)?\}`)

func routeKey(r route) string { return r.Method + " " + muxVar.ReplaceAllString(r.Path, "{$1}") }

func testRoutes() []route {
	// New, not a zero Server: the table's handlers are methods on it.
	return New(UseCases{}, Config{}, zerolog.Nop(), nil).routeTable()
}

func TestOpenAPIMatchesRouteTable(t *testing.T) {
	doc := specDoc(t)
	ops := specOps(t, doc)
	routes := map[string]route{}
	for _, r := range testRoutes() {
		routes[routeKey(r)] = r
	}
	for _, k := range slices.Sorted(maps.Keys(routes)) {
		if _, ok := ops[k]; !ok {
			t.Errorf("route %s is missing from api/openapi.yaml", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ops)) {
		if _, ok := routes[k]; !ok {
			t.Errorf("api/openapi.yaml describes %s, which the router does not serve", k)
		}
	}

	for _, k := range slices.Sorted(maps.Keys(ops)) {
		r, ok := routes[k]
		if !ok {
			continue
		}
		o := ops[k]
		roles, hasRoles, err := stringList(o.op["x-roles"])
		if err != nil {
			t.Errorf("%s: x-roles: %v", k, err)
		}
		security, hasSecurity := o.op["security"]
		secList, _ := security.([]any)
		if r.Roles == nil {
			if hasRoles && len(roles) > 0 {
				t.Errorf("%s is public, but its x-roles are %v", k, roles)
			}
			if !hasSecurity || security == nil || len(secList) != 0 {
				t.Errorf("%s is public: it needs `security: []`", k)
			}
			continue
		}
		want := slices.Sorted(slices.Values(r.Roles))
		if got := slices.Sorted(slices.Values(roles)); !slices.Equal(got, want) {
			t.Errorf("%s: x-roles are %v, the route table says %v", k, got, want)
		}
		if hasSecurity && len(secList) == 0 {
			t.Errorf("%s needs a role, but its security is empty (public)", k)
		}
		desc, _ := o.op["description"].(string)
		for _, role := range r.Roles {
			if !strings.Contains(desc, role) {
				t.Errorf("%s: the description does not name the role %s", k, role)
			}
		}
		responses, _ := o.op["responses"].(map[string]any)
		for _, code := range []string{"401", "403"} {
			if _, ok := responses[code]; !ok {
				t.Errorf("%s needs a role, so it may answer %s; the document does not say so", k, code)
			}
		}
	}
}

func TestOpenAPIOperations(t *testing.T) {
	doc := specDoc(t)
	if v, _ := doc["openapi"].(string); v != "3.1.0" {
		t.Errorf("openapi is %q, want 3.1.0", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Error("info needs a title and a version")
	}
	if !strings.Contains(fmt.Sprint(doc["servers"]), "http://127.0.0.1:8080") {
		t.Error("servers should list http://127.0.0.1:8080")
	}
	scheme, _ := lookup(doc, "/components/securitySchemes/bearerAuth")
	if m, _ := scheme.(map[string]any); m["type"] != "http" || m["scheme"] != "bearer" {
		t.Errorf("components.securitySchemes.bearerAuth is %v, want an http bearer scheme", scheme)
	}
	if !strings.Contains(fmt.Sprint(doc["security"]), "bearerAuth") {
		t.Error("the document's default security should be bearerAuth")
	}

	ops := specOps(t, doc)
	ids := map[string]string{}
	success := regexp.MustCompile(`^[23]([0-9][0-9]|XX)$`)
	for _, k := range slices.Sorted(maps.Keys(ops)) {
		o := ops[k]
		id, _ := o.op["operationId"].(string)
		switch {
		case id == "":
			t.Errorf("%s has no operationId", k)
		case ids[id] != "":
			t.Errorf("%s and %s share the operationId %s", ids[id], k, id)
		default:
			ids[id] = k
		}
		if s, _ := o.op["summary"].(string); s == "" {
			t.Errorf("%s has no summary", k)
		}
		responses, _ := o.op["responses"].(map[string]any)
		if !slices.ContainsFunc(slices.Collect(maps.Keys(responses)), success.MatchString) {
			t.Errorf("%s has no 2xx or 3xx response", k)
		}
		for code, resp := range responses {
			if !strings.HasPrefix(code, "4") {
				continue
			}
			resp = deref(doc, resp)
			content, _ := lookup(resp, "/content")
			c, _ := content.(map[string]any)
			if c["text/html"] != nil && slices.Contains(publicPages, k) {
				continue // contacts get pages, not problem documents
			}
			if c["application/problem+json"] == nil {
				t.Errorf("%s: the %s response is not application/problem+json", k, code)
			}
		}
		checkPathParams(t, doc, o)
	}
}

// checkPathParams: every {variable} of the path is a required path
// parameter, and no path parameter is declared that the path lacks.
// publicPages are the routes a contact's (or a rep's) browser opens.
var publicPages = []string{"GET /r/{token}", "HEAD /r/{token}", "GET /f/{token}", "POST /f/{token}", "GET /u/{token}", "POST /u/{token}",
	"GET /h/{token}", "POST /h/{token}", "GET /inbox", "GET /inbox/login", "POST /inbox/login", "GET /inbox/signin/{token}",
	"POST /inbox/signin/{token}", "POST /inbox/handoffs/{id}", "POST /inbox/logout"}

func checkPathParams(t *testing.T, doc map[string]any, o specOp) {
	t.Helper()
	k := o.method + " " + o.path
	declared := map[string]bool{}
	for _, src := range []any{o.item["parameters"], o.op["parameters"]} {
		list, _ := src.([]any)
		for _, p := range list {
			pm, _ := deref(doc, p).(map[string]any)
			if pm["in"] != "path" {
				continue
			}
			name, _ := pm["name"].(string)
			declared[name] = true
			if pm["required"] != true {
				t.Errorf("%s: the path parameter %s must be required", k, name)
			}
		}
	}
	inPath := map[string]bool{}
	for _, m := range muxVar.FindAllStringSubmatch(o.path, -1) {
		inPath[m[1]] = true
		if !declared[m[1]] {
			t.Errorf("%s: the path parameter %s is not declared", k, m[1])
		}
	}
	for name := range declared {
		if !inPath[name] {
			t.Errorf("%s declares a path parameter %s that its path lacks", k, name)
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := specDoc(t)
	n := 0
	walk(doc, "#", func(at string, m map[string]any) {
		refs := map[string]any{}
		if r, ok := m["$ref"]; ok {
			refs["$ref"] = r
		}
		if d, ok := m["discriminator"].(map[string]any); ok {
			mapping, _ := d["mapping"].(map[string]any)
			for k, v := range mapping {
				refs["discriminator.mapping."+k] = v
			}
		}
		for key, r := range refs {
			n++
			ref, ok := r.(string)
			if !ok {
				t.Errorf("%s: %s is not a string", at, key)
				continue
			}
			if !strings.HasPrefix(ref, "#/") {
				t.Errorf("%s: %s %q points outside the document", at, key, ref)
				continue
			}
			if _, err := lookup(doc, strings.TrimPrefix(ref, "#")); err != nil {
				t.Errorf("%s: %s %q does not resolve: %v", at, key, ref, err)
			}
		}
	})
	if n == 0 {
		t.Error("the document has no $ref at all; is it the right file?")
	}
}

// TestOpenAPIJourneySchemaInStep: the document restates the journey format
// (journey/journey.schema.json) as components; apart from descriptions and
// where the references point, they must say the same.
func TestOpenAPIJourneySchemaInStep(t *testing.T) {
	doc := specDoc(t)
	var js map[string]any
	if err := json.Unmarshal(journey.Schema, &js); err != nil {
		t.Fatalf("journey.Schema: %v", err)
	}
	def, err := lookup(doc, "/components/schemas/JourneyDefinition")
	if err != nil {
		t.Fatalf("components.schemas.JourneyDefinition: %v", err)
	}
	want := normalize(inline(js, js, 0))
	for _, k := range []string{"$schema", "$id", "title", "$defs"} {
		delete(want.(map[string]any), k)
	}
	got := normalize(inline(doc, def, 0))
	for _, d := range diff("JourneyDefinition", got, want) {
		t.Errorf("openapi.yaml differs from journey/journey.schema.json: %s", d)
	}
}

// outsideTheTable are the routes the router serves beyond the route table,
// and so beyond the document, each with the reason.
var outsideTheTable = map[string]string{
	"/codec/": "the Temporal Web UI's remote payload codec (POST /codec/encode, /codec/decode and their CORS " +
		"preflight): Temporal's protocol, not ripen's API. Served only with RIPEN_CODEC_KEYS, outside the " +
		"API-key middleware (the UI's preflight carries no key), and documented in docs/operations.md.",
}

// TestEveryServedRouteIsInTheTable walks the router as production builds it
// (with the codec on): every route it serves is the route table's, which
// TestOpenAPIMatchesRouteTable holds to the document, or is named in
// outsideTheTable with its reason.
func TestEveryServedRouteIsInTheTable(t *testing.T) {
	cod, err := codec.New("k1:" + base64.StdEncoding.EncodeToString(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	s := New(UseCases{}, Config{Codec: cod}, zerolog.Nop(), nil)
	table := map[string]bool{}
	for _, r := range s.routeTable() {
		table[r.Method+" "+r.Path] = true
	}
	// Handler wraps this router in middleware that adds headers only.
	router := s.router()
	exempt := map[string]bool{}
	err = router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, _ := route.GetMethods()
		if _, ok := outsideTheTable[path]; ok {
			exempt[path] = true
			return nil
		}
		if len(methods) == 0 {
			t.Errorf("%s is served for every method, outside the route table", path)
		}
		for _, m := range methods {
			if !table[m+" "+path] {
				t.Errorf("%s %s is served but not in the route table (nor in outsideTheTable)", m, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path := range outsideTheTable {
		if !exempt[path] {
			t.Errorf("outsideTheTable names %s, which the router does not serve: drop it", path)
		}
		if ops := specOps(t, specDoc(t)); slices.ContainsFunc(slices.Collect(maps.Keys(ops)), func(k string) bool { return strings.Contains(k, path) }) {
			t.Errorf("%s is in the document after all: drop it from outsideTheTable", path)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	rec := httptest.NewRecorder()
	(&Server{}).openapi(rec, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/yaml" {
		t.Errorf("GET /openapi.yaml: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec.Body.Len() == 0 || rec.Body.String() != string(openapiSpec) {
		t.Error("GET /openapi.yaml does not serve api/openapi.yaml")
	}
}

// stringList reads a YAML list of strings; ok says whether it was there.
func stringList(v any) (list []string, ok bool, err error) {
	if v == nil {
		return nil, false, nil
	}
	items, isList := v.([]any)
	if !isList {
		return nil, true, fmt.Errorf("want a list of roles, got %v", v)
	}
	for _, it := range items {
		s, isString := it.(string)
		if !isString {
			return nil, true, fmt.Errorf("want a list of roles, got %v", v)
		}
		list = append(list, s)
	}
	return list, true, nil
}

// lookup resolves a JSON pointer ("/components/schemas/Problem") in v.
func lookup(v any, pointer string) (any, error) {
	if pointer == "" {
		return v, nil
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, fmt.Errorf("%q is not a JSON pointer", pointer)
	}
	cur := v
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("no %q", tok)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("no element %q", tok)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("%q is inside a scalar", tok)
		}
	}
	return cur, nil
}

// deref follows a local $ref (once per level) in doc.
func deref(doc map[string]any, v any) any {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#") {
			return v
		}
		next, err := lookup(doc, strings.TrimPrefix(ref, "#"))
		if err != nil {
			return v
		}
		v = next
	}
	return v
}

// walk calls fn on every object in v, with its location.
func walk(v any, at string, fn func(at string, m map[string]any)) {
	switch c := v.(type) {
	case map[string]any:
		fn(at, c)
		for _, k := range slices.Sorted(maps.Keys(c)) {
			walk(c[k], at+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"), fn)
		}
	case []any:
		for i, e := range c {
			walk(e, at+"/"+strconv.Itoa(i), fn)
		}
	}
}

// inline replaces each local $ref in v by what it points to in doc, merged
// with the $ref's siblings (JSON Schema 2020-12 allows both).
func inline(doc map[string]any, v any, depth int) any {
	if depth > 32 {
		return v // a recursive schema; the journey format has none
	}
	switch c := v.(type) {
	case map[string]any:
		out := map[string]any{}
		if ref, ok := c["$ref"].(string); ok && strings.HasPrefix(ref, "#") {
			if target, err := lookup(doc, strings.TrimPrefix(ref, "#")); err == nil {
				if tm, ok := inline(doc, target, depth+1).(map[string]any); ok {
					maps.Copy(out, tm)
				}
			}
		}
		for k, e := range c {
			if k != "$ref" {
				out[k] = inline(doc, e, depth+1)
			}
		}
		return out
	case []any:
		out := make([]any, len(c))
		for i, e := range c {
			out[i] = inline(doc, e, depth+1)
		}
		return out
	}
	return v
}

// normalize drops descriptions and gives YAML's and JSON's numbers one
// type, so two schemas can be compared.
func normalize(v any) any {
	var strip func(v any) any
	strip = func(v any) any {
		switch c := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range c {
				if k != "description" {
					out[k] = strip(e)
				}
			}
			return out
		case []any:
			out := make([]any, len(c))
			for i, e := range c {
				out[i] = strip(e)
			}
			return out
		case int:
			return float64(c)
		case int64:
			return float64(c)
		case uint64:
			return float64(c)
		}
		return v
	}
	return strip(v)
}

// diff lists where got and want differ.
func diff(at string, got, want any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %v, want an object", at, got)}
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if _, ok := g[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s is missing", at, k))
				continue
			}
			out = append(out, diff(at+"."+k, g[k], w[k])...)
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s is not in the journey schema", at, k))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: %v, want %v", at, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, diff(at+"["+strconv.Itoa(i)+"]", g[i], w[i])...)
		}
		return out
	}
	if got != want {
		return []string{fmt.Sprintf("%s: %v, want %v", at, got, want)}
	}
	return nil
}
