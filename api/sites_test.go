package api_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Marketing registers the company website: its origins, which paths are
// about which topic, what counts as a download, and whether visitors must
// consent first. Mistakes are named by field; sales may not do it.
func TestAWebsiteIsRegisteredWithItsRules(t *testing.T) {
	h := newHarness(t)
	site := map[string]any{
		"origins":   []string{"https://www.example.com", "http://127.0.0.1:8090"},
		"topics":    []map[string]any{{"path": "/automation/*", "topic": "process-automation"}},
		"downloads": []string{"*.pdf"},
	}
	var got struct {
		ID        string              `json:"id"`
		Origins   []string            `json:"origins"`
		Topics    []map[string]string `json:"topics"`
		Downloads []string            `json:"downloads"`
		Consent   string              `json:"consent"`
	}
	h.json("PUT", "/v1/sites/www", "marketing", site, 200, &got)
	require.Equal(t, "www", got.ID)
	require.Equal(t, "required", got.Consent, "consent is required unless the site says otherwise")
	h.json("GET", "/v1/sites/www", "marketing", nil, 200, &got)
	require.Equal(t, []map[string]string{{"path": "/automation/*", "topic": "process-automation"}}, got.Topics)
	require.Equal(t, []string{"*.pdf"}, got.Downloads)

	code, body := h.do("PUT", "/v1/sites/www", "marketing", map[string]any{
		"origins": []string{"https://www.example.com/shop"}, "topics": []map[string]any{{"path": "automation", "topic": "x"}}, "consent": "maybe"})
	require.Equal(t, 422, code, "%s", body)
	require.Equal(t, []string{"origins[0]", "topics[0].path", "consent"}, problemOf(t, body).fields())
	h.json("GET", "/v1/sites/www", "marketing", nil, 200, &got)
	require.Equal(t, []string{"https://www.example.com", "http://127.0.0.1:8090"}, got.Origins, "a refused PUT changes nothing")

	code, _ = h.do("PUT", "/v1/sites/www", "sales", site)
	require.Equal(t, 403, code)
	var list struct {
		Sites []map[string]any `json:"sites"`
	}
	h.json("GET", "/v1/sites", "marketing", nil, 200, &list)
	require.Len(t, list.Sites, 1)
	code, _ = h.do("DELETE", "/v1/sites/www", "marketing", nil)
	require.Equal(t, 204, code)
	code, _ = h.do("GET", "/v1/sites/www", "marketing", nil)
	require.Equal(t, 404, code)
	code, _ = h.do("DELETE", "/v1/sites/www", "marketing", nil)
	require.Equal(t, 404, code)
}
