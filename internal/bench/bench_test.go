package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/devtemporal"
	"github.com/ripen/ripen/store/storetest"
)

// tiny is the quick benchmark shrunk to seconds: it keeps the program
// working in CI and says nothing about speed.
func tiny(t *testing.T) Config {
	cfg := Defaults(true)
	cfg.DatabaseURL, cfg.CreateDatabase, cfg.DataDir = storetest.NewDatabase(t), false, t.TempDir()
	cfg.Customers, cfg.Rate, cfg.Duration, cfg.Runs = 12, 5, 2*time.Second, 20
	cfg.Clients, cfg.RawClients, cfg.RawDuration, cfg.SaturationDuration, cfg.SaturationBatch = 4, 8, time.Second, time.Second, 3
	cfg.FastLanes, cfg.YearWeeks, cfg.YearRuns, cfg.YearContinueAsNewAfter = 2, 6, 1, 40
	cfg.ReportRuns, cfg.ReportEvents = 200, 2000
	cfg.CollectRate, cfg.CollectDuration = 100, time.Second
	// A second worker process (this test binary again: TestMain), two
	// growth levels, a small events table, profiles.
	cfg.Workers, cfg.Growth, cfg.GrowthBurst, cfg.EventRows, cfg.DetectCalls = 2, []int{20, 40}, 2*time.Second, 20000, 50
	cfg.ProfileDir = t.TempDir()
	// Not the defaults, to see the knobs reach the stack and the report.
	cfg.Worker = config.WorkerTuning{WorkflowPollers: 4, MaxConcurrentWorkflowTasks: 100}
	cfg.Temporal = devtemporal.Tuning{DynamicConfig: map[string]any{"history.eventsCacheMaxSizeBytes": 8 << 20}}
	cfg.Log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	cfg.Progress = testLog{t}
	return cfg
}

