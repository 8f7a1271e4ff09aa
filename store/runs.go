package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Run statuses: running, or how the run ended (Temporal's terms).
const (
	RunRunning    = "running"
	RunCompleted  = "completed"
	RunFailed     = "failed"
	RunCanceled   = "canceled"
	RunTerminated = "terminated"
	RunTimedOut   = "timed-out"
	// RunUnrecorded is a kept run whose end never reached the store: a
	// newer run of its workflow ID proves it ended, not how. Its EndedAt
	// is when the store last heard from it.
	RunUnrecorded = "unrecorded"
)

// Run is the projection of one customer's journey run, for reporting and
// routing. Temporal holds the live state; this row follows it. EndedAt is set
// exactly when Status is no longer running. RunKey (workflow ID/first run
// ID) tells the runs of one workflow ID apart; empty when unknown.
type Run struct {
	WorkflowID string     `json:"workflow_id" db:"workflow_id"`
	RunKey     string     `json:"run_key,omitempty" db:"run_key"`
	JourneyID  string     `json:"journey_id" db:"journey_id"`
	Version    int        `json:"version" db:"version"`
	CustomerID string     `json:"customer_id" db:"customer_id"`
	OwnerID    string     `json:"owner_id,omitempty" db:"owner_id"`
	Status     string     `json:"status" db:"status"`
	Stage      string     `json:"stage" db:"stage"`
	Score      float64    `json:"score" db:"score"`
	MQN        bool       `json:"mqn" db:"mqn"`
	Cycle      int        `json:"cycle" db:"cycle"`
	Outcome    string     `json:"outcome,omitempty" db:"outcome"`
	StartedAt  time.Time  `json:"started_at" db:"started_at"`
	UpdatedAt  time.Time  `json:"updated_at" db:"updated_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty" db:"ended_at"`
}

// The WHERE makes the projection move forward only: an update older than the
// stored one changes nothing. A row of an ended run that another run takes
// over is kept in ended_runs first (trigger runs_keep_ended).
//
// updated_at is the writer's clock: the API's when it registers a run
// (RegisterRuns), the workflow's when the run writes, and they differ. So,
// where the run keys say a running row and the write are the same run:
//   - its end wins, whatever the clocks;
//   - its first write (its own start, unlike the registration's) replaces
//     the row the API registered, and the run's clock goes on from there.
//
// Otherwise updated_at decides. The runs of a workflow ID follow one
// another on Temporal's clock, so a late write of an earlier run is older
// than the row; a write of the same run later than its end is the run
// reopened (a Temporal reset) and takes the row again. (A rule that refused
// every run started before the row's could block the next run for good when
// the row's start was the API's registration, on the API's clock.)
const sqlUpsertRun = `
INSERT INTO runs (workflow_id, journey_id, version, customer_id, owner_id, status, stage,
                  score, mqn, cycle, outcome, started_at, updated_at, ended_at, run_key)
VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6, $7, $8, $9, $10, $11, $12, $13, $14, NULLIF($15, ''))
ON CONFLICT (workflow_id) DO UPDATE SET
    run_key     = EXCLUDED.run_key,
    journey_id  = EXCLUDED.journey_id,
    version     = EXCLUDED.version,
    customer_id = EXCLUDED.customer_id,
    owner_id    = EXCLUDED.owner_id,
    status      = EXCLUDED.status,
    stage       = EXCLUDED.stage,
    score       = EXCLUDED.score,
    mqn         = EXCLUDED.mqn,
    cycle       = EXCLUDED.cycle,
    outcome     = EXCLUDED.outcome,
    started_at  = EXCLUDED.started_at,
    updated_at  = EXCLUDED.updated_at,
    ended_at    = EXCLUDED.ended_at
WHERE CASE
    WHEN (runs.run_key = EXCLUDED.run_key) IS TRUE AND runs.status = 'running'
         THEN EXCLUDED.status <> 'running' OR runs.started_at <> EXCLUDED.started_at
              OR runs.updated_at <= EXCLUDED.updated_at
    ELSE runs.updated_at <= EXCLUDED.updated_at
END`

// UpsertRun records the state of a run. It only moves forward: an update
// whose UpdatedAt is older than the stored one is ignored, so out-of-order
// retries are harmless. With run keys, the run's end (and its first write
// after RegisterRuns) wins over its running row whatever the clocks.
// Writing the same update twice is a no-op. When a new
// run (another RunKey or StartedAt) takes over the row of an ended one, the
// ended run is kept, once, in ended_runs (for LastRunEnd).
func (s *Store) UpsertRun(ctx context.Context, r Run) error {
	if r.UpdatedAt.IsZero() {
		return invalid("run", r.WorkflowID, "updated_at", "is required")
	}
	if r.StartedAt.IsZero() {
		return invalid("run", r.WorkflowID, "started_at", "is required")
	}
	_, err := s.pool.Exec(ctx, sqlUpsertRun, r.WorkflowID, r.JourneyID, r.Version, r.CustomerID,
		r.OwnerID, r.Status, r.Stage, r.Score, r.MQN, r.Cycle, r.Outcome,
		r.StartedAt, r.UpdatedAt, r.EndedAt, r.RunKey)
	return pgErr("upsert", "run", r.WorkflowID, err)
}

const sqlSelectRun = `
SELECT workflow_id, COALESCE(run_key, '') AS run_key, journey_id, version, customer_id,
       COALESCE(owner_id, '') AS owner_id, status, stage, score, mqn, cycle, outcome,
       started_at, updated_at, ended_at
FROM runs`

// GetRun returns the projection of a workflow ID's current (or last) run, or
// ErrNotFound.
func (s *Store) GetRun(ctx context.Context, workflowID string) (Run, error) {
	rows, _ := s.pool.Query(ctx, sqlSelectRun+` WHERE workflow_id = $1`, workflowID)
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Run])
	return r, pgErr("get", "run", workflowID, err)
}

