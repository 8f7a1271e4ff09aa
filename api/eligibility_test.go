package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
)

const proUpsellJourney = `id: automation-pro-upsell
name: Automation Pro for automation customers
offer: {kind: upsell, product: automation-suite-pro, requires: [erp-core, automation-suite]}
scoring: {points: {click: 10}}
mqn: {threshold: 40}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: rest, wait: 30d}
`

// eligibilityResults are enrolment results with the reason.
type eligibilityResults struct {
	Results []struct {
		CustomerID string `json:"customer_id"`
		Status     string `json:"status"`
		Reason     string `json:"reason"`
		WorkflowID string `json:"workflow_id"`
	} `json:"results"`
}

// customerOwning puts a customer of rep-eva with one contact and products.
func (h *harness) customerOwning(id string, products ...map[string]any) {
	h.t.Helper()
	h.json("PUT", "/v1/customers/"+id, "marketing", map[string]any{
		"name": id + " GmbH", "persona": "ops-lead",
		"owner":    map[string]any{"id": "rep-eva"},
		"contacts": []map[string]any{{"id": id + "-max", "email": "max@" + id + ".example", "first_name": "Max"}},
		"products": products,
	}, 200, nil)
}

// noRun asserts Temporal has no workflow of the ID: nothing was started.
func (h *harness) noRun(workflowID string) {
	h.t.Helper()
	_, err := h.stack.Client.DescribeWorkflowExecution(context.Background(), workflowID, "")
	var nf *serviceerror.NotFound
	require.True(h.t, errors.As(err, &nf), "%s: %v", workflowID, err)
}