// TestMain lets this test binary be the bench's extra worker process, as
// `ripen-dev bench-worker` is for ripen-dev.
func TestMain(m *testing.M) {
	if IsWorkerProcess() {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := RunWorkerProcess(ctx)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestQuickBenchReportsEveryFigure(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	cfg := tiny(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg)
	require.NoError(t, err)
	var table strings.Builder
	require.NoError(t, rep.WriteTable(&table))
	t.Log(table.String())
	require.Contains(t, table.String(), "4 workflow-task pollers, 2 activity pollers, 100 workflow-task slots")
	require.Contains(t, table.String(), "server config overrides: history.eventsCacheMaxSizeBytes=8388608")
	t.Logf("raw call latency: SignalWithStart %+v, signals %+v", rep.Raw.SignalWithStart.CallLatency, rep.Raw.Signals.CallLatency)

	t.Run("every figure is in the JSON and none is negative", func(t *testing.T) {
		data, err := json.Marshal(rep)
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(data, &doc))
		for _, path := range []string{
			"raw_ceiling.signal_with_start.calls_per_s", "raw_ceiling.signal_with_start.processed_per_s",
			"raw_ceiling.signals.calls_per_s", "raw_ceiling.signals.processed_per_s",
			"raw_ceiling.signal_to_query.latency.p50_ms", "raw_ceiling.signal_to_query.latency.p99_ms",
			"raw_ceiling.signal_to_query_1_client.p50_ms",
			"enrolment.runs_per_s", "enrolment.api_starts_per_s", "enrolment.enrol_to_first_send.p99_ms",
			"event_reaction.request_to_state.p50_ms", "event_reaction.request_to_state.p95_ms", "event_reaction.request_to_state.p99_ms",
			"event_reaction.achieved_rate_per_s", "event_reaction.saturation.calls_per_s", "event_reaction.saturation.processed_per_s",
			"fast_lane.to_handoff_row.p50_ms", "fast_lane.to_handoff_row.p99_ms", "fast_lane.to_owner_email.p50_ms", "fast_lane.to_owner_email.p99_ms",
			"scale.runs_per_s", "scale.memory_after.rss_mib", "scale.memory_after.go_heap_inuse_mib", "scale.sqlite_bytes_after",
			"scale.history_events_per_run",
			"simulated_year.history_events_per_year", "simulated_year.max_history_events_one_run",
			"ratios_to_raw_ceiling.enrolment_vs_signal_with_start", "ratios_to_raw_ceiling.sustained_events_vs_signals",
			"ratios_to_raw_ceiling.event_p99_vs_signal_query_p99",
			"machine.cores", "machine.mem_total_mib",
			"journey_report.cold_ms", "journey_report.warm_p50_ms", "journey_report.funnel.enrolled",
			"web_collection.accepted", "web_collection.achieved_per_s", "web_collection.answer.p99_ms",
			"web_collection.known_stored", "web_collection.anonymous_stored",
			"simulated_year.billable_actions_per_run_year", "simulated_year.history_bytes_per_run_year",
			"simulated_year.billable_actions_per_start", "simulated_year.billable_actions_per_week", "simulated_year.billable_actions_per_engagement",
			"simulated_year.per_week.history_bytes", "simulated_year.per_week.workflow_tasks", "simulated_year.per_engagement.history_events",
			"simulated_year.handoff.per_fast_lane.billable_actions", "simulated_year.handoff.per_sales_feedback.billable_actions",
			"workers.count", "raw_ceiling.workers", "settings.workers",
			"raw_ceiling.like_for_like.runs", "raw_ceiling.like_for_like.runs_per_s", "raw_ceiling.like_for_like.calls_per_s",
			"raw_ceiling.like_for_like.clients", "ratios_to_raw_ceiling.enrolment_vs_like_for_like",
			"event_rows.rows", "event_rows.table_rows", "event_rows.fill_s", "event_rows.table_mib",
			"event_rows.route_p50_ms", "event_rows.route_p99_ms", "event_rows.detect_p50_ms", "event_rows.detect_p99_ms",
			"event_rows.detect_calls",
		} {
			v, ok := lookup(doc, path)
			require.True(t, ok, "%s is missing", path)
			require.Greater(t, v, 0.0, "%s", path)
		}
		// Memory per run is a difference of two samples: with a handful of
		// runs it is noise and may come out below zero.
		noisy := map[string]bool{
			"scale.rss_kib_per_run": true, "scale.heap_kib_per_run": true, "scale.sqlite_kib_per_run": true,
			"scale.marginal_rss_kib_per_run": true, "scale.marginal_heap_kib_per_run": true,
		}
		for path, v := range numbers(doc, "") {
			if !noisy[path] {
				require.GreaterOrEqual(t, v, 0.0, "%s", path)
			}
		}
		require.NotEmpty(t, rep.Versions.Go)
		set := doc["settings"].(map[string]any)
		require.Equal(t, map[string]any{
			"workflow_task_pollers": 4.0, "activity_task_pollers": 2.0, "max_concurrent_workflow_tasks": 100.0, "max_concurrent_activities": 1000.0,
			"set": []any{"workflow_task_pollers", "max_concurrent_workflow_tasks"},
		}, set["worker"])
		require.Equal(t, map[string]any{"history.eventsCacheMaxSizeBytes": 8388608.0}, set["temporal_dynamic_config_overrides"])
		dyn := set["temporal_dynamic_config"].(map[string]any)
		require.Equal(t, 8388608.0, dyn["history.eventsCacheMaxSizeBytes"])
		require.Equal(t, 200.0, dyn["history.transferProcessorMaxPollRPS"], "the defaults stay")
		require.Equal(t, map[string]any{"journal_mode": "wal", "synchronous": "normal"}, set["sqlite_pragmas"], "devtemporal's defaults, in effect")
		require.Equal(t, 1.0, set["sqlite_max_conns"])
		require.Len(t, rep.Targets, 11)
		for _, tg := range rep.Targets {
			require.Contains(t, []string{"reached", "not reached", "not measured"}, tg.Verdict, "%s", tg.Name)
		}
		growth := doc["growth"].([]any)
		require.Len(t, growth, 2)
		for i, level := range []float64{20, 40} {
			g := growth[i].(map[string]any)
			require.Equal(t, level, g["sleeping_runs"])
			for _, k := range []string{"enrol_runs_per_s", "event_state_p50_ms", "event_state_p99_ms", "rss_mib", "children_rss_mib"} {
				require.Greater(t, g[k], 0.0, "growth[%d].%s", i, k)
			}
		}
	})

	t.Run("the new phases count what they did", func(t *testing.T) {
		w := rep.Workers
		require.Equal(t, 2, w.Count)
		require.Len(t, w.Children, 1)
		c := w.Children[0]
		require.Positive(t, c.PID)
		require.Positive(t, c.RSSAfterEnrolmentMiB)
		require.Positive(t, c.RSSEndMiB)
		require.GreaterOrEqual(t, c.PeakRSSMiB, c.RSSEndMiB)
		require.Equal(t, "stopped cleanly", c.Exit)

		l := rep.Raw.LikeForLike
		require.Equal(t, l.Runs, l.Activities, "every like-for-like run ran its activity once")
		require.Equal(t, cfg.RawClients, l.Clients)
		require.Equal(t, 2, rep.Raw.Workers)

		for i, g := range rep.Growth {
			require.Equal(t, 20, g.Enrolled, "level %d enrols the step to it", i)
			require.Equal(t, int(cfg.Rate*cfg.GrowthBurst.Seconds()), g.Offered)
			require.Zero(t, g.Errors)
			require.Equal(t, g.Accepted, g.InState+g.Late)
			require.LessOrEqual(t, g.EventStateP50Ms, g.EventStateP99Ms)
		}

		er := rep.EventRows
		require.EqualValues(t, 20000, er.Rows)
		require.GreaterOrEqual(t, er.TableRows, er.Rows)
		require.Equal(t, 200, er.Customers)
		require.Equal(t, cfg.DetectCalls, er.DetectCalls)
		require.Positive(t, er.DetectMatched, "some accounts meet the detector's rule")
		require.LessOrEqual(t, er.RouteP50Ms, er.RouteP99Ms)
		require.LessOrEqual(t, er.DetectP50Ms, er.DetectP99Ms)

		var got []string
		for _, p := range rep.Profiles {
			got = append(got, p.Process+" during "+p.Phase)
			for _, f := range []string{p.CPU, p.Heap} {
				st, err := os.Stat(f)
				require.NoError(t, err, "%s's profile", p.Process)
				require.Positive(t, st.Size(), f)
			}
		}
		require.Equal(t, []string{"bench during enrolment", "worker-2 during enrolment", "bench during events", "worker-2 during events"}, got,
			"every process is profiled during enrolment and during the event phase")
	})

	t.Run("counts are what was offered", func(t *testing.T) {
		c := rep.Collection
		require.Equal(t, 100, c.Offered)
		require.Equal(t, c.Offered, c.Accepted+c.Failed)
		require.Equal(t, c.Known, c.StoredKnown, "each known visitor's view is one visit event")
		require.Equal(t, c.Anonymous, c.StoredAnonymous, "each anonymous view is kept once")
		require.True(t, c.StoredOnce)
		e := rep.Enrolment
		require.Equal(t, cfg.Customers, e.Started)
		require.Equal(t, cfg.Customers, e.Statuses["started"]+e.Statuses["failed"])
		require.Equal(t, cfg.Customers, e.FirstSends)
		require.Equal(t, cfg.Customers, e.FirstSend.N)

		ev := rep.Events
		require.Equal(t, int(cfg.Rate*cfg.Duration.Seconds()), ev.Offered)
		require.Zero(t, ev.Errors)
		require.Equal(t, ev.Offered-ev.Shed, ev.Accepted)
		require.Equal(t, ev.Accepted, ev.Reflected+ev.Late)
		require.Equal(t, ev.Reflected, ev.ToState.N)
		require.Equal(t, ev.Saturation.Events, ev.Saturation.Accepted)
		require.Equal(t, ev.Saturation.Accepted, ev.Saturation.Processed)

		fl := rep.FastLane
		require.Equal(t, cfg.FastLanes, fl.Requests)
		require.Equal(t, cfg.FastLanes, fl.Handoffs)
		require.Equal(t, cfg.FastLanes, fl.OwnerEmails)
		require.Equal(t, cfg.FastLanes, fl.ToHandoff.N)

		sc := rep.Scale
		require.Equal(t, cfg.Runs, sc.Started)
		require.Equal(t, cfg.Runs, sc.Asleep)

		raw := rep.Raw
		require.Equal(t, raw.SignalWithStart.Calls, raw.SignalWithStart.Processed)
		require.Equal(t, raw.Signals.Calls, raw.Signals.Processed)
		require.Positive(t, raw.SignalQuery.Latency.N)
	})

	t.Run("percentiles are in order", func(t *testing.T) {
		for name, l := range map[string]Latency{
			"raw signal→query": rep.Raw.SignalQuery.Latency, "raw signal→query alone": rep.Raw.SignalQueryAlone,
			"event→state":        rep.Events.ToState,
			"fast lane→hand-off": rep.FastLane.ToHandoff, "fast lane→email": rep.FastLane.ToEmail,
			"enrolment→first email": rep.Enrolment.FirstSend,
		} {
			require.True(t, l.P50Ms <= l.P95Ms && l.P95Ms <= l.P99Ms && l.P99Ms <= l.MaxMs, "%s: %+v", name, l)
		}
		require.LessOrEqual(t, rep.FastLane.ToHandoff.P50Ms, rep.FastLane.ToEmail.P50Ms, "the owner is mailed after the hand-off is recorded")
	})

	t.Run("the year's shape and the tables are counted", func(t *testing.T) { checkShapeAndTables(t, cfg, rep) })

	t.Run("the year's histories stay bounded", func(t *testing.T) {
		y := rep.Year
		require.Len(t, y.Runs, 2*cfg.YearRuns)
		for _, r := range y.Runs {
			require.Equal(t, cfg.YearWeeks, r.Touches, "%s sent every week's email", r.WorkflowID)
			require.Equal(t, r.Chain-1, r.ContinuedAsNew)
			if r.StartedVia == "sdk" {
				require.Positive(t, r.ContinuedAsNew, "%s continued as new", r.WorkflowID)
				// The check runs between steps, so a history overshoots by
				// at most one step's events and the signals in a wait.
				require.Less(t, r.MaxEvents, cfg.YearContinueAsNewAfter+60, "%s", r.WorkflowID)
			}
		}
	})
}

// The simulated year's shape and the table sizes feed ripen-dev capacity:
// every event and action is counted once, and by the pricing page's rules.
func checkShapeAndTables(t *testing.T, cfg Config, rep *Report) {
	y := rep.Year
	require.Equal(t, cfg.YearRuns, y.ShapeRuns)
	sum := func(m map[string]int) (n int) {
		for _, v := range m {
			n += v
		}
		return n
	}
	var causeActions, causeEvents int
	for _, c := range y.ByCause {
		causeActions += c.Actions
		causeEvents += c.Events
	}
	require.Equal(t, sum(y.Actions), causeActions, "every action has one cause")
	require.Equal(t, sum(y.EventTypes), causeEvents, "every event has one cause")
	require.Equal(t, y.EventTypes["WorkflowExecutionStarted"], y.Actions["workflow_started"], "each run of the chain is one start")
	require.GreaterOrEqual(t, y.Actions["timer"], cfg.YearWeeks*y.ShapeRuns, "a timer a week")
	require.GreaterOrEqual(t, y.Actions["activity"], cfg.YearWeeks*y.ShapeRuns, "a send a week")
	require.Equal(t, y.EventTypes["WorkflowExecutionSignaled"], y.Actions["signal"])
	require.Positive(t, y.Signals["engagement"])
	require.LessOrEqual(t, y.Actions["local_activity"], y.EventTypes["WorkflowTaskCompleted"], "markers count once per workflow task")
	require.InDelta(t, float64(sum(y.Actions))/float64(y.ShapeRuns), y.ActionsPerRunYear, 0.001)

	h := y.Handoff
	require.Equal(t, cfg.FastLanes, h.Runs)
	require.Equal(t, cfg.FastLanes, h.Signals["fast-lane"])
	require.Equal(t, cfg.FastLanes, h.Updates["feedback"]+h.Signals["sales-feedback"], "each hand-off answered once")
	require.Positive(t, h.PerFastLane.Activities, "a hand-off records itself and mails the owner")

	tables := map[string]TableSize{}
	for _, ts := range rep.TableSizes {
		tables[ts.Table] = ts
		require.Positive(t, ts.Bytes, "%s", ts.Table)
		if ts.Rows > 0 {
			require.InDelta(t, float64(ts.Bytes)/float64(ts.Rows), ts.BytesPerRow, 0.001, "%s", ts.Table)
			require.Positive(t, ts.AvgRowBytes, "%s", ts.Table)
		}
	}
	for _, name := range []string{"events", "runs", "outbox", "customers", "contacts", "handoffs"} {
		require.Positive(t, tables[name].Rows, "%s has rows", name)
	}
	require.NotContains(t, tables, "goose_db_version")
}

func TestBadTuningIsRefusedBeforeAnythingStarts(t *testing.T) {
	cfg := Defaults(true)
	cfg.Worker.WorkflowPollers = 1
	cfg.Worker.MaxConcurrentWorkflowTasks = 1
	cfg.Temporal.DynamicConfig = map[string]any{"history.noSuchKey": 1, "history.eventsCacheMaxSizeBytes": "8MiB"}
	cfg.Temporal.SQLitePragmas = map[string]string{"mode": "memory"}
	_, err := Run(context.Background(), cfg)
	for _, want := range []string{
		"worker workflow-task pollers 1: want at least 2", "worker concurrent workflow tasks 1: want at least 2",
		"history.noSuchKey: not a dynamic config key", `history.eventsCacheMaxSizeBytes: the server cannot read "8MiB"`,
		`SQLite pragma "mode"`,
	} {
		require.ErrorContains(t, err, want)
	}
	require.NotContains(t, err.Error(), "\n")
}

func TestSettingsAreRecorded(t *testing.T) {
	cfg := Defaults(true)
	cfg.StickyCacheSize = 1000
	cfg.Worker = config.WorkerTuning{ActivityPollers: 8, MaxConcurrentActivities: 50}
	cfg.Temporal = devtemporal.Tuning{
		DynamicConfig:  map[string]any{"HISTORY.hostLevelCacheMaxSize": 2048, "matching.longPollExpirationInterval": 30 * time.Second},
		SQLitePragmas:  map[string]string{"journal_mode": "wal", "cache_size": "-65536"},
		SQLiteMaxConns: 2,
	}
	rep := (&bench{cfg: cfg, start: time.Now()}).newReport()
	s := rep.Settings
	require.Equal(t, WorkerSettings{WorkflowTaskPollers: 2, ActivityPollers: 8, MaxConcurrentWorkflowTasks: 1000, MaxConcurrentActivities: 50,
		Set: []string{"activity_task_pollers", "max_concurrent_activities"}}, s.Worker)
	require.Equal(t, 1000, s.StickyCacheSize)
	require.Equal(t, "30s", s.TemporalOverrides["matching.longPollExpirationInterval"])
	require.Equal(t, 2048, s.TemporalDynamicConfig["HISTORY.hostLevelCacheMaxSize"])
	require.NotContains(t, s.TemporalDynamicConfig, "history.hostLevelCacheMaxSize", "overridden whatever the case")
	require.Equal(t, "embedded, SQLite file (pragmas cache_size=-65536, journal_mode=wal, synchronous=normal; 2 connections), 1 history shard", s.Temporal)
	lines := strings.Join(s.settingsLines(), "\n")
	require.Contains(t, lines, "2 workflow-task pollers, 8 activity pollers, 1000 workflow-task slots, 50 activity slots, workflow cache 1000")
	require.Contains(t, lines, "server config overrides: HISTORY.hostLevelCacheMaxSize=2048, matching.longPollExpirationInterval=30s")

	def := (&bench{cfg: Defaults(false), start: time.Now()}).newReport().Settings
	require.Equal(t, "embedded, SQLite file (pragmas journal_mode=wal, synchronous=normal; 1 connection), 1 history shard", def.Temporal)
	require.Contains(t, strings.Join(def.settingsLines(), "\n"), "server config overrides: none")
	require.Empty(t, def.Worker.Set)
	require.Empty(t, def.TemporalOverrides)
	require.NotNil(t, def.SQLitePragmas, "written as {}, not null")
	require.NotNil(t, def.TemporalOverrides, "written as {}, not null")
}

func lookup(doc map[string]any, path string) (float64, bool) {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return 0, false
		}
		if cur, ok = m[k]; !ok {
			return 0, false
		}
	}
	v, ok := cur.(float64)
	return v, ok
}

