package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ripen/ripen/journey"
)

// EventRows is the phase with a large events table: routing and detection
// once the table holds Rows synthetic events.
type EventRows struct {
	Rows      int64   `json:"rows"`       // synthetic rows inserted
	TableRows int64   `json:"table_rows"` // rows in events afterwards
	Customers int     `json:"customers"`  // synthetic accounts they belong to
	FillS     float64 `json:"fill_s"`     // the inserts, triggers and indexes included
	AnalyzeS  float64 `json:"analyze_s"`
	TableMiB  float64 `json:"table_mib"` // pg_total_relation_size('events')
	// Routing: POST /v1/events→state at the offered rate, as in the event
	// phase, over the enrolment journey's runs.
	RouteOfferedRate float64 `json:"route_offered_rate_per_s"`
	RouteDurationS   float64 `json:"route_duration_s"`
	RouteEvents      int     `json:"route_events"`
	RouteLate        int     `json:"route_late"`
	RouteP50Ms       float64 `json:"route_p50_ms"`
	RouteP99Ms       float64 `json:"route_p99_ms"`
	RoutePostP99Ms   float64 `json:"route_post_p99_ms"`
	// Detection: the detector's reads for one account (the count of its
	// engagement on the detector's topics within the window, then the
	// qualifying events), as engagement's detector runs them through the
	// store, timed over DetectCalls accounts.
	Detector      string  `json:"detector"`
	DetectCalls   int     `json:"detect_calls"`
	DetectMatched int     `json:"detect_matched"` // accounts that met min_events
	DetectP50Ms   float64 `json:"detect_p50_ms"`
	DetectP99Ms   float64 `json:"detect_p99_ms"`
	DetectMaxMs   float64 `json:"detect_max_ms"`
}

// Synthetic events: eventRowsPerCustomer per account over eventRowsWindow
// (inside the default retention of 400 days, so pruning leaves them), on
// eventRowsTopics topics (each account mostly on five of them), three
// contacts an account, the mix of a real stream: opens, clicks, visits,
// downloads and the odd webinar and reply.
const (
	eventRowsPerCustomer = 100
	eventRowsWindow      = 395 * 24 * time.Hour
	eventRowsTopics      = 40
	eventRowsChunk       = 1_000_000
)

const sqlEventRowsAccounts = `
INSERT INTO owners (id, name, email) VALUES ('bench-er-rep', 'Events Rep', 'bench-er-rep@seller.example')
ON CONFLICT (id) DO NOTHING;

INSERT INTO customers (id, name, owner_id)
SELECT 'er-' || g, 'Events account ' || g, 'bench-er-rep' FROM generate_series(1, @customers::int) g
ON CONFLICT (id) DO NOTHING;

INSERT INTO contacts (id, customer_id, position, email, first_name, last_name, timezone, locale)
SELECT 'er-' || g || '-c' || k, 'er-' || g, k - 1, 'er-' || g || '-c' || k || '@buyer.example', 'Pat', 'Events', 'UTC', 'en'
FROM generate_series(1, @customers::int) g CROSS JOIN generate_series(1, 3) k
ON CONFLICT (id) DO NOTHING`

// sqlEventRows inserts events er-ev-<lo> … er-ev-<hi>. Event g belongs to
// account g mod customers, so each account's events are spread over the
// window; its topic is one of five of the account's own.
const sqlEventRows = `
INSERT INTO events (id, customer_id, contact_id, type, topic, content_id, url, source, occurred_at, received_at)
SELECT 'er-ev-' || g, 'er-' || c, 'er-' || c || '-c' || (g % 3 + 1), t.type,
       'topic-' || lpad(((c * 7 + (g / @customers::bigint) % 5) % @topics::int + 1)::text, 2, '0'),
       CASE WHEN t.type IN ('open', 'click', 'download') THEN 'content-' || ((g * 17) % 200 + 1) ELSE '' END,
       CASE WHEN t.type IN ('click', 'visit') THEN 'https://www.example.com/p/' || ((g * 13) % 500) ELSE '' END,
       CASE WHEN t.type IN ('open', 'click') THEN 'email' WHEN t.type = 'visit' THEN 'web' ELSE 'api' END,
       @now::timestamptz - ((g * 7919) % @window::bigint) * interval '1 second',
       @now::timestamptz - ((g * 7919) % @window::bigint) * interval '1 second' + (g % 300) * interval '1 second'
FROM generate_series(@lo::bigint, @hi::bigint) g
CROSS JOIN LATERAL (SELECT g % @customers::bigint + 1 AS c) a
CROSS JOIN LATERAL (SELECT (ARRAY['open', 'open', 'open', 'open', 'click', 'click', 'visit', 'visit', 'visit', 'download',
                                  'open', 'visit', 'webinar', 'reply', 'click', 'visit', 'open', 'visit', 'download', 'open'])
                           [(g / @customers::bigint * 7 + g) % 20 + 1] AS type) t`

