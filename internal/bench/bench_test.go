package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
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
	// Not the defaults, to see the knobs reach the stack and the report.
	cfg.Worker = config.WorkerTuning{WorkflowPollers: 4, MaxConcurrentWorkflowTasks: 100}
	cfg.Temporal = devtemporal.Tuning{DynamicConfig: map[string]any{"history.eventsCacheMaxSizeBytes": 8 << 20}}
	cfg.Log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	cfg.Progress = testLog{t}
	return cfg
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
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
		require.Len(t, rep.Targets, 7)
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
