package api_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// designRoles is the route table of DESIGN.md (HTTP API), written out
// independently of the router: who may use each route. nil is public;
// admin may use every route and is not listed. /readyz and /metrics are
// not here: they are the ops listener's (health_test.go).
var designRoles = map[string][]string{
	"GET /healthz":      nil,
	"GET /openapi.yaml": nil,

	"GET /v1/personas":      {"marketing"},
	"GET /v1/personas/{id}": {"marketing"},
	"PUT /v1/personas/{id}": {"marketing"},
	"GET /v1/products":      {"marketing", "sales"},
	"GET /v1/products/{id}": {"marketing", "sales"},
	"PUT /v1/products/{id}": {"marketing"},
	"GET /v1/content":       {"marketing"},
	"GET /v1/content/{id}":  {"marketing"},
	"PUT /v1/content/{id}":  {"marketing"},

	"GET /v1/customers":      {"marketing", "sales"},
	"GET /v1/customers/{id}": {"marketing", "sales"},
	"PUT /v1/customers/{id}": {"marketing"},

	"GET /v1/owners":      {},
	"GET /v1/owners/{id}": {},
	"PUT /v1/owners/{id}": {},

	"GET /v1/journeys":                   {"marketing"},
	"GET /v1/journeys/{id}":              {"marketing"},
	"PUT /v1/journeys/{id}":              {"marketing"},
	"DELETE /v1/journeys/{id}":           {"marketing"},
	"GET /v1/journeys/{id}/versions":     {"marketing"},
	"POST /v1/journeys/{id}/simulate":    {"marketing"},
	"POST /v1/journeys/{id}/enrollments": {"marketing"},
	"GET /v1/journeys/{id}/report":       {"marketing"},

	"GET /v1/sites":         {"marketing"},
	"GET /v1/sites/{id}":    {"marketing"},
	"PUT /v1/sites/{id}":    {"marketing"},
	"DELETE /v1/sites/{id}": {"marketing"},

	"GET /v1/journeys/{id}/runs/{customerID}":          {"marketing", "sales"},
	"POST /v1/journeys/{id}/runs/{customerID}/signals": {"marketing", "sales"},
	"GET /v1/customers/{id}/runs":                      {"marketing", "sales"},
	"GET /v1/runs":                                     {"marketing", "sales"},

	"POST /v1/events": {"marketing"},

	"GET /v1/handoffs":                {"sales"},
	"GET /v1/handoffs/{id}":           {"sales"},
	"POST /v1/handoffs/{id}/feedback": {"sales"},

	"GET /v1/webhooks/{id}":            {},
	"PUT /v1/webhooks/{id}":            {},
	"DELETE /v1/webhooks/{id}":         {},
	"GET /v1/webhooks/{id}/deliveries": {},

	"GET /r/{token}":          nil,
	"HEAD /r/{token}":         nil,
	"GET /f/{token}":          nil,
	"POST /f/{token}":         nil,
	"GET /u/{token}":          nil,
	"POST /u/{token}":         nil,
	"POST /webhooks/sendgrid": nil,

	"GET /h/{token}":             nil,
	"POST /h/{token}":            nil,
	"GET /inbox":                 nil,
	"GET /inbox/login":           nil,
	"POST /inbox/login":          nil,
	"GET /inbox/signin/{token}":  nil,
	"POST /inbox/signin/{token}": nil,
	"POST /inbox/handoffs/{id}":  nil,
	"POST /inbox/logout":         nil,

	"GET /console":                           nil,
	"GET /console/static/console.css":        nil,
	"GET /console/login":                     nil,
	"POST /console/login":                    nil,
	"GET /console/signin/{token}":            nil,
	"POST /console/signin/{token}":           nil,
	"POST /console/logout":                   nil,
	"GET /console/journeys":                  nil,
	"GET /console/journeys/{id}":             nil,
	"POST /console/journeys/{id}":            nil,
	"GET /console/journeys/{id}/diff":        nil,
	"GET /console/journeys/{id}/simulate":    nil,
	"POST /console/journeys/{id}/simulate":   nil,
	"GET /console/handoffs":                  nil,
	"GET /console/content":                   nil,
	"GET /console/content/{id}":              nil,
	"GET /console/content/{id}/preview.html": nil,
	"POST /console/content/{id}/test":        nil,
	"GET /console/runs":                      nil,
	"GET /console/runs/{journey}/{customer}": nil,
	"GET /v1/users":                          {},
	"GET /v1/users/{id}":                     {},
	"PUT /v1/users/{id}":                     {},
	"DELETE /v1/users/{id}":                  {},

	"GET /t.js":            nil,
	"GET /t/site/{id}":     nil,
	"POST /t/collect":      nil,
	"OPTIONS /t/collect":   nil,
	"POST /t/identify":     nil,
	"OPTIONS /t/identify":  nil,
	"POST /t/fast-lane":    nil,
	"OPTIONS /t/fast-lane": nil,
}

