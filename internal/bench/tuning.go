package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/devtemporal"
)

// The SDK's defaults (go.temporal.io/sdk/internal/internal_worker.go) for
// what config.WorkerTuning leaves at zero.
const (
	sdkDefaultPollers   = 2
	sdkDefaultTaskSlots = 1000
	sdkDefaultStickyTTL = 5 * time.Second
)

// checkWorker rejects what the SDK would panic on or ignore.
func checkWorker(w config.WorkerTuning) []string {
	var probs []string
	for _, f := range []struct {
		name string
		v    int
		min  int
		why  string
	}{
		{"workflow-task pollers", w.WorkflowPollers, 2, "the SDK needs at least 2: one polls the sticky queue, one the task queue"},
		{"activity pollers", w.ActivityPollers, 1, ""},
		{"concurrent workflow tasks", w.MaxConcurrentWorkflowTasks, 2, "the SDK needs at least 2"},
		{"concurrent activities", w.MaxConcurrentActivities, 1, ""},
	} {
		if f.v != 0 && f.v < f.min {
			msg := fmt.Sprintf("worker %s %d: want at least %d", f.name, f.v, f.min)
			if f.why != "" {
				msg += " (" + f.why + ")"
			}
			probs = append(probs, msg)
		}
	}
	if w.StopTimeout < 0 {
		probs = append(probs, "worker stop timeout must not be negative")
	}
	return probs
}

func workerSettings(w config.WorkerTuning) WorkerSettings {
	set := []string{}
	pick := func(name string, v, def int) int {
		if v > 0 {
			set = append(set, name)
			return v
		}
		return def
	}
	return WorkerSettings{
		WorkflowTaskPollers:        pick("workflow_task_pollers", w.WorkflowPollers, sdkDefaultPollers),
		ActivityPollers:            pick("activity_task_pollers", w.ActivityPollers, sdkDefaultPollers),
		MaxConcurrentWorkflowTasks: pick("max_concurrent_workflow_tasks", w.MaxConcurrentWorkflowTasks, sdkDefaultTaskSlots),
		MaxConcurrentActivities:    pick("max_concurrent_activities", w.MaxConcurrentActivities, sdkDefaultTaskSlots),
		Set:                        set,
	}
}

// jsonValues copies a dynamic config map for the report, with durations
// written as Go durations ("5s") rather than nanoseconds.
func jsonValues(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if d, ok := v.(time.Duration); ok {
			v = d.String()
		}
		out[k] = v
	}
	return out
}

// temporalSummary says in one line how the embedded server ran.
func temporalSummary(c Config) string {
	if c.TemporalStore == devtemporal.StorePostgres {
		return fmt.Sprintf("embedded, PostgreSQL persistence and SQL visibility, %s history shards", shardsText(c.TemporalShards))
	}
	shards := "1 history shard"
	if c.TemporalShards > 1 {
		shards = fmt.Sprintf("%d history shards", c.TemporalShards)
	}
	t := c.Temporal
	return fmt.Sprintf("embedded, SQLite file (%s; %s), %s", pragmaSummary(t.EffectiveSQLitePragmas()), connSummary(t.SQLiteMaxConns), shards)
}

func pragmaSummary(p map[string]string) string {
	return "pragmas " + kvList(p)
}

func connSummary(n int) string {
	if n <= 1 {
		return "1 connection"
	}
	return fmt.Sprintf("%d connections", n)
}

// kvList writes a map as "a=1, b=2", sorted by key.
func kvList[V any](m map[string]V) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// settingsLines are the knobs of the run, for the table's header.
func (s Settings) settingsLines() []string {
	w := s.Worker
	lines := []string{
		fmt.Sprintf("worker: %d workflow-task pollers, %d activity pollers, %d workflow-task slots, %d activity slots, workflow cache %d, sticky schedule-to-start %s (SDK default)",
			w.WorkflowTaskPollers, w.ActivityPollers, w.MaxConcurrentWorkflowTasks, w.MaxConcurrentActivities, s.StickyCacheSize, sdkDefaultStickyTTL),
		fmt.Sprintf("temporal: %s", s.Temporal),
	}
	if len(s.TemporalOverrides) > 0 {
		lines = append(lines, "server config overrides: "+kvList(s.TemporalOverrides))
	} else {
		lines = append(lines, "server config overrides: none")
	}
	if s.Workers > 1 || len(s.Growth) > 0 || s.EventRows > 0 {
		growth := "off"
		if len(s.Growth) > 0 {
			growth = strings.Trim(strings.Join(strings.Fields(fmt.Sprint(s.Growth)), ","), "[]") + fmt.Sprintf(" sleeping runs, bursts of %gs", s.GrowthBurstS)
		}
		lines = append(lines, fmt.Sprintf("worker processes: %d; growth: %s; event rows: %d", max(s.Workers, 1), growth, s.EventRows))
	}
	return lines
}
