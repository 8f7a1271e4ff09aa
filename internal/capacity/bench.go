package capacity

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Bench is the part of `ripen-dev bench`'s JSON report (internal/bench's
// Report) that the model reads. Sections another version of the bench may
// lack decode as zero values; Inputs says which were missing.
type Bench struct {
	StartedAt time.Time `json:"started_at"`
	Mode      string    `json:"mode"`
	Settings  struct {
		Customers       int    `json:"customers"`
		SleepingRuns    int    `json:"sleeping_runs"`
		YearWeeks       int    `json:"year_weeks"`
		StickyCacheSize int    `json:"worker_sticky_cache_size"`
		Temporal        string `json:"temporal"`
		Workers         int    `json:"workers"`
	} `json:"settings"`
	Machine struct {
		Cores        int     `json:"cores"`
		MemTotalMiB  float64 `json:"mem_total_mib"`
		LoadAvgStart string  `json:"loadavg_start"`
		LoadAvgEnd   string  `json:"loadavg_end"`
	} `json:"machine"`
	Versions struct {
		TemporalServer string `json:"temporal_server"`
		TemporalSDK    string `json:"temporal_sdk"`
	} `json:"versions"`

	// WorkersRaw is how many ripen worker processes ran: a number, or an
	// object with its count (absent: see Workers).
	WorkersRaw json.RawMessage `json:"workers"`

	Raw struct {
		Signals struct {
			ProcessedPerS float64 `json:"processed_per_s"`
		} `json:"signals"`
		LikeForLike struct {
			RunsPerS float64 `json:"runs_per_s"`
		} `json:"like_for_like"`
	} `json:"raw_ceiling"`
	Enrolment struct {
		RunsPerS float64 `json:"runs_per_s"`
	} `json:"enrolment"`
	Events struct {
		Saturation struct {
			ProcessedPerS float64 `json:"processed_per_s"`
		} `json:"saturation"`
	} `json:"event_reaction"`
	Scale struct {
		Runs          int     `json:"runs"`
		HistoryPerRun float64 `json:"history_events_per_run"`
		Before        struct {
			RSSMiB float64 `json:"rss_mib"`
		} `json:"memory_before"`
		Half struct {
			RSSMiB float64 `json:"rss_mib"`
		} `json:"memory_half"`
		RSSPerRunKiB         float64 `json:"rss_kib_per_run"`
		MarginalRSSPerRunKiB float64 `json:"marginal_rss_kib_per_run"`
	} `json:"scale"`
	Year       Year        `json:"simulated_year"`
	TableSizes []TableSize `json:"table_sizes"`
	Growth     []Growth    `json:"growth"`
	EventRows  struct {
		Rows      int64   `json:"rows"`
		TableRows int64   `json:"table_rows"`
		TableMiB  float64 `json:"table_mib"`
	} `json:"event_rows"`
}

// Workers is how many ripen worker processes the bench ran; 0 when the
// report does not say.
func (b Bench) Workers() int {
	var n int
	if json.Unmarshal(b.WorkersRaw, &n) == nil && n > 0 {
		return n
	}
	var o struct {
		Count int `json:"count"`
	}
	if json.Unmarshal(b.WorkersRaw, &o) == nil && o.Count > 0 {
		return o.Count
	}
	return b.Settings.Workers
}

// Year is the simulated year's shape (internal/bench's YearShape).
type Year struct {
	Weeks                  int            `json:"weeks"`
	ShapeRuns              int            `json:"shape_runs"`
	EventTypes             map[string]int `json:"event_types"`
	Actions                map[string]int `json:"billable_actions"`
	ActionsPerRunYear      float64        `json:"billable_actions_per_run_year"`
	HistoryBytesPerRunYear float64        `json:"history_bytes_per_run_year"`
	PerStart               Unit           `json:"per_start"`
	PerWeek                Unit           `json:"per_week"`
	PerEngagement          Unit           `json:"per_engagement"`
	Handoff                struct {
		Runs             int  `json:"runs"`
		PerFastLane      Unit `json:"per_fast_lane"`
		PerSalesFeedback Unit `json:"per_sales_feedback"`
	} `json:"handoff"`
}

// Unit is what one start, week, engagement or hand-off step adds to a
// run's history (internal/bench's UnitCost).
type Unit struct {
	Actions       float64 `json:"billable_actions"`
	Events        float64 `json:"history_events"`
	Bytes         float64 `json:"history_bytes"`
	WorkflowTasks float64 `json:"workflow_tasks"`
	Activities    float64 `json:"activities"`
	Upserts       float64 `json:"search_attribute_upserts"`
}

func (u Unit) plus(o Unit) Unit {
	return Unit{u.Actions + o.Actions, u.Events + o.Events, u.Bytes + o.Bytes, u.WorkflowTasks + o.WorkflowTasks,
		u.Activities + o.Activities, u.Upserts + o.Upserts}
}

func (u Unit) times(k float64) Unit {
	return Unit{u.Actions * k, u.Events * k, u.Bytes * k, u.WorkflowTasks * k, u.Activities * k, u.Upserts * k}
}

// TableSize is one table at the end of the bench.
type TableSize struct {
	Table       string  `json:"table"`
	Rows        int64   `json:"rows"`
	Bytes       int64   `json:"bytes"`
	BytesPerRow float64 `json:"bytes_per_row"`
	AvgRowBytes float64 `json:"avg_row_bytes"`
}

// Growth is one point of the bench's growth phase.
type Growth struct {
	SleepingRuns    int     `json:"sleeping_runs"`
	EnrolRunsPerS   float64 `json:"enrol_runs_per_s"`
	EventStateP99Ms float64 `json:"event_state_p99_ms"`
}

// ReadBench decodes a bench report.
func ReadBench(r io.Reader) (Bench, error) {
	var b Bench
	if err := json.NewDecoder(r).Decode(&b); err != nil {
		return b, fmt.Errorf("read bench report: %w", err)
	}
	return b, nil
}
