package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// fixture is a store with an owner, a persona, a customer and a published
// journey, the records most tests build on.
type fixture struct {
	s        *store.Store
	customer store.Customer
	journey  store.JourneyVersion
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))
	for _, p := range []string{"erp-core", "crm", "automation-suite", "reporting-edition"} {
		require.NoError(t, s.PutProduct(ctx, store.CatalogueProduct{ID: p, Name: p}))
	}
	c := customer("acme")
	require.NoError(t, s.PutCustomer(ctx, c))
	j, err := s.PublishJourney(ctx, journey("erp-automation-crosssell"))
	require.NoError(t, err)
	return fixture{s: s, customer: c, journey: j}
}

// customer builds a customer with owner rep-eva and one contact.
func customer(id string) store.Customer {
	return store.Customer{
		ID: id, Name: id + " GmbH", Persona: "ops-lead",
		Owner: store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"},
		Contacts: []store.Contact{{
			ID: id + "-max", Email: "max@" + id + ".example", FirstName: "Max", LastName: "Muster",
			Timezone: "Europe/Berlin", Locale: "de",
		}},
	}
}

// journey builds a journey version with a minimal cross-sell definition.
func journey(id string) store.JourneyVersion {
	def, _ := json.Marshal(map[string]any{
		"id":    id,
		"name":  "Automation add-on for ERP customers",
		"offer": map[string]string{"kind": "cross-sell", "product": "automation-suite"},
		"steps": []map[string]string{{"id": "checklist", "send": "automation-checklist"}},
	})
	return store.JourneyVersion{JourneyID: id, Name: "Automation add-on", Definition: def, Source: "id: " + id + "\n"}
}

func run(workflowID string, j store.JourneyVersion, customerID string, updated time.Time) store.Run {
	return store.Run{
		WorkflowID: workflowID, JourneyID: j.JourneyID, Version: j.Version, CustomerID: customerID,
		OwnerID: "rep-eva", Status: store.RunRunning, Stage: "nurturing", Cycle: 1,
		StartedAt: updated.Add(-time.Hour), UpdatedAt: updated,
	}
}

// requireKind asserts err is a *store.Error of kind naming field.
func requireKind(t *testing.T, err error, kind error, field string) *store.Error {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, kind, "error: %v", err)
	var se *store.Error
	require.ErrorAs(t, err, &se)
	if field != "" {
		require.Equal(t, field, se.Field, "error: %v", err)
	}
	return se
}

// requirePgCode asserts err is a Postgres error with code.
func requirePgCode(t *testing.T, err error, code string) {
	t.Helper()
	var pe *pgconn.PgError
	require.ErrorAs(t, err, &pe, "error: %v", err)
	require.Equal(t, code, pe.Code, "error: %v", err)
}