func TestOffersGoOnlyToAccountsTheyFit(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.json("PUT", "/v1/journeys/automation-pro-upsell", "marketing", proUpsellJourney, 201, nil)
	erp := map[string]any{"product": "erp-core", "since": "2024-03-01", "renews_at": "2027-03-01"}
	h.customerOwning("globex", erp, map[string]any{"product": "automation-suite", "since": "2025-01-15"})
	h.customerOwning("initech", erp)

	t.Run("a customer's products round trip", func(t *testing.T) {
		var c struct {
			Products []map[string]string `json:"products"`
		}
		h.json("GET", "/v1/customers/globex", "marketing", nil, 200, &c)
		require.Equal(t, []map[string]string{
			{"product": "erp-core", "since": "2024-03-01", "renews_at": "2027-03-01"},
			{"product": "automation-suite", "since": "2025-01-15"},
		}, c.Products)
	})
	t.Run("every bad product field is named", func(t *testing.T) {
		code, body := h.do("PUT", "/v1/customers/hooli", "marketing", map[string]any{
			"name": "Hooli", "owner": map[string]any{"id": "rep-eva"},
			"contacts": []map[string]any{{"id": "hooli-max", "email": "max@hooli.example"}},
			"products": []map[string]any{{"product": "erp-core", "since": "2024-03-01"}, {"product": "erp-core", "since": "March"}},
		})
		require.Equal(t, 422, code, "%s", body)
		require.Equal(t, []string{"products[1].product", "products[1].since"}, problemOf(t, body).fields())
	})
	t.Run("a cross-sell of a product the account owns is ineligible, and no run starts", func(t *testing.T) {
		var res eligibilityResults
		h.json("POST", "/v1/journeys/erp-automation-crosssell/enrollments", "marketing",
			map[string]any{"customer_ids": []string{"globex", "acme"}}, 200, &res)
		require.Equal(t, "globex", res.Results[0].CustomerID)
		require.Equal(t, "ineligible", res.Results[0].Status)
		require.Equal(t, "owns automation-suite already", res.Results[0].Reason)
		require.Equal(t, "started", res.Results[1].Status, "an account without the product is enrolled")
		h.noRun("ripen/erp-automation-crosssell/globex")
	})
	t.Run("an upsell of an account lacking a required product is ineligible", func(t *testing.T) {
		var res eligibilityResults
		h.json("POST", "/v1/journeys/automation-pro-upsell/enrollments", "marketing",
			map[string]any{"customer_ids": []string{"initech", "globex"}}, 200, &res)
		require.Equal(t, "ineligible", res.Results[0].Status)
		require.Equal(t, "does not own automation-suite", res.Results[0].Reason)
		require.Equal(t, "started", res.Results[1].Status, "an account owning every required product is enrolled")
		h.noRun("ripen/automation-pro-upsell/initech")
	})
	t.Run("the detector does not enrol an account the offer does not fit", func(t *testing.T) {
		now := time.Now().UTC()
		_, enrolled := h.postEvents(
			map[string]any{"id": "globex-visit-1", "customer_id": "globex", "type": "visit", "topic": "process-automation", "occurred_at": now.Add(-time.Hour).Format(time.RFC3339)},
			map[string]any{"id": "globex-visit-2", "customer_id": "globex", "type": "visit", "topic": "process-automation", "occurred_at": now.Format(time.RFC3339)})
		require.Empty(t, enrolled)
		h.noRun("ripen/erp-automation-crosssell/globex")
	})
	t.Run("an order adds its product to the account, and the upsell then fits", func(t *testing.T) {
		h.postEvents(map[string]any{"id": "initech-order-1", "customer_id": "initech", "type": "order",
			"product": "automation-suite", "occurred_at": "2026-02-03T10:00:00Z"})
		var c struct {
			Products []map[string]string `json:"products"`
		}
		h.json("GET", "/v1/customers/initech", "marketing", nil, 200, &c)
		require.Contains(t, c.Products, map[string]string{"product": "automation-suite", "since": "2026-02-03"})
		var res eligibilityResults
		h.json("POST", "/v1/journeys/automation-pro-upsell/enrollments", "marketing",
			map[string]any{"customer_ids": []string{"initech"}}, 200, &res)
		require.Equal(t, "started", res.Results[0].Status)
	})
	t.Run("an order without a product is refused at its field", func(t *testing.T) {
		code, body := h.do("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{{
			"id": "initech-order-2", "customer_id": "initech", "type": "order", "occurred_at": "2026-02-03T10:00:00Z"}}})
		require.Equal(t, 422, code, "%s", body)
		require.Equal(t, []string{"events[0].product"}, problemOf(t, body).fields())
	})
	t.Run("an account with no contact of the journey's audience is ineligible, and no run starts", func(t *testing.T) {
		h.json("PUT", "/v1/personas/it-lead", "marketing", map[string]any{"name": "IT lead"}, 200, nil)
		h.json("PUT", "/v1/journeys/it-upsell", "marketing", strings.Replace(strings.Replace(proUpsellJourney,
			"id: automation-pro-upsell", "id: it-upsell", 1), "scoring:", "audience: {personas: [it-lead]}\nscoring:", 1), 201, nil)
		var res eligibilityResults
		h.json("POST", "/v1/journeys/it-upsell/enrollments", "marketing",
			map[string]any{"customer_ids": []string{"globex"}}, 200, &res)
		require.Equal(t, "ineligible", res.Results[0].Status)
		require.Equal(t, "no contact of the audience (it-lead)", res.Results[0].Reason)
		h.noRun("ripen/it-upsell/globex")

		// Once the account has an IT lead, it fits.
		h.json("PUT", "/v1/customers/globex", "marketing", map[string]any{
			"name": "globex GmbH", "persona": "ops-lead", "owner": map[string]any{"id": "rep-eva"},
			"contacts": []map[string]any{{"id": "globex-max", "email": "max@globex.example"},
				{"id": "globex-ina", "email": "ina@globex.example", "persona": "it-lead"}},
			"products": []map[string]any{{"product": "erp-core", "since": "2024-03-01"}, {"product": "automation-suite", "since": "2025-01-15"}},
		}, 200, nil)
		h.json("POST", "/v1/journeys/it-upsell/enrollments", "marketing",
			map[string]any{"customer_ids": []string{"globex"}}, 200, &res)
		require.Equal(t, "started", res.Results[0].Status)
	})
	t.Run("ineligible enrolments are counted", func(t *testing.T) {
		_, _, body := h.doAt(h.stack.OpsURL, "GET", "/metrics", "", nil, nil)
		require.True(t, strings.Contains(string(body), `ripen_enrollments_total{result="ineligible"} 3`), "metrics lack the ineligible count")
	})
}
