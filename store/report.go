package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"
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
// ran, kept on the run as engaged_at (migration 00027); sales' acceptance
// is an accepted or won hand-off.
const sqlReportPopulation = `
WITH pop AS (
    SELECT COALESCE(run_key, workflow_id) AS run_key, customer_id, version, outcome, mqn, started_at, ended_at, engaged_at
    FROM runs
    WHERE journey_id = $1 AND ($2 = 0 OR version = $2)
      AND started_at >= $3 AND started_at < $4
    UNION ALL
    SELECT COALESCE(e.run_key, e.workflow_id), e.customer_id, e.version, e.outcome, e.mqn, e.started_at, e.ended_at, e.engaged_at
    FROM ended_runs e
    WHERE e.journey_id = $1 AND ($2 = 0 OR e.version = $2)
      AND e.started_at >= $3 AND e.started_at < $4
      AND NOT EXISTS (SELECT FROM runs r WHERE r.workflow_id = e.workflow_id AND r.started_at = e.started_at)
)`

const sqlReportRuns = sqlReportPopulation + `,
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
       p.engaged_at IS NOT NULL AS engaged,
       p.mqn OR h.run_key IS NOT NULL AS mqn,
       h.run_key IS NOT NULL AS handed_off,
       COALESCE(h.accepted, false) AS accepted,
       COALESCE(h.won, false) AS won,
       h.first_at AS first_handoff
FROM pop p
LEFT JOIN emailed em ON em.run_key = p.run_key
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

// ReportSend counts the content emails that reported runs of one version
// sent at one step, so the caller can name the content from the version's
// definition.
type ReportSend struct {
	Version int    `db:"version"`
	StepID  string `db:"step_id"`
	Sent    int    `db:"sent"`
}

const sqlReportSends = sqlReportPopulation + `
SELECT p.version, o.step_id, count(*)::int AS sent
FROM pop p
JOIN outbox o ON o.run_key = p.run_key AND o.kind = 'content' AND o.sent_at IS NOT NULL
GROUP BY p.version, o.step_id`

// ReportContent is what the reported runs did with one content block:
// (run, contact) pairs that opened it, that clicked it, and runs that
// reached MQN (their first hand-off) within 30 days after one of their
// contacts first opened or clicked it.
type ReportContent struct {
	ContentID    string `db:"content_id"`
	Opened       int    `db:"opened"`
	Clicked      int    `db:"clicked"`
	MQNWithin30d int    `db:"mqn_within_30d"`
}

// Counted in SQL from the runs' first touches (run_touches, kept as events
// arrive), so that only a row per content block comes back.
const sqlReportContent = sqlReportPopulation + `,
touch AS (
    SELECT t.run_key, t.content_id, t.type, t.first_at AS at
    FROM pop p
    JOIN run_touches t ON t.run_key = p.run_key
),
first_touch AS (
    SELECT run_key, content_id, min(at) AS at FROM touch GROUP BY run_key, content_id
),
first_handoff AS (
    SELECT run_key, min(created_at) AS at FROM handoffs WHERE journey_id = $1 GROUP BY run_key
),
ripened AS (
    SELECT f.content_id, count(*)::int AS n
    FROM first_touch f
    JOIN first_handoff h ON h.run_key = f.run_key AND h.at >= f.at AND h.at <= f.at + interval '30 days'
    GROUP BY f.content_id
)
SELECT t.content_id,
       (count(*) FILTER (WHERE t.type = 'open'))::int AS opened,
       (count(*) FILTER (WHERE t.type = 'click'))::int AS clicked,
       COALESCE(max(r.n), 0)::int AS mqn_within_30d
FROM touch t
LEFT JOIN ripened r ON r.content_id = t.content_id
GROUP BY t.content_id`

const sqlReportArms = `SELECT customer_id, step_id, arm FROM experiment_arms WHERE journey_id = $1`

// ReportData is what a journey report is computed from, read at one
// moment: the runs f chose with how far each came; the arm each account
// took at each split (customer → step → arm; step "#holdout" holds the
// holdout decision); the content emails sent, per version and step; and
// what the runs did with each content block.
type ReportData struct {
	Runs    []ReportRun
	Arms    map[string]map[string]string
	Sends   []ReportSend
	Content []ReportContent
}

// Report reads what journeyID's report needs, with its queries in
// parallel on connections that share one snapshot (pg_export_snapshot),
// so the figures agree with one another. JIT compilation is off for it: it
// cost more than it saved in every measured plan.
func (s *Store) Report(ctx context.Context, journeyID string, f ReportFilter) (ReportData, error) {
	var d ReportData
	from, to := reportSpan(f)
	err := s.inSnapshot(ctx, func(tx pgx.Tx, also func(func(pgx.Tx) error)) error {
		also(func(tx pgx.Tx) error {
			rows, _ := tx.Query(ctx, sqlReportSends, journeyID, f.Version, from, to)
			var err error
			if d.Sends, err = pgx.CollectRows(rows, pgx.RowToStructByName[ReportSend]); err != nil {
				return fmt.Errorf("sends: %w", err)
			}
			rows, _ = tx.Query(ctx, sqlReportContent, journeyID, f.Version, from, to)
			if d.Content, err = pgx.CollectRows(rows, pgx.RowToStructByName[ReportContent]); err != nil {
				return fmt.Errorf("content: %w", err)
			}
			return nil
		})
		also(func(tx pgx.Tx) error {
			d.Arms = map[string]map[string]string{}
			rows, _ := tx.Query(ctx, sqlReportArms, journeyID)
			var customer, step, arm string
			_, err := pgx.ForEachRow(rows, []any{&customer, &step, &arm}, func() error {
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
		rows, _ := tx.Query(ctx, sqlReportRuns, journeyID, f.Version, from, to)
		var err error
		if d.Runs, err = pgx.CollectRows(rows, pgx.RowToStructByName[ReportRun]); err != nil {
			return fmt.Errorf("runs: %w", err)
		}
		return nil
	})
	return d, pgErr("report on", "journey", journeyID, err)
}

// snapshotID is what pg_export_snapshot returns.
var snapshotID = regexp.MustCompile(`^[0-9A-Fa-f-]+$`)

// inSnapshot runs fn in a read-only repeatable-read transaction; the work
// fn hands to also runs at the same time on other connections, in
// transactions that see the same snapshot. It returns the first error.
func (s *Store) inSnapshot(ctx context.Context, fn func(tx pgx.Tx, also func(func(pgx.Tx) error)) error) error {
	readOnly := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	return pgx.BeginTxFunc(ctx, s.pool, readOnly, func(tx pgx.Tx) error {
		var snap string
		if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snap); err != nil {
			return err
		}
		if !snapshotID.MatchString(snap) {
			return fmt.Errorf("unexpected snapshot id %q", snap)
		}
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
		g, gctx := errgroup.WithContext(ctx)
		also := func(work func(pgx.Tx) error) {
			g.Go(func() error {
				return pgx.BeginTxFunc(gctx, s.pool, readOnly, func(tx pgx.Tx) error {
					if _, err := tx.Exec(gctx, `SET TRANSACTION SNAPSHOT '`+snap+`'`); err != nil {
						return err
					}
					if _, err := tx.Exec(gctx, `SET LOCAL jit = off`); err != nil {
						return err
					}
					return work(tx)
				})
			})
		}
		err := fn(tx, also)
		// The exporting transaction stays open until the others have
		// taken the snapshot: they wait for them all.
		if werr := g.Wait(); err == nil {
			err = werr
		}
		return err
	})
}