// eventDetector is the detector whose reads are timed: the shape of
// DESIGN.md's example, on two of the synthetic topics.
var eventDetector = journey.Detector{Topics: []string{"topic-01", "topic-02"}, MinEvents: 2, Within: journey.SpanOf(14 * 24 * time.Hour)}

// eventRows fills the events table with EventRows synthetic rows, then
// measures routing and detection on it.
func (b *bench) eventRows(ctx context.Context) error {
	n := b.cfg.EventRows
	if n < 1 {
		return nil
	}
	er := &b.rep.EventRows
	customers := max(10, int(n/eventRowsPerCustomer))
	er.Rows, er.Customers = n, customers
	pool := b.st.Store.Pool()
	b.progress("event rows: %d synthetic events of %d accounts into the events table", n, customers)
	now := time.Now().UTC()
	args := pgx.NamedArgs{"customers": customers, "topics": eventRowsTopics, "now": now, "window": int64(eventRowsWindow / time.Second)}
	start := time.Now()
	for _, stmt := range splitStatements(sqlEventRowsAccounts) {
		if _, err := pool.Exec(ctx, stmt, args); err != nil {
			return fmt.Errorf("synthetic accounts: %w", err)
		}
	}
	for lo := int64(1); lo <= n; lo += eventRowsChunk {
		hi := min(n, lo+eventRowsChunk-1)
		args["lo"], args["hi"] = lo, hi
		if _, err := pool.Exec(ctx, sqlEventRows, args); err != nil {
			return fmt.Errorf("synthetic events %d-%d: %w", lo, hi, err)
		}
		if n > eventRowsChunk {
			b.progress("event rows: %d of %d after %.1fs", hi, n, time.Since(start).Seconds())
		}
	}
	er.FillS = secs(time.Since(start))
	start = time.Now()
	if _, err := pool.Exec(ctx, `ANALYZE events, customers, contacts`); err != nil {
		return err
	}
	er.AnalyzeS = secs(time.Since(start))
	var size int64
	if err := pool.QueryRow(ctx, `SELECT pg_total_relation_size('events'), (SELECT count(*) FROM events)`).Scan(&size, &er.TableRows); err != nil {
		return err
	}
	er.TableMiB = mib(size)
	b.progress("event rows: filled in %.1fs, analysed in %.1fs; events holds %d rows, %.0f MiB with its indexes",
		er.FillS, er.AnalyzeS, er.TableRows, er.TableMiB)

	// Routing, as in the event phase.
	var ev Events
	if err := b.offer(ctx, fmt.Sprintf("event rows: routing with %d rows", er.TableRows), b.nurtureRuns(), b.cfg.Rate, b.cfg.GrowthBurst, &ev); err != nil {
		return err
	}
	er.RouteOfferedRate, er.RouteDurationS, er.RouteEvents, er.RouteLate = ev.OfferedRate, ev.DurationS, ev.Reflected, ev.Late
	er.RouteP50Ms, er.RouteP99Ms, er.RoutePostP99Ms = ev.ToState.P50Ms, ev.ToState.P99Ms, ev.Post.P99Ms

	// Detection: the detector's reads, as it makes them for an account
	// whose new event is on its topics: accounts whose own topics include
	// them (every 40th: topic-01 and topic-02 are the first two of account
	// 40k's five), spread over the synthetic ones.
	d := eventDetector
	onTopic := max(1, customers/eventRowsTopics)
	er.Detector = fmt.Sprintf("topics %v, min_events %d, within %s", d.Topics, d.MinEvents, d.Within)
	calls := b.cfg.DetectCalls
	var lat samples
	for i := range calls {
		id := fmt.Sprintf("er-%d", min(customers, eventRowsTopics*(1+i*onTopic/calls)))
		since := time.Now().Add(-d.Within.Std())
		t0 := time.Now()
		count, err := b.st.Store.CountEvents(ctx, id, d.Topics, since)
		if err != nil {
			return fmt.Errorf("detector count: %w", err)
		}
		if count >= d.MinEvents {
			if _, err := b.st.Store.RecentEvents(ctx, id, d.Topics, since, 100); err != nil {
				return fmt.Errorf("detector's qualifying events: %w", err)
			}
			er.DetectMatched++
		}
		lat.add(time.Since(t0))
	}
	l := lat.latency()
	er.DetectCalls, er.DetectP50Ms, er.DetectP99Ms, er.DetectMaxMs = l.N, l.P50Ms, l.P99Ms, l.MaxMs
	b.progress("event rows: routing p50 %.1f ms p99 %.1f ms; detection p50 %.2f ms p99 %.2f ms (%d accounts, %d met the rule)",
		er.RouteP50Ms, er.RouteP99Ms, er.DetectP50Ms, er.DetectP99Ms, er.DetectCalls, er.DetectMatched)
	return nil
}
