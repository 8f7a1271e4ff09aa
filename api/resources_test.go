package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestEveryBadFieldOfARecordIsListed(t *testing.T) {
	h := newHarness(t)
	h.seed()
	cases := []struct {
		name, path string
		body       map[string]any
		want       []string
	}{
		{"customer", "/v1/customers/umbrella", map[string]any{
			"name": "", "persona": "ghost", "owner": map[string]any{"id": "rep-x", "email": "nope"},
			"contacts": []map[string]any{
				{"id": "c1", "email": "a@b.example", "timezone": "Mars/Olympus"},
				{"id": "c1", "email": "not-an-email"},
			},
		}, []string{"name", "owner.email", "contacts[0].timezone", "contacts[1].id", "contacts[1].email", "persona"}},
		{"customer without owner or contacts", "/v1/customers/umbrella", map[string]any{
			"name": "Umbrella", "owner": map[string]any{"id": ""},
		}, []string{"owner.id", "contacts"}},
		{"content", "/v1/content/broken", map[string]any{
			"title": "", "topic": "", "url": "ftp://example.com/x", "personas": []string{"ghost", "ops-lead", "ops-lead"},
			"email": map[string]any{"subject": "only a subject"},
		}, []string{"title", "topic", "url", "email", "personas", "personas"}},
		{"persona", "/v1/personas/a%20b", map[string]any{"name": ""}, []string{"id", "name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := h.do("PUT", c.path, "marketing", c.body)
			require.Equal(t, 422, code, "%s", body)
			p := problemOf(t, body)
			require.Equal(t, c.want, p.fields(), "%s", body)
			for _, e := range p.Errors {
				require.NotEmpty(t, e.Message, e.Field)
			}
		})
	}
	// Nothing of a refused record was stored.
	h.json("GET", "/v1/customers/umbrella", "sales", nil, 404, nil)
	h.json("GET", "/v1/content/broken", "marketing", nil, 404, nil)
}

func TestJourneysArePublishedAsVersionsFromYAMLOrJSON(t *testing.T) {
	h := newHarness(t)
	h.seed() // version 1, from YAML
	var def map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(testJourney), &def))
	def["name"] = "Automation add-on, second try"
	body, err := json.Marshal(def)
	require.NoError(t, err)

	var v2 struct {
		Version    int    `json:"version"`
		Name       string `json:"name"`
		Status     string `json:"status"`
		Definition struct {
			ID    string           `json:"id"`
			Steps []map[string]any `json:"steps"`
		} `json:"definition"`
	}
	h.json("PUT", "/v1/journeys/erp-automation-crosssell", "marketing", body, 201, &v2)
	require.Equal(t, 2, v2.Version)
	require.Equal(t, "Automation add-on, second try", v2.Name)
	require.Len(t, v2.Definition.Steps, 6)

	var list struct {
		Journeys []struct {
			Version int    `json:"version"`
			Name    string `json:"name"`
		} `json:"journeys"`
	}
	h.json("GET", "/v1/journeys/erp-automation-crosssell/versions", "marketing", nil, 200, &list)
	require.Len(t, list.Journeys, 2)
	versions := map[int]string{}
	for _, j := range list.Journeys {
		versions[j.Version] = j.Name
	}
	require.Equal(t, map[int]string{1: "Automation add-on for ERP customers", 2: "Automation add-on, second try"}, versions)

	var one struct {
		Version int    `json:"version"`
		Name    string `json:"name"`
		Source  string `json:"source"`
	}
	h.json("GET", "/v1/journeys/erp-automation-crosssell?version=1", "marketing", nil, 200, &one)
	require.Equal(t, 1, one.Version)
	require.Equal(t, testJourney, one.Source, "the version keeps its YAML source")
	h.json("GET", "/v1/journeys/erp-automation-crosssell", "marketing", nil, 200, &one)
	require.Equal(t, 2, one.Version, "without ?version: the newest")
	h.json("GET", "/v1/journeys", "marketing", nil, 200, &list)
	require.Len(t, list.Journeys, 1, "one journey, at its newest version")
	require.Equal(t, 2, list.Journeys[0].Version)

	h.json("GET", "/v1/journeys/erp-automation-crosssell?version=9", "marketing", nil, 404, nil)
	h.json("GET", "/v1/journeys/erp-automation-crosssell?version=one", "marketing", nil, 422, nil)
	h.json("GET", "/v1/journeys/no-such-journey/versions", "marketing", nil, 404, nil)

	// A JSON body with the path's journey named differently is refused.
	def["id"] = "another"
	body, err = json.Marshal(def)
	require.NoError(t, err)
	code, resp := h.do("PUT", "/v1/journeys/erp-automation-crosssell", "marketing", body)
	require.Equal(t, 422, code, "%s", resp)
	require.Equal(t, []string{"id"}, problemOf(t, resp).fields())
}