// numbers lists every number in a JSON document by its dotted path.
func numbers(v any, path string) map[string]float64 {
	out := map[string]float64{}
	switch v := v.(type) {
	case float64:
		out[path] = v
	case map[string]any:
		for k, c := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			for pp, n := range numbers(c, p) {
				out[pp] = n
			}
		}
	case []any:
		for i, c := range v {
			for pp, n := range numbers(c, fmt.Sprintf("%s[%d]", path, i)) {
				out[pp] = n
			}
		}
	}
	return out
}

// The table names the Temporal store the size per run was measured on.
func TestTheTableNamesTheTemporalStore(t *testing.T) {
	for store, want := range map[devtemporal.Store]string{devtemporal.StorePostgres: "Temporal's Postgres databases", "": "SQLite"} {
		cfg := Defaults(true)
		cfg.TemporalStore = store
		rep := (&bench{cfg: cfg, start: time.Now()}).newReport()
		rep.Scale.SQLiteAfter, rep.Scale.SQLitePerRunKiB = 80<<20, 54.2
		var table strings.Builder
		require.NoError(t, rep.WriteTable(&table))
		require.Regexp(t, `\s`+regexp.QuoteMeta(want)+`\s+0\.0 → 80\.0 MiB \(54\.20 KiB/run\)`, table.String())
	}
}

