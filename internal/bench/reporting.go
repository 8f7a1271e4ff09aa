package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ripen/ripen/reports"
	"github.com/ripen/ripen/store"
)

// Reporting is the report phase: how long a journey's report takes over a
// seeded history of Runs runs and Events events (with their emails,
// hand-offs and arms), the first answer cold, the rest warm.
type Reporting struct {
	Runs     int       `json:"runs"`
	Events   int       `json:"events"`
	Sends    int       `json:"emails_sent"`
	Handoffs int       `json:"handoffs"`
	SeedS    float64   `json:"seed_s"`
	AnswerMs []float64 `json:"answer_ms"`
	ColdMs   float64   `json:"cold_ms"`
	WarmP50  float64   `json:"warm_p50_ms"`
	WarmMax  float64   `json:"warm_max_ms"`
	// Funnel is the seeded report's, to show the figures were counted.
	Funnel reports.Funnel `json:"funnel"`
}

// reportJourney is the seeded journey; no other phase uses it.
const reportJourney = "report-bench"

// The seeded history: every run started within 90 days, nine in ten
// emailed (half of them twice), one in ten handed off, ten events per
// account over 120 days (opens and clicks of the journey's content, and
// visits), two arms and a tenth held out.
const sqlSeedReportHistory = `
INSERT INTO owners (id, name, email) VALUES ('bench-rep', 'Bench Rep', 'bench-rep@seller.example')
ON CONFLICT (id) DO NOTHING;

INSERT INTO customers (id, name, owner_id)
SELECT 'rb-' || g, 'Bench ' || g, 'bench-rep' FROM generate_series(1, @runs::int) g;

INSERT INTO runs (workflow_id, run_key, journey_id, version, customer_id, owner_id, status, stage,
                  score, mqn, cycle, outcome, started_at, updated_at, ended_at)
SELECT 'ripen/report-bench/rb-' || g, 'ripen/report-bench/rb-' || g || '/r', 'report-bench', 1, 'rb-' || g,
       'bench-rep',
       CASE WHEN g % 7 = 0 THEN 'completed' ELSE 'running' END,
       CASE WHEN g % 7 = 0 THEN 'done' ELSE 'nurturing' END,
       (g % 50)::float, g % 10 = 0, 0,
       CASE WHEN g % 70 = 0 THEN 'converted' WHEN g % 7 = 0 THEN 'not-qualified' ELSE '' END,
       @t0::timestamptz + (g % 90) * interval '1 day',
       @t0::timestamptz + (g % 90) * interval '1 day' + interval '1 hour',
       CASE WHEN g % 7 = 0 THEN @t0::timestamptz + (g % 90 + 60) * interval '1 day' END
FROM generate_series(1, @runs::int) g;

INSERT INTO outbox (run_key, step_id, cycle, contact_id, kind, status, message_id, sent_at)
SELECT 'ripen/report-bench/rb-' || g || '/r', s.step, 0, 'rb-' || g || '-max', 'content', 'sent',
       'rb-' || g || '-' || s.step, @t0::timestamptz + (g % 90) * interval '1 day' + s.after
FROM generate_series(1, @runs::int) g
CROSS JOIN (VALUES ('intro', interval '1 hour'), ('case', interval '8 days')) s(step, after)
WHERE g % 10 <> 9 AND (s.step = 'intro' OR g % 2 = 0);

INSERT INTO handoffs (run_key, workflow_id, journey_id, customer_id, owner_id, cycle, reason,
                      score, status, feedback, sla_due_at, created_at, closed_at)
SELECT 'ripen/report-bench/rb-' || g || '/r', 'ripen/report-bench/rb-' || g, 'report-bench', 'rb-' || g,
       'bench-rep', 0, 'score', 40, st.status, CASE WHEN st.status = 'open' THEN '' ELSE st.status END,
       @t0::timestamptz + (g % 90 + 20) * interval '1 day',
       @t0::timestamptz + (g % 90 + 10 + g % 30) * interval '1 day',
       CASE WHEN st.status <> 'open' THEN @t0::timestamptz + (g % 90 + 45) * interval '1 day' END
FROM generate_series(1, @runs::int) g
CROSS JOIN LATERAL (SELECT (ARRAY['open', 'accepted', 'won', 'lost', 'not-ready'])[g / 10 % 5 + 1] AS status) st
WHERE g % 10 = 0;

INSERT INTO events (id, customer_id, contact_id, type, topic, content_id, occurred_at)
SELECT 'rb-ev-' || g, 'rb-' || (g % @runs::int + 1), 'rb-' || (g % @runs::int + 1) || '-max',
       (ARRAY['open', 'click', 'visit'])[g % 3 + 1], 'process-automation',
       CASE WHEN g % 3 = 2 THEN '' WHEN g % 2 = 0 THEN 'checklist' ELSE 'case-study' END,
       @t0::timestamptz + (g % 120) * interval '1 day' + (g % 86400) * interval '1 second'
FROM generate_series(1, @events::int) g;

INSERT INTO experiment_arms (journey_id, customer_id, step_id, arm, version)
SELECT 'report-bench', 'rb-' || g, 'subject', CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END, 1
FROM generate_series(1, @runs::int) g;

INSERT INTO experiment_arms (journey_id, customer_id, step_id, arm, version)
SELECT 'report-bench', 'rb-' || g, '#holdout', CASE WHEN g % 10 = 1 THEN 'holdout' ELSE 'treated' END, 1
FROM generate_series(1, @runs::int) g;`

