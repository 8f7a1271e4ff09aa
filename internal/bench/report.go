package bench

import (
	"fmt"
	"strings"
	"time"
)

// Report is every figure of one benchmark run; the JSON file is this.
type Report struct {
	StartedAt time.Time `json:"started_at"`
	TookS     float64   `json:"took_s"`
	Mode      string    `json:"mode"` // quick or full
	Settings  Settings  `json:"settings"`
	Machine   Machine   `json:"machine"`
	Versions  Versions  `json:"versions"`

	Raw       RawCeiling `json:"raw_ceiling"`
	Enrolment Enrolment  `json:"enrolment"`
	FastLane  FastLane   `json:"fast_lane"`
	Events    Events     `json:"event_reaction"`
	Year      Year       `json:"simulated_year"`
	Scale     Scale      `json:"scale"`
	Reporting Reporting  `json:"journey_report"`
	// Collection is the water hole's page views.
	Collection Collection `json:"web_collection"`
	// Workers are ripen's worker processes (--workers).
	Workers Workers `json:"workers"`
	// Growth is a row per level of sleeping runs (--growth; empty when off).
	Growth []GrowthLevel `json:"growth"`
	// EventRows is routing and detection over a large events table
	// (--event-rows; zero when off).
	EventRows EventRows `json:"event_rows"`
	// Profiles are the CPU and heap profiles taken (--profile).
	Profiles []Profile `json:"profiles,omitempty"`
	// TableSizes are ripen's tables at the end (tablesizes.go).
	TableSizes []TableSize `json:"table_sizes"`

	Ratios  Ratios   `json:"ratios_to_raw_ceiling"`
	Targets []Target `json:"targets"`
	Notes   []string `json:"notes"`
	Error   string   `json:"error,omitempty"`
}

// Settings are the knobs the run used.
type Settings struct {
	Customers              int     `json:"customers"`
	EnrolBatch             int     `json:"enrol_batch"`
	Rate                   float64 `json:"offered_event_rate_per_s"`
	DurationS              float64 `json:"event_duration_s"`
	Runs                   int     `json:"sleeping_runs"`
	Clients                int     `json:"clients"`
	RawClients             int     `json:"raw_clients"`
	RawDurationS           float64 `json:"raw_duration_s"`
	SaturationDurationS    float64 `json:"saturation_duration_s"`
	SaturationBatch        int     `json:"saturation_batch"`
	FastLanes              int     `json:"fast_lanes"`
	YearWeeks              int     `json:"year_weeks"`
	YearRuns               int     `json:"year_runs_per_path"`
	YearContinueAsNewAfter int     `json:"year_continue_as_new_after"`
	DatabaseName           string  `json:"database"`
	DataDir                string  `json:"data_dir"`
	Kept                   bool    `json:"kept"`
	StickyCacheSize        int     `json:"worker_sticky_cache_size"`
	YearScaleOverlap       bool    `json:"year_and_scale_overlap"`
	// Worker is ripen's worker as it ran (SDK defaults filled in).
	Worker WorkerSettings `json:"worker"`
	// TemporalDynamicConfig is every dynamic config key the embedded server
	// was given (devtemporal's defaults and the overrides);
	// TemporalOverrides are the overrides alone (--server-config).
	TemporalDynamicConfig map[string]any    `json:"temporal_dynamic_config"`
	TemporalOverrides     map[string]any    `json:"temporal_dynamic_config_overrides"`
	SQLitePragmas         map[string]string `json:"sqlite_pragmas"`
	SQLiteMaxConns        int               `json:"sqlite_max_conns"`
	Temporal              string            `json:"temporal"`
	Workers               int               `json:"workers"`
	Growth                []int             `json:"growth_levels"`
	GrowthBurstS          float64           `json:"growth_burst_s"`
	EventRows             int64             `json:"event_rows"`
	DetectCalls           int               `json:"detect_calls"`
	ProfileDir            string            `json:"profile_dir,omitempty"`
}

