package bench

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// growJourney is the growth phase's journey: the scale phase's sleeping
// journey under its own ID, so the two phases count their runs apart.
const growJourney = "bench-grow"

var growYAML = strings.Replace(strings.Replace(sleepYAML, "id: bench-sleep", "id: "+growJourney, 1),
	`name: "Benchmark: asleep for a year"`, `name: "Benchmark: growth, asleep for a year"`, 1)

// GrowthLevel is one level of the growth phase: the journey's sleeping runs
// enrolled up to SleepingRuns, then events offered to them.
type GrowthLevel struct {
	SleepingRuns int `json:"sleeping_runs"`
	// Enrolled runs in the step that got here, and their rate (customers
	// PUT before the clock starts; the clock stops when the last runs
	// enrolled are asleep).
	Enrolled      int     `json:"enrolled"`
	EnrolS        float64 `json:"enrol_s"`
	EnrolRunsPerS float64 `json:"enrol_runs_per_s"`
	// The burst: one visit per POST at OfferedRate for DurationS, spread
	// over every sleeping run of the journey.
	OfferedRate     float64 `json:"offered_rate_per_s"`
	DurationS       float64 `json:"duration_s"`
	Offered         int     `json:"offered"`
	Accepted        int     `json:"accepted"`
	InState         int     `json:"in_state"`
	Late            int     `json:"late"`
	Errors          int     `json:"errors"`
	EventStateP50Ms float64 `json:"event_state_p50_ms"`
	EventStateP95Ms float64 `json:"event_state_p95_ms"`
	EventStateP99Ms float64 `json:"event_state_p99_ms"`
	EventStateMaxMs float64 `json:"event_state_max_ms"`
	PostP99Ms       float64 `json:"post_p99_ms"`
	// RSSMiB is the bench process's, ChildrenRSSMiB the extra worker
	// processes' together, after the burst.
	RSSMiB         float64 `json:"rss_mib"`
	ChildrenRSSMiB float64 `json:"children_rss_mib"`
	TemporalMiB    float64 `json:"temporal_store_mib"`
}

// growth enrols sleeping runs of growJourney up to each level of
// Config.Growth in turn and, at each, offers events at the configured rate
// for GrowthBurst to the journey's runs: how event→state and the
// enrolment rate change as sleeping runs pile up.
func (b *bench) growth(ctx context.Context) error {
	levels := b.cfg.Growth
	b.rep.Growth = []GrowthLevel{} // [] rather than null when off
	if len(levels) == 0 {
		return nil
	}
	if _, err := b.publish(ctx, growYAML); err != nil {
		return err
	}
	tg := &eventTarget{journey: growJourney}
	for _, level := range levels {
		have := len(tg.customers)
		if level <= have {
			continue
		}
		ids := make([]string, level-have)
		paths := make([]string, len(ids))
		for i := range ids {
			ids[i] = fmt.Sprintf("g-%07d", have+i+1)
			paths[i] = "/v1/customers/" + ids[i]
		}
		b.progress("growth: %d customers through the API, then enrolling them (to %d sleeping runs)", len(ids), level)
		if err := b.api.putAll(ctx, b.cfg.Clients, paths, func(i int) any { return customer(ids[i], have+i) }); err != nil {
			return err
		}
		start := time.Now()
		if err := b.sleepRuns(ctx, growJourney, ids, have); err != nil {
			return err
		}
		took := time.Since(start)
		tg.customers = append(tg.customers, ids...)
		tg.points = append(tg.points, make([]float64, len(ids))...)
		gl := GrowthLevel{SleepingRuns: level, Enrolled: len(ids), EnrolS: secs(took), EnrolRunsPerS: perSecond(len(ids), took)}
		b.progress("growth: %d runs asleep after %.1fs (%.1f runs/s)", level, took.Seconds(), gl.EnrolRunsPerS)

		var ev Events
		if err := b.offer(ctx, fmt.Sprintf("growth at %d", level), tg, b.cfg.Rate, b.cfg.GrowthBurst, &ev); err != nil {
			return err
		}
		gl.OfferedRate, gl.DurationS = ev.OfferedRate, ev.DurationS
		gl.Offered, gl.Accepted, gl.InState, gl.Late, gl.Errors = ev.Offered, ev.Accepted, ev.Reflected, ev.Late, ev.Errors
		gl.EventStateP50Ms, gl.EventStateP95Ms, gl.EventStateP99Ms, gl.EventStateMaxMs = ev.ToState.P50Ms, ev.ToState.P95Ms, ev.ToState.P99Ms, ev.ToState.MaxMs
		gl.PostP99Ms = ev.Post.P99Ms
		gl.RSSMiB, gl.ChildrenRSSMiB, gl.TemporalMiB = memoryNow().RSSMiB, b.childrenRSSMiB(), mib(b.sqliteBytes())
		b.rep.Growth = append(b.rep.Growth, gl)
	}
	return nil
}

// ParseGrowth reads --growth: ascending counts of sleeping runs, e.g.
// "1000,10000,100000".
func ParseGrowth(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		var n int
		if _, err := fmt.Sscan(f, &n); err != nil || n < 1 || fmt.Sprint(n) != f {
			return nil, fmt.Errorf("--growth %q: want ascending positive counts such as 1000,10000,100000", s)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("--growth %q: the levels must ascend", s)
		}
		out = append(out, n)
	}
	return out, nil
}
