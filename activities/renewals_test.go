package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/ripen/ripen/internal/devstack"
	"github.com/ripen/ripen/internal/testlog"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
	"github.com/ripen/ripen/workflows"
)

// renewalJourney is an upsell of the reporting edition to accounts that
// own erp-core and crm, opened by the renewal of either within 90 days.
const renewalJourney = `id: reporting-renewal
name: Reporting edition at renewal
offer: {kind: upsell, product: reporting-edition, requires: [erp-core, crm]}
detector: {renews_within: 90d}
scoring: {points: {click: 10}}
mqn: {threshold: 10}
steps:
  - {id: pitch, send: pitch}
`

// The renewal detector against Postgres and the embedded Temporal: an
// account renewing in 30 days is enrolled, once, however often the
// detection runs (again the same day, the next day); one renewing in 200
// days is not, nor one the offer does not fit.
func TestTheRenewalDetectorEnrolsEachRenewalOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := devstack.Start(ctx, devstack.Options{DatabaseURL: storetest.NewDatabase(t), UIPort: -1, NoWorker: true,
		Log: testlog.New(t, zerolog.WarnLevel)})
	require.NoError(t, err)
	t.Cleanup(st.Stop)
	require.NoError(t, st.Store.PutContent(ctx, store.Content{ID: "pitch", Title: "Pitch", Topic: "reporting", Stage: "awareness",
		Email: store.ContentEmail{Subject: "Reporting", HTML: "<p>Reporting</p>"}}))
	for _, p := range []string{"erp-core", "crm", "reporting-edition"} {
		require.NoError(t, st.Store.PutProduct(ctx, store.CatalogueProduct{ID: p, Name: p}))
	}
	_, _, err = st.App.Journeys.Publish(ctx, "reporting-renewal", []byte(renewalJourney))
	require.NoError(t, err)
	account := func(id string, products ...store.Product) {
		require.NoError(t, st.Store.PutCustomer(ctx, store.Customer{ID: id, Name: id + " GmbH",
			Owner:    store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"},
			Contacts: []store.Contact{{ID: id + "-max", Email: "max@" + id + ".example", Timezone: "Europe/Berlin"}},
			Products: products}))
	}
	crm := store.Product{Product: "crm", Since: "2024-01-01"}
	account("soon", store.Product{Product: "erp-core", Since: "2024-01-31", RenewsAt: "2026-01-31"}, crm)
	account("later", store.Product{Product: "erp-core", Since: "2024-07-20", RenewsAt: "2026-07-20"}, crm)
	account("no-crm", store.Product{Product: "erp-core", Since: "2024-01-31", RenewsAt: "2026-01-31"})

	detect := func(day string) workflows.RenewalResult {
		t.Helper()
		res, err := st.App.Renewals.DetectRenewals(ctx, workflows.RenewalRequest{Day: day})
		require.NoError(t, err)
		return res
	}
	require.Equal(t, workflows.RenewalResult{Journeys: 1, Due: 2, Ineligible: 1, Claimed: 1, Results: map[string]int{"started": 1}},
		detect("2026-01-01"), "the account renewing in 30 days starts; the one without crm is ineligible")
	require.Equal(t, workflows.RenewalResult{Journeys: 1, Due: 2, Ineligible: 1, Results: map[string]int{}},
		detect("2026-01-01"), "the same day again: nothing is claimed")
	require.Equal(t, workflows.RenewalResult{Journeys: 1, Due: 2, Ineligible: 1, Results: map[string]int{}},
		detect("2026-01-02"), "the next day: the renewal was enrolled already")

	_, err = st.Client.DescribeWorkflowExecution(ctx, workflows.WorkflowID("reporting-renewal", "soon"), "")
	require.NoError(t, err, "the run of the account renewing in 30 days")
	for _, id := range []string{"later", "no-crm"} {
		_, err = st.Client.DescribeWorkflowExecution(ctx, workflows.WorkflowID("reporting-renewal", id), "")
		var nf *serviceerror.NotFound
		require.True(t, errors.As(err, &nf), "%s has no run: %v", id, err)
	}
	got, err := st.Store.RenewalEnrolments(ctx, "reporting-renewal")
	require.NoError(t, err)
	require.Equal(t, []store.RenewalEnrolment{{Renewal: store.Renewal{CustomerID: "soon", RenewsAt: "2026-01-31"}, Status: "started", Attempts: 1}}, got)
}
