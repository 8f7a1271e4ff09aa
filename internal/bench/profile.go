package bench

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Profile is one process's CPU and heap profiles over a phase, and the top
// of each as `go tool pprof -top` prints it.
type Profile struct {
	Process string `json:"process"` // bench (server, API and worker) or worker-N
	Phase   string `json:"phase"`
	CPU     string `json:"cpu_file"`
	Heap    string `json:"heap_file"`
	// TopFile holds `go tool pprof -top` of both; TopCPU is the CPU top's
	// first entries (flat, flat%, sum%, cum, cum%, function).
	TopFile string   `json:"top_file,omitempty"`
	TopCPU  []string `json:"top_cpu,omitempty"`
	// CPUByPart is the share of CPU samples (percent) by the part of the
	// process they were spent in, from every sample's stack.
	CPUByPart map[string]float64 `json:"cpu_by_part_pct,omitempty"`
	Error     string             `json:"error,omitempty"`
}

// profiling is the profiles being taken.
type profiling struct {
	phase string
	local profiler
	files []Profile
}

// startProfiles starts CPU profiles of this process and of each child
// worker for phase (nothing without Config.ProfileDir).
func (b *bench) startProfiles(phase string) error {
	dir := b.cfg.ProfileDir
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	p := &profiling{phase: phase}
	name := func(proc, kind string) string {
		return filepath.Join(abs, fmt.Sprintf("%s-%s-%s.pprof", proc, phase, kind))
	}
	files := Profile{Process: "bench", Phase: phase, CPU: name("bench", "cpu"), Heap: name("bench", "heap")}
	if err := p.local.start(files.CPU); err != nil {
		return fmt.Errorf("CPU profile: %w", err)
	}
	p.files = append(p.files, files)
	for _, c := range b.children {
		files := Profile{Process: c.name, Phase: phase, CPU: name(c.name, "cpu"), Heap: name(c.name, "heap")}
		if err := c.post(context.Background(), "/bench/profile/start", url.Values{"cpu": {files.CPU}}); err != nil {
			files.Error = err.Error()
		}
		p.files = append(p.files, files)
	}
	b.profiling = p
	return nil
}

// stopProfiles ends the profiles, writes the heap profiles, and prints the
// top of each into the progress output and a file beside them.
func (b *bench) stopProfiles() {
	p := b.profiling
	if p == nil {
		return
	}
	b.profiling = nil
	// Every profile ends first, then the tops are made (they take a while).
	for i := range p.files {
		f := &p.files[i]
		var err error
		if f.Process == "bench" {
			err = p.local.stop(f.Heap)
		} else if f.Error == "" {
			for _, c := range b.children {
				if c.name == f.Process {
					err = c.post(context.Background(), "/bench/profile/stop", url.Values{"heap": {f.Heap}})
				}
			}
		}
		if err != nil {
			f.Error = err.Error()
		}
	}
	for i := range p.files {
		f := &p.files[i]
		if f.Error != "" {
			b.progress("profile of %s: %s", f.Process, f.Error)
			continue
		}
		b.topOf(f)
	}
	b.rep.Profiles = append(b.rep.Profiles, p.files...)
}

// topCPULines is how many entries of the CPU top go in the progress output
// and the report.
const topCPULines = 15

// topOf runs `go tool pprof -top` on both profiles into a text file beside
// them, and prints the CPU top's first entries.
func (b *bench) topOf(f *Profile) {
	var out strings.Builder
	var cpuTop []string
	for _, run := range []struct {
		file string
		args []string
	}{
		{f.CPU, []string{"-top", "-nodecount=40"}},
		{f.CPU, []string{"-top", "-cum", "-nodecount=40"}},
		{f.Heap, []string{"-top", "-sample_index=inuse_space", "-nodecount=25"}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, "go", append(append([]string{"tool", "pprof"}, run.args...), run.file)...)
		text, err := cmd.CombinedOutput()
		cancel()
		fmt.Fprintf(&out, "$ go tool pprof %s %s\n%s\n", strings.Join(run.args, " "), filepath.Base(run.file), text)
		if err != nil {
			if f.Error != "" {
				f.Error += "; "
			}
			f.Error += fmt.Sprintf("go tool pprof %s: %v", filepath.Base(run.file), err)
			continue
		}
		if cpuTop == nil {
			cpuTop = topEntries(string(text), topCPULines)
		}
	}
	f.TopCPU = cpuTop
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	traces, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-traces", f.CPU).Output()
	cancel()
	if err == nil {
		f.CPUByPart = cpuByPart(string(traces))
	}
	f.TopFile = strings.TrimSuffix(f.CPU, "-cpu.pprof") + "-top.txt"
	if err := os.WriteFile(f.TopFile, []byte(out.String()), 0o644); err != nil {
		f.TopFile = ""
	}
	b.progress("profile of %s during %s: CPU by part: %s", f.Process, f.Phase, partsText(f.CPUByPart, 0))
	b.progress("profile of %s during %s (%s): CPU top", f.Process, f.Phase, f.TopFile)
	for _, l := range cpuTop {
		b.progress("    %s", l)
	}
}