// Runs that ended before the row's run began are in ended_runs.
const sqlLastRunEnd = `
SELECT max(ended_at)
FROM (SELECT ended_at FROM runs WHERE journey_id = $1 AND customer_id = $2
      UNION ALL
      SELECT ended_at FROM ended_runs WHERE journey_id = $1 AND customer_id = $2) AS r`

// LastRunEnd returns when the customer's last run of the journey ended, and
// false when none has ended: the cool-down check before enrolling again.
func (s *Store) LastRunEnd(ctx context.Context, journeyID, customerID string) (time.Time, bool, error) {
	var end *time.Time
	err := s.pool.QueryRow(ctx, sqlLastRunEnd, journeyID, customerID).Scan(&end)
	if err != nil || end == nil {
		return time.Time{}, false, pgErr("get", "run end", journeyID+"/"+customerID, err)
	}
	return *end, true, nil
}

// RunStart is a run just started: its run key (workflow ID/run ID; empty
// when unknown), journey version, customer and account owner.
type RunStart struct {
	WorkflowID string
	RunKey     string
	JourneyID  string
	Version    int
	CustomerID string
	OwnerID    string
}

// A running row belongs to its workflow, which keeps writing it: only a row
// of a run that has ended (or that the projection lost track of) is made
// new, and not when it is the same run's (it ended already). The ended run
// is kept in ended_runs (trigger runs_keep_ended). DISTINCT ON keeps a
// workflow ID listed twice from touching its row twice, which ON CONFLICT
// refuses. updated_at never goes back, as in sqlUpsertRun.
const sqlRegisterRuns = `
INSERT INTO runs (workflow_id, journey_id, version, customer_id, owner_id, status, stage,
                  score, mqn, cycle, outcome, started_at, updated_at, ended_at, run_key)
SELECT DISTINCT ON (w.workflow_id)
       w.workflow_id, w.journey_id, w.version, w.customer_id, NULLIF(w.owner_id, ''),
       'running', 'nurturing', 0, false, 1, '', $7, $7, NULL, NULLIF(w.run_key, '')
FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[])
     AS w (workflow_id, journey_id, version, customer_id, owner_id, run_key)
ORDER BY w.workflow_id
ON CONFLICT (workflow_id) DO UPDATE SET
    run_key     = EXCLUDED.run_key,
    journey_id  = EXCLUDED.journey_id,
    version     = EXCLUDED.version,
    customer_id = EXCLUDED.customer_id,
    owner_id    = EXCLUDED.owner_id,
    status      = EXCLUDED.status,
    stage       = EXCLUDED.stage,
    score       = EXCLUDED.score,
    mqn         = EXCLUDED.mqn,
    cycle       = EXCLUDED.cycle,
    outcome     = EXCLUDED.outcome,
    started_at  = EXCLUDED.started_at,
    updated_at  = greatest(runs.updated_at, EXCLUDED.updated_at),
    ended_at    = NULL
WHERE runs.status <> 'running' AND (runs.run_key = EXCLUDED.run_key) IS NOT TRUE
RETURNING workflow_id`

// RegisterRuns records runs as running (stage nurturing, score 0, cycle 1,
// started at at) as the API starts them, so that events routed by the
// projection reach a run from its start rather than from its first write. A
// row that is still running is left to its workflow; a row of an ended run
// is made new (the ended run is kept in ended_runs), unless it is
// the row of the same run (RunKey), which ended already. It returns the
// workflow IDs it wrote, sorted. Registering again is harmless: the run's
// own writes move the row on from here.
func (s *Store) RegisterRuns(ctx context.Context, at time.Time, starts []RunStart) ([]string, error) {
	if len(starts) == 0 {
		return []string{}, nil
	}
	n := len(starts)
	ids, journeys, customers, owners, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	versions := make([]int32, n)
	for i, r := range starts {
		if err := validateRunStart(r); err != nil {
			return nil, err
		}
		ids[i], journeys[i], customers[i], owners[i], keys[i] = r.WorkflowID, r.JourneyID, r.CustomerID, r.OwnerID, r.RunKey
		versions[i] = int32(r.Version)
	}
	batch := []any{ids, journeys, versions, customers, owners, keys}
	rows, _ := s.pool.Query(ctx, sqlRegisterRuns, append(batch, at)...)
	written, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.registerRunsError(ctx, starts, batch, err)
	}
	slices.Sort(written)
	return written, nil
}