// WorkerSettings are ripen's worker's sizes; see config.WorkerTuning.
type WorkerSettings struct {
	WorkflowTaskPollers        int `json:"workflow_task_pollers"`
	ActivityPollers            int `json:"activity_task_pollers"`
	MaxConcurrentWorkflowTasks int `json:"max_concurrent_workflow_tasks"`
	MaxConcurrentActivities    int `json:"max_concurrent_activities"`
	// Set names the fields given explicitly; the others are SDK defaults.
	Set []string `json:"set"`
}

// Throughput is a closed-loop phase: clients call as fast as answers come.
type Throughput struct {
	Clients       int     `json:"clients"`
	DurationS     float64 `json:"duration_s"`
	Calls         int     `json:"calls"`
	Errors        int     `json:"errors"`
	CallsPerS     float64 `json:"calls_per_s"`
	CallLatency   Latency `json:"call_latency"`
	Processed     int     `json:"processed"`
	ProcessedS    float64 `json:"processed_s"`
	ProcessedPerS float64 `json:"processed_per_s"`
}

// RawCeiling is a trivial workflow on the same server, driven straight by
// the SDK: what Temporal alone can do on this machine.
type RawCeiling struct {
	SignalWithStart Throughput `json:"signal_with_start"`
	Signals         Throughput `json:"signals"`
	SignalQuery     struct {
		Clients   int     `json:"clients"`
		DurationS float64 `json:"duration_s"`
		Errors    int     `json:"errors"`
		Latency   Latency `json:"latency"`
	} `json:"signal_to_query"`
	// SignalQueryAlone is the round trip with one client on an idle server.
	SignalQueryAlone Latency `json:"signal_to_query_1_client"`
	// LikeForLike is the workflow that runs one activity, then sleeps.
	LikeForLike LikeForLike `json:"like_for_like"`
	// Workers is how many worker processes ran the raw workflows (as many
	// as ripen's).
	Workers int `json:"workers"`
}

// LikeForLike is runs of a trivial workflow that runs one activity and then
// sleeps, started by SignalWithStart from the raw phase's clients: RunsPerS
// counts until every run has completed its activity, as ripen's enrolment
// counts runs until each has sent its first email.
type LikeForLike struct {
	Clients        int     `json:"clients"`
	DurationS      float64 `json:"duration_s"`
	Runs           int     `json:"runs"`
	Errors         int     `json:"errors"`
	CallsPerS      float64 `json:"calls_per_s"`
	CallLatency    Latency `json:"call_latency"`
	Activities     int     `json:"activities"`
	AllActivitiesS float64 `json:"all_activities_s"`
	RunsPerS       float64 `json:"runs_per_s"`
}

// Enrolment is N customers enrolled through the API in bulk.
type Enrolment struct {
	Customers      int            `json:"customers"`
	Requests       int            `json:"requests"`
	Statuses       map[string]int `json:"statuses"`
	Retried        int            `json:"retried"`
	Started        int            `json:"started"`
	RequestS       float64        `json:"api_request_s"`
	APIStartsPerS  float64        `json:"api_starts_per_s"`
	FirstSends     int            `json:"first_sends"`
	AllFirstSendsS float64        `json:"all_first_sends_s"`
	RunsPerS       float64        `json:"runs_per_s"`
	FirstSend      Latency        `json:"enrol_to_first_send"`
}

// Events is engagement through /v1/events.
type Events struct {
	OfferedRate  float64 `json:"offered_rate_per_s"`
	DurationS    float64 `json:"duration_s"`
	Offered      int     `json:"offered"`
	Shed         int     `json:"shed"`
	Accepted     int     `json:"accepted"`
	Errors       int     `json:"errors"`
	Reflected    int     `json:"reflected"`
	Late         int     `json:"late"`
	StateErrors  int     `json:"state_errors"`
	AchievedRate float64 `json:"achieved_rate_per_s"`
	Post         Latency `json:"post_latency"`
	ToState      Latency `json:"request_to_state"`
	// Timeline is request→state by the second the request was sent in:
	// it shows whether a tail is one stall or spread out.
	Timeline   []SecondStat `json:"timeline"`
	Saturation struct {
		Throughput
		BatchSize   int `json:"batch_size"`
		Events      int `json:"events"`
		Accepted    int `json:"accepted"`
		StateErrors int `json:"state_errors"`
	} `json:"saturation"`
}