func TestListsPage(t *testing.T) {
	h := newHarness(t)
	h.seed() // persona ops-lead
	for i := 1; i <= 4; i++ {
		h.json("PUT", fmt.Sprintf("/v1/personas/p%d", i), "marketing", map[string]any{"name": fmt.Sprintf("P%d", i)}, 200, nil)
	}
	type page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
		Next string `json:"next"`
	}
	ids := func(p page) []string {
		var out []string
		for _, it := range p.Items {
			out = append(out, it.ID)
		}
		return out
	}
	var p page
	h.json("GET", "/v1/personas?limit=2", "marketing", nil, 200, &p)
	require.Equal(t, []string{"ops-lead", "p1"}, ids(p))
	require.Equal(t, "p1", p.Next)
	h.json("GET", "/v1/personas?limit=2&after="+p.Next, "marketing", nil, 200, &p)
	require.Equal(t, []string{"p2", "p3"}, ids(p))
	next := p.Next
	p = page{}
	h.json("GET", "/v1/personas?limit=2&after="+next, "marketing", nil, 200, &p)
	require.Equal(t, []string{"p4"}, ids(p))
	require.Empty(t, p.Next, "the last page says so")

	h.customer("globex", "max@globex.example", "en")
	h.json("GET", "/v1/customers?limit=1", "sales", nil, 200, &p)
	require.Equal(t, []string{"acme"}, ids(p))
	h.json("GET", "/v1/customers?limit=1&after="+p.Next, "sales", nil, 200, &p)
	require.Equal(t, []string{"globex"}, ids(p))
	h.json("GET", "/v1/content?limit=1000", "marketing", nil, 200, &p)
	require.Len(t, p.Items, 3)

	for _, bad := range []string{"0", "1001", "ten"} {
		code, body := h.do("GET", "/v1/personas?limit="+bad, "marketing", nil)
		require.Equal(t, 422, code, "%s", body)
		require.Equal(t, []string{"limit"}, problemOf(t, body).fields())
	}
}