// validateRunStart names the run whose fields the schema would refuse.
func validateRunStart(r RunStart) error {
	id := r.WorkflowID
	if id == "" {
		id = r.JourneyID + "/" + r.CustomerID
	}
	for _, f := range []struct{ name, value string }{
		{"workflow_id", r.WorkflowID}, {"journey_id", r.JourneyID}, {"customer_id", r.CustomerID},
	} {
		if f.value == "" {
			return invalid("run", id, f.name, "is required")
		}
	}
	for _, f := range []struct{ name, value string }{
		{"workflow_id", r.WorkflowID}, {"journey_id", r.JourneyID},
		{"customer_id", r.CustomerID}, {"owner_id", r.OwnerID}, {"run_key", r.RunKey},
	} {
		if !utf8.ValidString(f.value) || strings.ContainsRune(f.value, 0) {
			return invalid("run", id, f.name, "must be valid UTF-8 without NUL characters")
		}
	}
	if r.Version < 1 || r.Version > math.MaxInt32 {
		return invalid("run", id, "version", "must be positive")
	}
	return nil
}

// The first run of a batch that names a record that does not exist, and
// which: the statement's error does not say which row failed. Running rows,
// and rows of the same run, are left alone by sqlRegisterRuns, so they
// cannot have failed.
const sqlFirstBadRunStart = `
SELECT w.workflow_id, w.journey_id, w.version, w.customer_id, w.owner_id,
       CASE WHEN NOT EXISTS (SELECT FROM customers c WHERE c.id = w.customer_id)
                 THEN 'runs_customer_id_fkey'
            WHEN NOT EXISTS (SELECT FROM journey_versions v
                             WHERE v.journey_id = w.journey_id AND v.version = w.version)
                 THEN 'runs_journey_id_version_fkey'
            ELSE 'runs_owner_id_fkey'
       END
FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY
     AS w (workflow_id, journey_id, version, customer_id, owner_id, run_key, position)
WHERE NOT EXISTS (SELECT FROM runs r WHERE r.workflow_id = w.workflow_id
                                       AND (r.status = 'running' OR r.run_key = w.run_key))
  AND (NOT EXISTS (SELECT FROM customers c WHERE c.id = w.customer_id)
       OR NOT EXISTS (SELECT FROM journey_versions v WHERE v.journey_id = w.journey_id AND v.version = w.version)
       OR (w.owner_id <> '' AND NOT EXISTS (SELECT FROM owners o WHERE o.id = w.owner_id)))
ORDER BY w.position
LIMIT 1`

// registerRunsError turns the failure of a whole batch into an error that
// names the run (workflow ID, which names the customer) that caused it.
func (s *Store) registerRunsError(ctx context.Context, starts []RunStart, batch []any, err error) error {
	err = pgErr("register", "runs", "", err)
	var se *Error
	if !errors.As(err, &se) {
		return err // transient: no run to blame
	}
	var r RunStart
	var name string
	qerr := s.pool.QueryRow(ctx, sqlFirstBadRunStart, batch...).
		Scan(&r.WorkflowID, &r.JourneyID, &r.Version, &r.CustomerID, &r.OwnerID, &name)
	if qerr != nil {
		if len(starts) == 1 {
			se.Record, se.ID = "run", starts[0].WorkflowID
		}
		return err
	}
	c := constraints[name]
	switch name {
	case "runs_customer_id_fkey":
		c.msg += fmt.Sprintf(" %q", r.CustomerID)
	case "runs_journey_id_version_fkey":
		c.msg += fmt.Sprintf(" %s version %d", r.JourneyID, r.Version)
	case "runs_owner_id_fkey":
		c.msg += fmt.Sprintf(" %q", r.OwnerID)
	}
	return &Error{Kind: ErrInvalid, Record: "run", ID: r.WorkflowID, Field: c.field, Msg: c.msg, Err: se.Err}
}

// RunningRuns returns the runs of customerIDs that are running, by customer
// and workflow ID: where a customer's engagement must go.
func (s *Store) RunningRuns(ctx context.Context, customerIDs []string) ([]Run, error) {
	rows, _ := s.pool.Query(ctx, sqlSelectRun+`
WHERE customer_id = ANY($1::text[]) AND status = 'running'
ORDER BY customer_id, workflow_id`, nonNil(customerIDs))
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[Run])
	return rs, pgErr("list", "running runs", "", err)
}
