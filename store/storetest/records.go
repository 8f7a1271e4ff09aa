package storetest

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ripen/ripen/store"
)

// Reading records ripen itself never lists, for tests to check what was
// stored. Each helper fails the test when its query fails.

// runColumns are a store.Run's, from runs or ended_runs.
const runColumns = `
SELECT workflow_id, COALESCE(run_key, '') AS run_key, journey_id, version, customer_id,
       COALESCE(owner_id, '') AS owner_id, status, stage, score, mqn, cycle, outcome,
       started_at, updated_at, ended_at`

const sqlRunsOfCustomer = runColumns + `
FROM runs
WHERE customer_id = $1
UNION ALL` + runColumns + `
FROM ended_runs
WHERE customer_id = $1
ORDER BY started_at DESC, workflow_id`

// Runs returns a customer's runs, newest first: those in the projection and
// the ended ones kept when a newer run took their workflow ID over.
func Runs(t testing.TB, s *store.Store, customerID string) []store.Run {
	t.Helper()
	rows, _ := s.Pool().Query(t.Context(), sqlRunsOfCustomer, customerID)
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[store.Run])
	if err != nil {
		t.Fatalf("storetest: runs of customer %s: %v", customerID, err)
	}
	return rs
}

const sqlEventsOfCustomer = `
SELECT id, customer_id, contact_id, type, topic, content_id,
       url, run_id, step, note, product, source, occurred_at, received_at
FROM events
WHERE customer_id = $1
ORDER BY occurred_at, id`

// Events returns a customer's stored events, oldest first.
func Events(t testing.TB, s *store.Store, customerID string) []store.Event {
	t.Helper()
	rows, _ := s.Pool().Query(t.Context(), sqlEventsOfCustomer, customerID)
	evs, err := pgx.CollectRows(rows, pgx.RowToStructByName[store.Event])
	if err != nil {
		t.Fatalf("storetest: events of customer %s: %v", customerID, err)
	}
	return evs
}