func TestSimulateAJourneyOverTheAPI(t *testing.T) {
	h := newHarness(t)
	h.seed()
	path := "/v1/journeys/erp-automation-crosssell/simulate"
	var rep struct {
		Outcome  string `json:"outcome"`
		MQN      bool   `json:"mqn"`
		Handoffs []struct {
			Reason string `json:"reason"`
			Offer  string `json:"offer"`
		} `json:"handoffs"`
		Sends []struct {
			Step string `json:"step"`
		} `json:"sends"`
	}
	h.json("POST", path, "marketing", map[string]any{"events": []map[string]any{
		{"at": "2d", "type": "click", "step": "checklist"},
		{"at": "5d", "type": "fast-lane", "offer": "demo"},
		{"at": "6d", "type": "sales-feedback", "outcome": "won"},
	}, "start": "2026-11-30T09:00:00+01:00", "timezone": "Europe/Berlin"}, 200, &rep)
	require.Equal(t, "won", rep.Outcome)
	require.True(t, rep.MQN)
	require.Len(t, rep.Handoffs, 1)
	require.Equal(t, "fast-lane", rep.Handoffs[0].Reason)
	require.Equal(t, "checklist", rep.Sends[0].Step)
	require.Empty(t, h.stack.SendGrid.Messages(), "a simulation sends nothing")

	// Every mistake, each on its field.
	code, body := h.do("POST", path, "marketing", map[string]any{"events": []map[string]any{
		{"at": "1d", "type": "teleport"},
		{"at": "2d", "type": "click", "step": "no-such-step"},
	}, "timezone": "Mars/Olympus"})
	require.Equal(t, 422, code, "%s", body)
	require.Equal(t, []string{"events[0].type", "events[1].step", "timezone"}, problemOf(t, body).fields())

	// A journey posted with the timeline is checked under "journey".
	code, body = h.do("POST", path, "marketing", map[string]any{"events": []map[string]any{},
		"journey": map[string]any{"id": "erp-automation-crosssell", "name": "x", "offer": map[string]any{"kind": "resell", "product": "p"},
			"scoring": map[string]any{"points": map[string]any{"click": 10}}, "mqn": map[string]any{"threshold": 40},
			"steps": []map[string]any{{"id": "a", "goto": "nowhere"}}}})
	require.Equal(t, 422, code, "%s", body)
	fields := problemOf(t, body).fields()
	require.NotEmpty(t, fields)
	for _, f := range fields {
		require.True(t, strings.HasPrefix(f, "journey."), "%s is under journey: %s", f, body)
	}
	require.Contains(t, fields, "journey.offer.kind")

	h.json("POST", "/v1/journeys/no-such-journey/simulate", "marketing", map[string]any{"events": []map[string]any{}}, 404, nil)
}

// PUT of a journey is idempotent: a definition equal to the newest
// published version's is that version (200), however it is written, and
// creates nothing; a changed one is a new version (201).
func TestPuttingAnUnchangedJourneyCreatesNoVersion(t *testing.T) {
	h := newHarness(t)
	h.seed() // version 1, from testJourney
	path := "/v1/journeys/erp-automation-crosssell"
	type version struct {
		Version int    `json:"version"`
		Name    string `json:"name"`
		Source  string `json:"source"`
	}
	var def map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(testJourney), &def))
	asJSON, err := json.Marshal(def)
	require.NoError(t, err)
	for name, body := range map[string]any{
		"the same YAML":            testJourney,
		"as JSON":                  asJSON,
		"reformatted, commented":   "# synced from git\n" + strings.ReplaceAll(testJourney, ": ", ":  "),
		"the same YAML, once more": testJourney,
	} {
		var v version
		code, got, resp := h.doWith("PUT", path, "marketing", body, nil)
		require.Equal(t, 200, code, "%s: %s", name, resp)
		require.Empty(t, got.Get("Location"), name)
		require.NoError(t, json.Unmarshal(resp, &v))
		require.Equal(t, 1, v.Version, name)
		require.Equal(t, testJourney, v.Source, "%s: the version keeps the source that published it", name)
	}
	var list struct {
		Journeys []version `json:"journeys"`
	}
	h.json("GET", path+"/versions", "marketing", nil, 200, &list)
	require.Len(t, list.Journeys, 1, "nothing was created")

	// A change is a new version; going back to version 1 is a change too.
	changed := strings.Replace(testJourney, "threshold: 40", "threshold: 50", 1)
	var v version
	h.json("PUT", path, "marketing", changed, 201, &v)
	require.Equal(t, 2, v.Version)
	h.json("PUT", path, "marketing", testJourney, 201, &v)
	require.Equal(t, 3, v.Version)

	// The same change sent several times at once is one version.
	again := strings.Replace(testJourney, "threshold: 40", "threshold: 45", 1)
	codes := make([]int, 6)
	versions := make([]int, 6)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			code, resp := h.do("PUT", path, "marketing", again)
			var v version
			_ = json.Unmarshal(resp, &v)
			codes[i], versions[i] = code, v.Version
		})
	}
	wg.Wait()
	slices.Sort(codes)
	require.Equal(t, []int{200, 200, 200, 200, 200, 201}, codes)
	require.Equal(t, []int{4, 4, 4, 4, 4, 4}, versions)
	h.json("GET", path+"/versions", "marketing", nil, 200, &list)
	require.Len(t, list.Journeys, 4)
}
