package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReportFilter chooses the runs of a journey report: one version (0: all)
// and runs started in [From, To) (zero: unbounded).
type ReportFilter struct {
	Version  int
	From, To time.Time
}

// ReportRun is what a journey report needs of one run: how far it came.
// MQN is the run's own flag or any hand-off of it (a run that recycled has
// cleared its flag, not its hand-off); FirstHandoff is when its first
// hand-off was recorded, which is when it reached MQN.
type ReportRun struct {
	RunKey       string     `db:"run_key"`
	CustomerID   string     `db:"customer_id"`
	Version      int        `db:"version"`
	StartedAt    time.Time  `db:"started_at"`
	Outcome      string     `db:"outcome"`
	Emailed      bool       `db:"emailed"`
	Engaged      bool       `db:"engaged"`
	MQN          bool       `db:"mqn"`
	HandedOff    bool       `db:"handed_off"`
	Accepted     bool       `db:"accepted"`
	Won          bool       `db:"won"`
	FirstHandoff *time.Time `db:"first_handoff"`
}

// The report's runs: the projection's and the kept ended ones (a run is in
// one or the other). Engagement is any event of the customer while the run
// ran; sales' acceptance is an accepted or won hand-off.
const sqlReportPopulation = `
WITH pop AS (
    SELECT COALESCE(run_key, workflow_id) AS run_key, customer_id, version, outcome, mqn, started_at, ended_at
    FROM runs
    WHERE journey_id = $1 AND ($2 = 0 OR version = $2)
      AND started_at >= $3 AND started_at < $4
    UNION ALL
    SELECT COALESCE(e.run_key, e.workflow_id), e.customer_id, e.version, e.outcome, e.mqn, e.started_at, e.ended_at
    FROM ended_runs e
    WHERE e.journey_id = $1 AND ($2 = 0 OR e.version = $2)
      AND e.started_at >= $3 AND e.started_at < $4
      AND NOT EXISTS (SELECT FROM runs r WHERE r.workflow_id = e.workflow_id AND r.started_at = e.started_at)
)`

const sqlReportRuns = sqlReportPopulation + `,
engaged AS (
    SELECT DISTINCT p.run_key
    FROM pop p
    JOIN events e ON e.customer_id = p.customer_id AND e.type <> 'order'
                 AND e.occurred_at >= p.started_at AND (p.ended_at IS NULL OR e.occurred_at <= p.ended_at)
),
emailed AS (
    SELECT DISTINCT o.run_key
    FROM pop p
    JOIN outbox o ON o.run_key = p.run_key AND o.kind = 'content' AND o.sent_at IS NOT NULL
),
handed AS (
    SELECT run_key, min(created_at) AS first_at,
           bool_or(status IN ('accepted', 'won')) AS accepted, bool_or(status = 'won') AS won
    FROM handoffs
    WHERE journey_id = $1
    GROUP BY run_key
)
SELECT p.run_key, p.customer_id, p.version, p.started_at, p.outcome,
       em.run_key IS NOT NULL AS emailed,
       en.run_key IS NOT NULL AS engaged,
       p.mqn OR h.run_key IS NOT NULL AS mqn,
       h.run_key IS NOT NULL AS handed_off,
       COALESCE(h.accepted, false) AS accepted,
       COALESCE(h.won, false) AS won,
       h.first_at AS first_handoff
FROM pop p
LEFT JOIN emailed em ON em.run_key = p.run_key
LEFT JOIN engaged en ON en.run_key = p.run_key
LEFT JOIN handed h ON h.run_key = p.run_key`

// reportSpan makes an open end of f a bound Postgres compares with.
func reportSpan(f ReportFilter) (from, to time.Time) {
	from, to = f.From, f.To
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return from, to
}

// ReportSend is one content email of a reported run that went out:
// the step that sent it, so the caller can name the content from the
// version's definition.
type ReportSend struct {
	RunKey  string `db:"run_key"`
	Version int    `db:"version"`
	StepID  string `db:"step_id"`
	Sent    int    `db:"sent"`
}

const sqlReportSends = sqlReportPopulation + `
SELECT p.run_key, p.version, o.step_id, count(*)::int AS sent
FROM pop p
JOIN outbox o ON o.run_key = p.run_key AND o.kind = 'content' AND o.sent_at IS NOT NULL
GROUP BY p.run_key, p.version, o.step_id`

// ReportTouch is a run's first open or click of one content block, by one
// contact.
type ReportTouch struct {
	RunKey    string    `db:"run_key"`
	ContentID string    `db:"content_id"`
	ContactID string    `db:"contact_id"`
	Type      string    `db:"type"`
	At        time.Time `db:"at"`
}

const sqlReportTouches = sqlReportPopulation + `
SELECT p.run_key, e.content_id, e.contact_id, e.type, min(e.occurred_at) AS at
FROM pop p
JOIN events e ON e.customer_id = p.customer_id AND e.content_id <> '' AND e.type IN ('open', 'click')
             AND e.occurred_at >= p.started_at AND (p.ended_at IS NULL OR e.occurred_at <= p.ended_at)
GROUP BY p.run_key, e.content_id, e.contact_id, e.type`

const sqlReportArms = `SELECT customer_id, step_id, arm FROM experiment_arms WHERE journey_id = $1`

// ReportData is what a journey report is computed from, read at one
// moment: the runs f chose with how far each came; the arm each account
// took at each split (customer → step → arm; step "#holdout" holds the
// holdout decision); the content emails each run sent, per step; and per
// run, content block, contact and kind (open, click), the first such
// engagement.
type ReportData struct {
	Runs    []ReportRun
	Arms    map[string]map[string]string
	Sends   []ReportSend
	Touches []ReportTouch
}

// Report reads what journeyID's report needs, in one read-only snapshot so
// the figures agree with one another. JIT compilation is off for it: it
// cost more than it saved in every measured plan.
func (s *Store) Report(ctx context.Context, journeyID string, f ReportFilter) (ReportData, error) {
	var d ReportData
	from, to := reportSpan(f)
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, sqlReportRuns, journeyID, f.Version, from, to)
		var err error
		if d.Runs, err = pgx.CollectRows(rows, pgx.RowToStructByName[ReportRun]); err != nil {
			return fmt.Errorf("runs: %w", err)
		}
		rows, _ = tx.Query(ctx, sqlReportSends, journeyID, f.Version, from, to)
		if d.Sends, err = pgx.CollectRows(rows, pgx.RowToStructByName[ReportSend]); err != nil {
			return fmt.Errorf("sends: %w", err)
		}
		rows, _ = tx.Query(ctx, sqlReportTouches, journeyID, f.Version, from, to)
		if d.Touches, err = pgx.CollectRows(rows, pgx.RowToStructByName[ReportTouch]); err != nil {
			return fmt.Errorf("engagement: %w", err)
		}
		d.Arms = map[string]map[string]string{}
		rows, _ = tx.Query(ctx, sqlReportArms, journeyID)
		var customer, step, arm string
		_, err = pgx.ForEachRow(rows, []any{&customer, &step, &arm}, func() error {
			if d.Arms[customer] == nil {
				d.Arms[customer] = map[string]string{}
			}
			d.Arms[customer][step] = arm
			return nil
		})
		if err != nil {
			return fmt.Errorf("arms: %w", err)
		}
		return nil
	})
	return d, pgErr("report on", "journey", journeyID, err)
}
