package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTheProductCatalogueGuardsEveryPlaceAProductIsNamed walks what a
// marketer does: misspell a product in a journey, a customer and an order,
// be told where, add it to the catalogue, and go on.
func TestTheProductCatalogueGuardsEveryPlaceAProductIsNamed(t *testing.T) {
	h := newHarness(t)
	h.seed()

	journey := strings.NewReplacer("id: erp-automation-crosssell", "id: hr-crosssell",
		"offer: {kind: cross-sell, product: automation-suite}",
		"offer: {kind: cross-sell, product: hr-suite, requires: [erp-core, payrol]}").Replace(testJourney)
	require.Contains(t, journey, "hr-suite", "the test journey changed: fix the replacer")

	t.Run("a journey naming products the catalogue lacks is refused at each line", func(t *testing.T) {
		code, body := h.do("PUT", "/v1/journeys/hr-crosssell", "marketing", journey)
		require.Equal(t, 422, code, "%s", body)
		p := problemOf(t, body)
		require.Len(t, p.Errors, 2, "%s", body)
		require.Equal(t, "offer.product", p.Errors[0].Field)
		require.Contains(t, p.Errors[0].Message, `unknown product "hr-suite": add it to the catalogue first (PUT /v1/products/hr-suite)`)
		require.Equal(t, "offer.requires[1]", p.Errors[1].Field)
		require.Contains(t, p.Errors[1].Message, `unknown product "payrol"`)
		require.Positive(t, p.Errors[0].Line)
		code, _ = h.do("GET", "/v1/journeys/hr-crosssell", "marketing", nil)
		require.Equal(t, 404, code, "nothing was published")
	})

	t.Run("once the catalogue has them, the same journey publishes", func(t *testing.T) {
		h.json("PUT", "/v1/products/hr-suite", "marketing", map[string]any{"name": "HR Suite", "description": "Payroll and leave"}, 200, nil)
		h.json("PUT", "/v1/products/payrol", "marketing", map[string]any{"name": "Payroll"}, 200, nil)
		h.json("PUT", "/v1/journeys/hr-crosssell", "marketing", journey, 201, nil)

		var got struct{ ID, Name, Description string }
		h.json("GET", "/v1/products/hr-suite", "sales", nil, 200, &got)
		require.Equal(t, "HR Suite", got.Name, "sales reads the catalogue too")
		var page struct {
			Items []struct{ ID string }
			Next  string
		}
		h.json("GET", "/v1/products?after=h&limit=2", "marketing", nil, 200, &page)
		require.Equal(t, "hr-suite", page.Items[0].ID)
		require.NotEmpty(t, page.Next)
		code, _ := h.do("PUT", "/v1/products/hr-suite", "sales", map[string]any{"name": "Renamed"})
		require.Equal(t, 403, code, "sales may not change the catalogue")
	})

	t.Run("a bad product names each field", func(t *testing.T) {
		code, body := h.do("PUT", "/v1/products/hr-suite", "marketing", map[string]any{"description": strings.Repeat("x", 2001)})
		require.Equal(t, 422, code, "%s", body)
		require.ElementsMatch(t, []string{"name", "description"}, problemOf(t, body).fields())
	})

	t.Run("a customer owning an uncatalogued product is refused at that product, and keeps what it had", func(t *testing.T) {
		code, body := h.do("PUT", "/v1/customers/acme", "marketing", map[string]any{
			"name": "Acme Renamed", "persona": "ops-lead",
			"owner":    map[string]any{"id": "rep-eva"},
			"contacts": []map[string]any{{"id": "acme-max", "email": "max@acme.example"}},
			"products": []map[string]any{{"product": "erp-core", "since": "2024-01-01"}, {"product": "erp-cor", "since": "2024-01-01"}},
		})
		require.Equal(t, 422, code, "%s", body)
		p := problemOf(t, body)
		require.Equal(t, []string{"products[1].product"}, p.fields())
		require.Contains(t, p.Errors[0].Message, `unknown product "erp-cor"`)
		var c struct{ Name string }
		h.json("GET", "/v1/customers/acme", "marketing", nil, 200, &c)
		require.Equal(t, "acme GmbH", c.Name)
	})

	t.Run("an order of an uncatalogued product is refused at its field, and no event of the batch is kept", func(t *testing.T) {
		at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
		code, body := h.do("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{
			{"id": "visit-ok", "customer_id": "acme", "type": "visit", "topic": "process-automation", "occurred_at": at},
			{"id": "order-typo", "customer_id": "acme", "type": "order", "product": "hr-suit", "occurred_at": at},
		}})
		require.Equal(t, 422, code, "%s", body)
		p := problemOf(t, body)
		require.Equal(t, []string{"events[1].product"}, p.fields())
		require.Contains(t, p.Errors[0].Message, `unknown product "hr-suit"`)

		var res struct{ Accepted, Duplicates int }
		h.json("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{
			{"id": "visit-ok", "customer_id": "acme", "type": "visit", "topic": "process-automation", "occurred_at": at},
			{"id": "order-ok", "customer_id": "acme", "type": "order", "product": "hr-suite", "occurred_at": at},
		}}, 200, &res)
		require.Equal(t, 2, res.Accepted, "the refused batch stored nothing, so both are new now")
		var c struct{ Products []struct{ Product string } }
		h.json("GET", "/v1/customers/acme", "marketing", nil, 200, &c)
		require.Equal(t, "hr-suite", c.Products[len(c.Products)-1].Product, "the order added the product")
	})
}