// The table shows what a run costs Temporal by cause, the largest tables
// and where each profile's CPU went, not only the JSON.
func TestTheTableShowsCostsTablesAndProfiles(t *testing.T) {
	rep := (&bench{cfg: Defaults(true), start: time.Now()}).newReport()
	rep.Year.ActionsPerRunYear, rep.Year.HistoryBytesPerRunYear = 214, 180<<10
	rep.Year.PerEngagement = UnitCost{Actions: 1.5, Events: 5.5, Bytes: 1400, Upserts: 0.5}
	rep.TableSizes = []TableSize{{Table: "runs", Rows: 10, Bytes: 1 << 20}, {Table: "events", Rows: 300, Bytes: 3 << 20}}
	rep.Profiles = []Profile{{Process: "bench", Phase: "events", TopFile: "top.txt",
		CPUByPart: map[string]float64{"Temporal server": 50, "GC": 15, "gRPC": 18, "other": 17}}}
	var table strings.Builder
	require.NoError(t, rep.WriteTable(&table))
	out := table.String()
	require.Regexp(t, `Temporal per run-year \(billable actions\)\s+214 actions, 180 KiB of history`, out)
	require.Regexp(t, `per engagement event\s+1\.50 actions, 5\.5 events, 1400 bytes, 0\.50 upserts`, out)
	require.Regexp(t, `largest at the end\s+events 300 rows 3\.0 MiB, runs 10 rows 1\.0 MiB`, out)
	require.Regexp(t, `bench during events\s+Temporal server 50\.0%, gRPC 18\.0%, other 17\.0%; top\.txt`, out)
}

func TestGrowthLevelsAscend(t *testing.T) {
	levels, err := ParseGrowth("1000,10000, 100000")
	require.NoError(t, err)
	require.Equal(t, []int{1000, 10000, 100000}, levels)
	for _, bad := range []string{"", "1000,1000", "10000,1000", "0,10", "1e3", "10,x"} {
		_, err := ParseGrowth(bad)
		require.Error(t, err, "%q", bad)
	}
}
