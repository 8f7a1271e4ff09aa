package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/ripen/ripen/app"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/devstack"
	"github.com/ripen/ripen/internal/testlog"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// harness is the whole stack in-process: embedded Temporal, a fresh
// Postgres database, the local SendGrid server, the worker and the API.
type harness struct {
	t     *testing.T
	stack *devstack.Stack
	keys  map[string]string // role → API key
}

func newHarness(t *testing.T) *harness { return newHarnessWith(t, nil) }

// newHarnessWith lets tune change the stack's options before it starts.
func newHarnessWith(t *testing.T, tune func(*devstack.Options)) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := devstack.Options{
		DatabaseURL: storetest.NewDatabase(t), UIPort: -1,
		Log: testlog.New(t, zerolog.WarnLevel),
	}
	if tune != nil {
		tune(&o)
	}
	st, err := devstack.Start(ctx, o)
	require.NoError(t, err)
	t.Cleanup(st.Stop)
	h := &harness{t: t, stack: st, keys: map[string]string{}}
	for _, role := range []string{"marketing", "sales", "admin"} {
		key, _, err := st.Store.CreateAPIKey(ctx, role, "test "+role)
		require.NoError(t, err)
		h.keys[role] = key
	}
	for _, id := range testProducts {
		require.NoError(t, st.Store.PutProduct(ctx, store.CatalogueProduct{ID: id, Name: "Product " + id}))
	}
	return h
}

// testProducts are the catalogue the tests' journeys and customers name.
var testProducts = []string{"p", "x", "erp-core", "automation-suite", "automation-suite-pro",
	"automation-seats", "reporting-edition", "crm"}

// do sends a request as role ("" for none) and returns status and body.
func (h *harness) do(method, path, role string, body any) (int, []byte) {
	h.t.Helper()
	code, _, data := h.doAt(h.stack.APIURL, method, path, role, body, nil)
	return code, data
}

// json sends a request and decodes the answer into out, requiring status.
func (h *harness) json(method, path, role string, body any, status int, out any) {
	h.t.Helper()
	code, data := h.do(method, path, role, body)
	require.Equal(h.t, status, code, "%s %s answered %s", method, path, data)
	if out != nil {
		require.NoError(h.t, json.Unmarshal(data, out), "%s", data)
	}
}

// eventually polls cond until it holds or 20 s pass.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	require.Eventually(h.t, cond, 20*time.Second, 50*time.Millisecond, what)
}

// Fixtures in one line each.

const testJourney = `id: erp-automation-crosssell
name: Automation add-on for ERP customers
offer: {kind: cross-sell, product: automation-suite}
persona: ops-lead
detector: {topics: [process-automation], min_events: 2, within: 14d}
scoring: {points: {open: 1, click: 10, visit: 5, download: 15}, half_life: 30d}
mqn: {threshold: 40, fast_lane: [consultation, demo, price-indication]}
handoff: {sla: 2d, recycle_after: 60d, max_recycles: 2}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 4d, until: click}
  - {id: reminder, if: "!clicked('checklist')", send: automation-checklist-reminder}
  - {id: case-study, send: erp-automation-case-study}
  - {id: wait-2, wait: 14d, until: fast_lane}
  - {id: nudge, if: "score < 20 && days_in_journey < 90", goto: case-study}
`

func (h *harness) seed() {
	h.t.Helper()
	h.json("PUT", "/v1/personas/ops-lead", "marketing", map[string]any{
		"name": "Head of Operations", "pains": []string{"manual order entry"}, "goals": []string{"lead time -30%"}, "topics": []string{"process-automation"},
	}, 200, nil)
	for _, id := range []string{"automation-checklist", "automation-checklist-reminder", "erp-automation-case-study"} {
		h.json("PUT", "/v1/content/"+id, "marketing", map[string]any{
			"title": "Title of " + id, "topic": "process-automation", "stage": "awareness", "personas": []string{"ops-lead"},
			"url":   "https://example.com/" + id,
			"email": map[string]any{"subject": "{{.Contact.FirstName}}, about " + id, "html": `<p>Hello {{.Contact.FirstName}}, <a href="{{.Content.URL}}">read it</a></p>`, "text": "Read {{.Content.URL}}"},
		}, 200, nil)
	}
	h.customer("acme", "max@acme.example", "de")
	h.json("PUT", "/v1/journeys/erp-automation-crosssell", "marketing", testJourney, 201, nil)
}

func (h *harness) customer(id, email, locale string) {
	h.t.Helper()
	h.json("PUT", "/v1/customers/"+id, "marketing", map[string]any{
		"name": id + " GmbH", "persona": "ops-lead",
		"owner":    map[string]any{"id": "rep-eva", "name": "Eva Berger", "email": "eva@seller.example"},
		"contacts": []map[string]any{{"id": id + "-max", "email": email, "first_name": "Max", "last_name": "Muster", "timezone": "Europe/Berlin", "locale": locale}},
	}, 200, nil)
}

// doWith sends a request like do, with extra headers, and returns the
// response's headers too.
func (h *harness) doWith(method, path, role string, body any, header http.Header) (int, http.Header, []byte) {
	h.t.Helper()
	return h.doAt(h.stack.APIURL, method, path, role, body, header)
}

// doAt sends a request like doWith to another server (base URL), with the
// harness's keys.
func (h *harness) doAt(base, method, path, role string, body any, header http.Header) (int, http.Header, []byte) {
	h.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/yaml"
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(h.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+path, rd)
	require.NoError(h.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+h.keys[role])
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp.StatusCode, resp.Header, data
}

// problemOf decodes a problem document.
func problemOf(t *testing.T, data []byte) problemDoc {
	t.Helper()
	var p problemDoc
	require.NoError(t, json.Unmarshal(data, &p), "%s", data)
	return p
}

// problemDoc is an RFC 9457 problem as the API writes it.
type problemDoc struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
		Line    int    `json:"line"`
	} `json:"errors"`
}

// fields lists the problem's fields in order.
func (p problemDoc) fields() []string {
	out := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		out[i] = e.Field
	}
	return out
}

// appOn builds ripen's parts as the binaries do (package app), over the
// harness's store and link keys but with Temporal client tc (a wrapper that
// fails or slows calls), its webhook trusting webhookKey ("" for the
// stack's), logging to log.
func (h *harness) appOn(tc client.Client, webhookKey string, tuning app.Tuning, log zerolog.Logger) *app.App {
	h.t.Helper()
	cfg, err := config.FromEnv(func(string) string { return "" })
	require.NoError(h.t, err)
	cfg.PublicURL, cfg.SendGridWebhookKey = h.stack.APIURL, webhookKey
	return app.New(cfg, app.Deps{Store: h.stack.Store, Temporal: tc, Links: h.stack.Links, Log: log}, tuning)
}