// topEntries keeps the header line and the first n entries of a pprof top.
func topEntries(text string, n int) []string {
	var out []string
	in := false
	for l := range strings.SplitSeq(text, "\n") {
		switch {
		case strings.HasPrefix(strings.TrimSpace(l), "flat"):
			in = true
			out = append(out, strings.TrimRight(l, " "))
		case in && strings.TrimSpace(l) != "" && len(out) <= n:
			out = append(out, strings.TrimRight(l, " "))
		case strings.HasPrefix(l, "Showing") || strings.HasPrefix(l, "Duration"):
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// profiledEnrolment is the enrolment phase under the profiles (with
// --profile), and the children's memory after it.
func (b *bench) profiledEnrolment(ctx context.Context) error {
	err := b.profiled(ctx, "enrolment", b.enrolment)
	b.sampleChildren(false)
	return err
}

// profiledEvents is the event reaction phase under the profiles (with
// --profile): where an engagement event's cost goes.
func (b *bench) profiledEvents(ctx context.Context) error {
	return b.profiled(ctx, "events", b.eventReaction)
}

// profiled runs a phase under CPU and heap profiles of every process
// (nothing without --profile).
func (b *bench) profiled(ctx context.Context, phase string, run func(context.Context) error) error {
	if err := b.startProfiles(phase); err != nil {
		return err
	}
	err := run(ctx)
	b.stopProfiles()
	return err
}

// cpuParts name the parts of a bench process by frames of a sample's
// stack; the first part with a frame in the stack takes the sample.
var cpuParts = []struct {
	name   string
	frames []string
}{
	{"GC", []string{"runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge"}},
	{"Temporal server", []string{"go.temporal.io/server/"}},
	{"ripen worker (SDK, workflows, activities)", []string{
		"github.com/ripen/ripen/workflows.", "github.com/ripen/ripen/activities.", "github.com/ripen/ripen/worker.",
		"go.temporal.io/sdk/internal.(*baseWorker)", "go.temporal.io/sdk/internal.(*workflowTaskPoller)",
		"go.temporal.io/sdk/internal.(*activityTaskPoller)", "go.temporal.io/sdk/internal.(*workflowTaskHandlerImpl)",
		"go.temporal.io/sdk/internal.(*activityTaskHandlerImpl)", "go.temporal.io/sdk/internal.(*coroutineState)",
	}},
	{"local SendGrid", []string{"github.com/ripen/ripen/sendgrid/sendgriddev."}},
	{"bench clients", []string{"github.com/ripen/ripen/internal/bench."}},
	{"ripen API and use cases", []string{"github.com/ripen/ripen/"}},
	{"gRPC", []string{"google.golang.org/grpc"}},
}

// cpuByPart reads `go tool pprof -traces` and shares the samples out by
// part (percent of all samples; "other" is what no part claims).
func cpuByPart(traces string) map[string]float64 {
	byPart := map[string]time.Duration{}
	var total time.Duration
	var value time.Duration
	var stack []string
	flush := func() {
		if value <= 0 {
			return
		}
		part := "other"
	find:
		for _, p := range cpuParts {
			for _, fr := range stack {
				for _, prefix := range p.frames {
					if strings.HasPrefix(fr, prefix) {
						part = p.name
						break find
					}
				}
			}
		}
		byPart[part] += value
		total += value
		value, stack = 0, nil
	}
	for l := range strings.SplitSeq(traces, "\n") {
		if strings.HasPrefix(l, "-----------+") {
			flush()
			continue
		}
		f := strings.Fields(l)
		switch {
		case len(f) == 0:
		case value == 0 && len(f) >= 2 && strings.HasPrefix(l, " "):
			if d, err := time.ParseDuration(f[0]); err == nil {
				value, stack = d, []string{f[1]}
			}
		case value > 0:
			stack = append(stack, f[0])
		}
	}
	flush()
	if total == 0 {
		return nil
	}
	out := map[string]float64{}
	for k, v := range byPart {
		out[k] = math.Round(1000*float64(v)/float64(total)) / 10
	}
	return out
}

// partsText lists the parts, largest first: the first n of them, or all
// for n <= 0.
func partsText(parts map[string]float64, n int) string {
	if len(parts) == 0 {
		return "-"
	}
	names := slices.SortedFunc(maps.Keys(parts), func(a, b string) int {
		return cmp.Or(cmp.Compare(parts[b], parts[a]), cmp.Compare(a, b))
	})
	if n > 0 {
		names = names[:min(n, len(names))]
	}
	var out []string
	for _, n := range names {
		out = append(out, fmt.Sprintf("%s %.1f%%", n, parts[n]))
	}
	return strings.Join(out, ", ")
}
