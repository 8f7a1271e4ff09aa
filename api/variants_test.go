package api_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Personas per contact and content variants go through the API as they
// are, and every mistake is named at its field.
func TestContactPersonasAndContentVariantsThroughTheAPI(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.json("PUT", "/v1/personas/it-lead", "marketing", map[string]any{"name": "Head of IT"}, 200, nil)

	content := map[string]any{
		"title": "Checklist", "topic": "process-automation", "url": "https://example.com/c",
		"email": map[string]any{"subject": "Base", "text": "Read {{.Content.URL}}"},
		"variants": []map[string]any{
			{"persona": "it-lead", "locale": "de", "email": map[string]any{"subject": "IT", "text": "Lesen {{.Content.URL}}"}},
			{"persona": "it-lead", "locale": "de_at!", "email": map[string]any{"subject": "x", "text": "x"}},
			{"email": map[string]any{"subject": "x", "text": "x"}},
			{"persona": "ghost", "email": map[string]any{"subject": "x"}},
		},
	}
	code, body := h.do("PUT", "/v1/content/variant-checklist", "marketing", content)
	require.Equal(t, 422, code, "%s", body)
	require.Equal(t, []string{"variants[1].locale", "variants[2]", "variants[3].email", "variants[3].persona"}, problemOf(t, body).fields(), "%s", body)

	content["variants"] = content["variants"].([]map[string]any)[:1]
	var got struct {
		Variants []struct{ Persona, Locale string } `json:"variants"`
	}
	h.json("PUT", "/v1/content/variant-checklist", "marketing", content, 200, &got)
	require.Len(t, got.Variants, 1)
	require.Equal(t, "it-lead", got.Variants[0].Persona)
	require.Equal(t, "de", got.Variants[0].Locale)

	customer := map[string]any{
		"name": "Initech", "persona": "ops-lead", "owner": map[string]any{"id": "rep-eva"},
		"contacts": []map[string]any{
			{"id": "initech-ina", "email": "ina@initech.example", "persona": "it-lead"},
			{"id": "initech-bob", "email": "bob@initech.example", "persona": "ghost"},
		},
	}
	code, body = h.do("PUT", "/v1/customers/initech", "marketing", customer)
	require.Equal(t, 422, code, "%s", body)
	require.Equal(t, []string{"contacts[1].persona"}, problemOf(t, body).fields(), "%s", body)

	customer["contacts"] = customer["contacts"].([]map[string]any)[:1]
	var cust struct {
		Contacts []struct{ Persona string } `json:"contacts"`
	}
	h.json("PUT", "/v1/customers/initech", "marketing", customer, 200, &cust)
	require.Equal(t, "it-lead", cust.Contacts[0].Persona)
}