// SecondStat is one second of the offered-rate phase.
type SecondStat struct {
	Second int     `json:"second"`
	Events int     `json:"events"`
	P50Ms  float64 `json:"p50_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// FastLane is contacts asking for a demo on the /f/ page.
type FastLane struct {
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	Handoffs    int     `json:"handoffs"`
	OwnerEmails int     `json:"owner_emails"`
	Post        Latency `json:"post_latency"`
	ToHandoff   Latency `json:"to_handoff_row"`
	ToEmail     Latency `json:"to_owner_email"`
}

// Scale is M runs asleep in a long wait.
type Scale struct {
	Runs            int     `json:"runs"`
	CustomersS      float64 `json:"customers_put_s"`
	Started         int     `json:"started"`
	Asleep          int     `json:"asleep"`
	EnrolS          float64 `json:"enrol_s"`
	RunsPerS        float64 `json:"runs_per_s"`
	Before          Memory  `json:"memory_before"`
	Half            Memory  `json:"memory_half"`
	After           Memory  `json:"memory_after"`
	SQLiteBefore    int64   `json:"sqlite_bytes_before"`
	SQLiteHalf      int64   `json:"sqlite_bytes_half"`
	SQLiteAfter     int64   `json:"sqlite_bytes_after"`
	SQLitePerRunKiB float64 `json:"sqlite_kib_per_run"`
	RSSPerRunKiB    float64 `json:"rss_kib_per_run"`
	HeapPerRunKiB   float64 `json:"heap_kib_per_run"`
	// Marginal: the second half only, once the workflow cache is full.
	MarginalRSSPerRunKiB  float64 `json:"marginal_rss_kib_per_run"`
	MarginalHeapPerRunKiB float64 `json:"marginal_heap_kib_per_run"`
	HistoryPerRun         float64 `json:"history_events_per_run"`
	HistorySample         int     `json:"history_sample"`
	RSSAt100kMiB          float64 `json:"rss_at_100k_mib"`
	RSSAt100kMeasure      string  `json:"rss_at_100k_basis"`
}

// Year is a year of a weekly journey, compressed so a week passes in a
// second, on the real server.
type Year struct {
	Weeks           int       `json:"weeks"`
	SecondsPerWeek  float64   `json:"seconds_per_week"`
	TookS           float64   `json:"took_s"`
	Events          int       `json:"engagements_posted"`
	Runs            []YearRun `json:"runs"`
	MaxEventsPerRun int       `json:"max_history_events_one_run"`
	EventsPerYear   float64   `json:"history_events_per_year"`
	SuggestAt       int       `json:"server_suggests_continue_as_new_at"`
	YearShape                 // event types and billable actions (year.go)
}

// YearRun is one customer's run chain after the simulated year.
type YearRun struct {
	WorkflowID         string `json:"workflow_id"`
	StartedVia         string `json:"started_via"` // api or sdk
	ContinueAsNewAfter int    `json:"continue_as_new_after"`
	Touches            int    `json:"touches"`
	Chain              int    `json:"runs_in_chain"`
	ContinuedAsNew     int    `json:"continued_as_new"`
	TotalEvents        int    `json:"history_events_total"`
	MaxEvents          int    `json:"history_events_max_one_run"`
	CurrentEvents      int    `json:"history_events_current_run"`
}

// Ratios compare ripen with the raw ceiling.
type Ratios struct {
	EnrolmentVsSignalWithStart float64 `json:"enrolment_vs_signal_with_start"`
	EnrolmentVsSWSProcessed    float64 `json:"enrolment_vs_signal_with_start_processed"`
	EnrolmentVsLikeForLike     float64 `json:"enrolment_vs_like_for_like"`
	EventsVsSignals            float64 `json:"sustained_events_vs_signals"`
	EventsProcessedVsSignals   float64 `json:"events_processed_vs_signals_processed"`
	EventP50VsSignalQueryP50   float64 `json:"event_p50_vs_signal_query_p50"`
	EventP99VsSignalQueryP99   float64 `json:"event_p99_vs_signal_query_p99"`
}

// Target is one of issue 8's goals and whether this run reached it.
type Target struct {
	Name     string  `json:"name"`
	Goal     string  `json:"goal"`
	Measured float64 `json:"measured"`
	Unit     string  `json:"unit"`
	Met      bool    `json:"met"`
	// Verdict is reached, not reached or not measured.
	Verdict string `json:"verdict"`
	Note    string `json:"note,omitempty"`
	// unmeasured: this run has no figure for it.
	unmeasured bool
}

func (r *Report) computeRatios() {
	raw := r.Raw
	r.Ratios = Ratios{
		EnrolmentVsSignalWithStart: ratio(r.Enrolment.RunsPerS, raw.SignalWithStart.CallsPerS),
		EnrolmentVsSWSProcessed:    ratio(r.Enrolment.RunsPerS, raw.SignalWithStart.ProcessedPerS),
		EnrolmentVsLikeForLike:     ratio(r.Enrolment.RunsPerS, raw.LikeForLike.RunsPerS),
		EventsVsSignals:            ratio(r.Events.Saturation.CallsPerS, raw.Signals.CallsPerS),
		EventsProcessedVsSignals:   ratio(r.Events.Saturation.ProcessedPerS, raw.Signals.ProcessedPerS),
		EventP50VsSignalQueryP50:   ratio(r.Events.ToState.P50Ms, raw.SignalQuery.Latency.P50Ms),
		EventP99VsSignalQueryP99:   ratio(r.Events.ToState.P99Ms, raw.SignalQuery.Latency.P99Ms),
	}
}

func (r *Report) judgeTargets() {
	note := ""
	if r.Settings.Rate != 50 {
		note = "measured at the offered rate in settings, not 50/s"
	}
	scaleNote := r.Scale.RSSAt100kMeasure
	r.Targets = []Target{
		{Name: "event→state p99", Goal: "< 250 ms at 50 events/s", Measured: r.Events.ToState.P99Ms, Unit: "ms",
			Met: r.Events.ToState.N > 0 && r.Events.ToState.P99Ms < 250, Note: note, unmeasured: r.Events.ToState.N == 0},
		{Name: "sustained event rate", Goal: "≥ 80 % of raw signals/s", Measured: r.Ratios.EventsVsSignals, Unit: "ratio",
			Met: r.Ratios.EventsVsSignals >= 0.8, unmeasured: r.Raw.Signals.CallsPerS == 0 || r.Events.Saturation.CallsPerS == 0},
		{Name: "enrolment rate", Goal: "≥ 0.6 of the like-for-like raw runs/s (one activity, then asleep)", Measured: r.Ratios.EnrolmentVsLikeForLike, Unit: "ratio",
			Met: r.Ratios.EnrolmentVsLikeForLike >= 0.6, unmeasured: r.Raw.LikeForLike.RunsPerS == 0 || r.Enrolment.RunsPerS == 0,
			Note: fmt.Sprintf("%.1f runs/s ÷ %.1f like-for-like runs/s, %d worker process(es); vs raw SignalWithStart calls %.2f",
				r.Enrolment.RunsPerS, r.Raw.LikeForLike.RunsPerS, r.Workers.Count, r.Ratios.EnrolmentVsSignalWithStart)},
		{Name: "fast lane→hand-off p99", Goal: "< 2 s", Measured: r.FastLane.ToHandoff.P99Ms, Unit: "ms",
			Met: r.FastLane.ToHandoff.N > 0 && r.FastLane.ToHandoff.P99Ms < 2000, unmeasured: r.FastLane.ToHandoff.N == 0},
		{Name: "100,000 sleeping runs", Goal: "worker RSS < 1 GiB", Measured: r.Scale.RSSAt100kMiB, Unit: "MiB",
			Met: r.Scale.RSSAt100kMiB > 0 && r.Scale.RSSAt100kMiB < 1024, Note: scaleNote, unmeasured: r.Scale.RSSAt100kMiB == 0},
		{Name: "journey report", Goal: "< 1 s over 100,000 runs and 1,000,000 events (warm p50)", Measured: r.Reporting.WarmP50, Unit: "ms",
			Met:        r.Reporting.Runs >= 100000 && r.Reporting.Events >= 1000000 && r.Reporting.WarmP50 > 0 && r.Reporting.WarmP50 < 1000,
			unmeasured: r.Reporting.Runs < 100000 || r.Reporting.Events < 1000000 || r.Reporting.WarmP50 == 0,
			Note:       fmt.Sprintf("%d runs, %d events; cold %.0f ms", r.Reporting.Runs, r.Reporting.Events, r.Reporting.ColdMs)},
		{Name: "web collection", Goal: "answer p99 < 50 ms at 500 page views/s, each view stored once", Measured: r.Collection.Answer.P99Ms, Unit: "ms",
			Met: r.Collection.OfferedPerS >= 500 && r.Collection.Accepted > 0 && r.Collection.Failed == 0 && r.Collection.StoredOnce &&
				r.Collection.Answer.P99Ms < 50,
			unmeasured: r.Collection.OfferedPerS < 500 || r.Collection.Offered == 0,
			Note: fmt.Sprintf("%d of %d accepted at %.0f/s; stored once: %t", r.Collection.Accepted, r.Collection.Offered,
				r.Collection.AchievedPerS, r.Collection.StoredOnce)},
	}
	r.Targets = append(r.Targets, r.issue20Targets()...)
	for i := range r.Targets {
		t := &r.Targets[i]
		switch {
		case t.unmeasured:
			t.Met, t.Verdict = false, "not measured"
		case t.Met:
			t.Verdict = "reached"
		default:
			t.Verdict = "not reached"
		}
	}
}

// issue20Targets are issue 20's targets that the enrolment target above
// does not cover; its ratios are meant to be measured in one run on the
// Postgres store.
func (r *Report) issue20Targets() []Target {
	where := func(rate float64) string {
		var parts []string
		if rate != 100 {
			parts = append(parts, fmt.Sprintf("measured at %.0f events/s, not 100", rate))
		}
		if !strings.Contains(r.Settings.Temporal, "PostgreSQL") {
			parts = append(parts, "not on the Postgres store")
		}
		return strings.Join(parts, "; ")
	}
	ev := r.Events.ToState
	out := []Target{
		{Name: "event→state p99 (issue 20)", Goal: "< 100 ms at 100 events/s", Measured: ev.P99Ms, Unit: "ms",
			Met: ev.P99Ms < 100, unmeasured: ev.N == 0, Note: where(r.Settings.Rate)},
		{Name: "sustained event rate (issue 20)", Goal: "≥ 0.9 of raw signal calls/s", Measured: r.Ratios.EventsVsSignals, Unit: "ratio",
			Met: r.Ratios.EventsVsSignals >= 0.9, unmeasured: r.Raw.Signals.CallsPerS == 0 || r.Events.Saturation.CallsPerS == 0},
		{Name: "a second worker process", Goal: "raises enrolment ≥ 1.6x where the server is not the bottleneck", Unit: "x", unmeasured: true,
			Note: fmt.Sprintf("takes two runs: compare enrolment.runs_per_s of --workers 1 and --workers 2 (this run: %d worker process(es), %.1f runs/s; like-for-like raw %.1f runs/s says whether the server limits)",
				r.Workers.Count, r.Enrolment.RunsPerS, r.Raw.LikeForLike.RunsPerS)},
	}
	g := Target{Name: "event→state p99 as runs grow", Goal: "p99 at the largest level within 1.5x of the smallest (1,000 → 100,000 sleeping runs)", Unit: "x",
		unmeasured: true, Note: "--growth not given (or one level)"}
	if n := len(r.Growth); n >= 2 {
		lo, hi := r.Growth[0], r.Growth[n-1]
		g.Measured = ratio(hi.EventStateP99Ms, lo.EventStateP99Ms)
		g.unmeasured = lo.InState == 0 || hi.InState == 0
		g.Met = g.Measured <= 1.5
		g.Note = fmt.Sprintf("p99 %.1f ms at %d runs, %.1f ms at %d", lo.EventStateP99Ms, lo.SleepingRuns, hi.EventStateP99Ms, hi.SleepingRuns)
		if lo.SleepingRuns != 1000 || hi.SleepingRuns != 100000 {
			g.Note += "; not the issue's levels"
		}
		if s := where(lo.OfferedRate); s != "" {
			g.Note += "; " + s
		}
	}
	return append(out, g)
}