// RunReporting seeds a history of runs runs and events events into the
// database at dbURL (migrated here) and times the journey report on it
// answers times, the first cold. Progress gets a line per step.
func RunReporting(ctx context.Context, dbURL string, runs, events, answers int, progress io.Writer) (Reporting, error) {
	res := Reporting{Runs: runs, Events: events}
	if err := store.Migrate(ctx, dbURL); err != nil {
		return res, err
	}
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		return res, err
	}
	defer st.Close()
	_, err = st.PublishJourney(ctx, store.JourneyVersion{JourneyID: reportJourney, Name: "Report bench", Definition: json.RawMessage(`{
		"id": "report-bench", "offer": {"kind": "cross-sell", "product": "automation-suite"},
		"steps": [{"id": "intro", "send": "checklist"}, {"id": "case", "send": "case-study"}]}`)})
	if err != nil {
		return res, fmt.Errorf("publish the report journey: %w", err)
	}
	fmt.Fprintf(progress, "report: seeding %d runs and %d events\n", runs, events)
	start := time.Now()
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	// One statement at a time (with arguments, pgx sends one), in one
	// transaction.
	tx, err := st.Pool().Begin(ctx)
	if err != nil {
		return res, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for _, stmt := range splitStatements(sqlSeedReportHistory) {
		if _, err := tx.Exec(ctx, stmt, pgx.NamedArgs{"runs": runs, "events": events, "t0": t0}); err != nil {
			return res, fmt.Errorf("seed the report history: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return res, err
	}
	if _, err := st.Pool().Exec(ctx, `ANALYZE`); err != nil {
		return res, err
	}
	res.SeedS = secs(time.Since(start))
	if err := st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM outbox WHERE run_key LIKE 'ripen/report-bench/%'),
		(SELECT count(*) FROM handoffs WHERE journey_id = 'report-bench')`).Scan(&res.Sends, &res.Handoffs); err != nil {
		return res, err
	}
	svc := reports.New(st)
	for i := range answers {
		t := time.Now()
		r, err := svc.Journey(ctx, reportJourney, reports.Filter{})
		if err != nil {
			return res, fmt.Errorf("report: %w", err)
		}
		ms := float64(time.Since(t).Microseconds()) / 1000
		res.AnswerMs = append(res.AnswerMs, ms)
		res.Funnel = r.Funnel
		fmt.Fprintf(progress, "report: answer %d in %.0f ms\n", i+1, ms)
	}
	if len(res.AnswerMs) > 0 {
		res.ColdMs = res.AnswerMs[0]
	}
	if warm := slices.Clone(res.AnswerMs[min(1, len(res.AnswerMs)):]); len(warm) > 0 {
		slices.Sort(warm)
		res.WarmP50, res.WarmMax = warm[(len(warm)-1)/2], warm[len(warm)-1]
	}
	return res, nil
}

// splitStatements splits the seed at its blank-line-separated statements.
func splitStatements(sql string) []string {
	var out []string
	for s := range strings.SplitSeq(sql, ";\n\n") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ReportingBench runs the report phase alone on a fresh database
// ripen_report_bench_<unix> of the Postgres server at serverURL, dropped
// afterwards unless keep.
func ReportingBench(ctx context.Context, serverURL string, runs, events, answers int, keep bool, progress io.Writer) (res Reporting, err error) {
	dbURL, err := withDatabase(serverURL, fmt.Sprintf("ripen_report_bench_%d", time.Now().Unix()))
	if err != nil {
		return res, err
	}
	if err := store.EnsureDatabase(ctx, dbURL); err != nil {
		return res, err
	}
	if !keep {
		defer func() {
			if derr := dropDatabase(dbURL); derr != nil && err == nil {
				err = derr
			}
		}()
	}
	return RunReporting(ctx, dbURL, runs, events, answers, progress)
}

// reporting is the report phase of the whole bench: on the bench's own
// database, after the other phases, in a journey of its own.
func (b *bench) reporting(ctx context.Context) error {
	if b.cfg.ReportRuns < 1 {
		return nil
	}
	b.progress("report: a journey's report over %d seeded runs and %d events", b.cfg.ReportRuns, b.cfg.ReportEvents)
	res, err := RunReporting(ctx, b.st.DatabaseURL, b.cfg.ReportRuns, b.cfg.ReportEvents, 6, io.Discard)
	b.rep.Reporting = res
	return err
}