var pathVar = regexp.MustCompile(`\{[^}]+\}`)

// TestEveryRouteAnswersEachRoleAsTheDesignSays sends each route of the
// router's table without a key and with each role's key: a role the design
// does not name is 403, no key is 401, a role it names (and admin) gets
// past authorization to the handler.
func TestEveryRouteAnswersEachRoleAsTheDesignSays(t *testing.T) {
	h := newHarness(t)
	h.seed()
	routes := h.stack.API.Routes()
	served := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		served[key] = true
		want, inDesign := designRoles[key]
		if !inDesign {
			t.Errorf("%s is served but not in DESIGN's route table (add it to designRoles)", key)
			continue
		}
		require.ElementsMatch(t, want, rt.Roles, "%s: the route table's roles differ from DESIGN", key)
		path := pathVar.ReplaceAllString(rt.Path, "x")
		for _, role := range []string{"", "marketing", "sales", "admin"} {
			t.Run(strings.ReplaceAll(key, "/", "_")+"/"+or(role, "no-key"), func(t *testing.T) {
				code, header, body := h.doWith(rt.Method, path, role, nil, nil)
				switch {
				case want == nil:
					// Public routes check their own tokens or signatures,
					// never an API key.
					require.NotContains(t, header.Get("WWW-Authenticate"), "Bearer", "a public route asks for no key: %d %s", code, body)
				case role == "":
					require.Equal(t, http.StatusUnauthorized, code, "%s", body)
					require.Contains(t, header.Get("WWW-Authenticate"), "Bearer")
				case role == "admin" || slices.Contains(want, role):
					require.NotContains(t, []int{401, 403}, code, "%s may use it: %s", role, body)
				default:
					require.Equal(t, http.StatusForbidden, code, "%s", body)
					require.Equal(t, "application/problem+json", header.Get("Content-Type"))
				}
			})
		}
	}
	for key := range designRoles {
		if !served[key] {
			t.Errorf("DESIGN's %s is not served", key)
		}
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func TestRequestsTheAPICannotReadAreRefusedWithAProblem(t *testing.T) {
	h := newHarness(t)
	h.seed()
	cases := []struct {
		name, method, path, contentType string
		body                            string
		want                            int
	}{
		{"malformed JSON is 400", "PUT", "/v1/personas/x", "application/json", `{"name": `, 400},
		{"an empty body is 400", "POST", "/v1/events", "application/json", ``, 400},
		{"two JSON values are 422", "PUT", "/v1/personas/x", "application/json", `{"name": "X"} {"name": "Y"}`, 422},
		{"a wrong JSON type names the field", "PUT", "/v1/personas/x", "application/json", `{"name": 3}`, 422},
		{"XML is 415", "PUT", "/v1/personas/x", "application/xml", `<persona/>`, 415},
		{"a journey as an image is 415", "PUT", "/v1/journeys/x", "image/png", `x`, 415},
		{"DELETE is not a method of personas: 405", "DELETE", "/v1/personas/ops-lead", "", ``, 405},
		{"POST on a read-only list: 405", "POST", "/v1/runs", "application/json", `{}`, 405},
		{"an unknown route is 404", "GET", "/v1/nothing-here", "", ``, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			header := http.Header{}
			if c.contentType != "" {
				header.Set("Content-Type", c.contentType)
			}
			code, got, body := h.doWith(c.method, c.path, "admin", []byte(c.body), header)
			require.Equal(t, c.want, code, "%s", body)
			require.Equal(t, "application/problem+json", got.Get("Content-Type"))
			p := problemOf(t, body)
			require.Equal(t, c.want, p.Status)
			if c.name == "a wrong JSON type names the field" {
				require.Equal(t, []string{"name"}, p.fields())
			}
		})
	}
}
