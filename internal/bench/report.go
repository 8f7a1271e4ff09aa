package bench

import (
	"fmt"
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
	Note     string  `json:"note,omitempty"`
}

func (r *Report) computeRatios() {
	raw := r.Raw
	r.Ratios = Ratios{
		EnrolmentVsSignalWithStart: ratio(r.Enrolment.RunsPerS, raw.SignalWithStart.CallsPerS),
		EnrolmentVsSWSProcessed:    ratio(r.Enrolment.RunsPerS, raw.SignalWithStart.ProcessedPerS),
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
			Met: r.Events.ToState.N > 0 && r.Events.ToState.P99Ms < 250, Note: note},
		{Name: "sustained event rate", Goal: "≥ 80 % of raw signals/s", Measured: r.Ratios.EventsVsSignals, Unit: "ratio",
			Met: r.Ratios.EventsVsSignals >= 0.8},
		{Name: "enrolment rate", Goal: "≥ 50 % of raw SignalWithStart/s", Measured: r.Ratios.EnrolmentVsSignalWithStart, Unit: "ratio",
			Met: r.Ratios.EnrolmentVsSignalWithStart >= 0.5},
		{Name: "fast lane→hand-off p99", Goal: "< 2 s", Measured: r.FastLane.ToHandoff.P99Ms, Unit: "ms",
			Met: r.FastLane.ToHandoff.N > 0 && r.FastLane.ToHandoff.P99Ms < 2000},
		{Name: "100,000 sleeping runs", Goal: "worker RSS < 1 GiB", Measured: r.Scale.RSSAt100kMiB, Unit: "MiB",
			Met: r.Scale.RSSAt100kMiB > 0 && r.Scale.RSSAt100kMiB < 1024, Note: scaleNote},
		{Name: "journey report", Goal: "< 1 s over 100,000 runs and 1,000,000 events (warm p50)", Measured: r.Reporting.WarmP50, Unit: "ms",
			Met:  r.Reporting.Runs >= 100000 && r.Reporting.Events >= 1000000 && r.Reporting.WarmP50 > 0 && r.Reporting.WarmP50 < 1000,
			Note: fmt.Sprintf("%d runs, %d events; cold %.0f ms", r.Reporting.Runs, r.Reporting.Events, r.Reporting.ColdMs)},
		{Name: "web collection", Goal: "answer p99 < 50 ms at 500 page views/s, each view stored once", Measured: r.Collection.Answer.P99Ms, Unit: "ms",
			Met: r.Collection.OfferedPerS >= 500 && r.Collection.Accepted > 0 && r.Collection.Failed == 0 && r.Collection.StoredOnce &&
				r.Collection.Answer.P99Ms < 50,
			Note: fmt.Sprintf("%d of %d accepted at %.0f/s; stored once: %t", r.Collection.Accepted, r.Collection.Offered,
				r.Collection.AchievedPerS, r.Collection.StoredOnce)},
	}
}
