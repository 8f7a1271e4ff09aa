package bench

import (
	"bufio"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/server/common/headers"
)

// Latency summarises a set of measured durations, in milliseconds.
type Latency struct {
	N      int     `json:"n"`
	P50Ms  float64 `json:"p50_ms"`
	P95Ms  float64 `json:"p95_ms"`
	P99Ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
	MeanMs float64 `json:"mean_ms"`
}

// samples collects durations from many goroutines.
type samples struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *samples) add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

func (s *samples) latency() Latency {
	s.mu.Lock()
	defer s.mu.Unlock()
	return latencyOf(s.d)
}

// latencyOf takes nearest-rank percentiles.
func latencyOf(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
		i = max(0, min(i, len(sorted)-1))
		return ms(sorted[i])
	}
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	return Latency{
		N: len(sorted), P50Ms: rank(50), P95Ms: rank(95), P99Ms: rank(99),
		MaxMs: ms(sorted[len(sorted)-1]), MeanMs: ms(sum / time.Duration(len(sorted))),
	}
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func secs(d time.Duration) float64 { return round3(d.Seconds()) }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// perSecond is n over d, 0 when d is 0.
func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return round3(float64(n) / d.Seconds())
}

// ratio is a/b, 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round3(a / b)
}

// Machine describes where the benchmark ran.
type Machine struct {
	Cores        int     `json:"cores"`
	GOMAXPROCS   int     `json:"gomaxprocs"`
	CPU          string  `json:"cpu,omitempty"`
	MemTotalMiB  float64 `json:"mem_total_mib"`
	MemAvailMiB  float64 `json:"mem_available_mib"`
	OS           string  `json:"os"`
	Arch         string  `json:"arch"`
	LoadAvgStart string  `json:"loadavg_start,omitempty"`
	LoadAvgEnd   string  `json:"loadavg_end,omitempty"`
	Shared       string  `json:"shared_note,omitempty"`
}

func machineInfo() Machine {
	m := Machine{Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), OS: runtime.GOOS, Arch: runtime.GOARCH, LoadAvgStart: loadAvg()}
	mem := meminfo()
	m.MemTotalMiB = round3(float64(mem["MemTotal"]) / 1024)
	m.MemAvailMiB = round3(float64(mem["MemAvailable"]) / 1024)
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	return m
}

// meminfo reads /proc/meminfo in KiB.
func meminfo() map[string]int64 {
	out := map[string]int64{}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

// loadAvg is the first three fields of /proc/loadavg: how busy the machine
// was, so readers can judge how disturbed a measurement is.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// Versions of what was measured.
type Versions struct {
	Go             string `json:"go"`
	TemporalServer string `json:"temporal_server"`
	TemporalSDK    string `json:"temporal_sdk"`
	TemporalAPI    string `json:"temporal_api"`
	SQLite         string `json:"sqlite_driver"`
	Pgx            string `json:"pgx"`
	Ripen          string `json:"ripen,omitempty"`
}

// versions reads the module versions from the build info; test binaries
// carry none, so Temporal's own version constants stand in.
func versions() Versions {
	v := Versions{
		Go: runtime.Version(), TemporalServer: "v" + headers.ServerVersion, TemporalSDK: "v" + temporal.SDKVersion,
		TemporalAPI: "unknown", SQLite: "unknown", Pgx: "unknown",
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Path != "" {
		v.Ripen = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Ripen += " " + s.Value
			}
		}
	}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		switch d.Path {
		case "go.temporal.io/server":
			v.TemporalServer = d.Version
		case "go.temporal.io/sdk":
			v.TemporalSDK = d.Version
		case "go.temporal.io/api":
			v.TemporalAPI = d.Version
		case "modernc.org/sqlite":
			v.SQLite = d.Version
		case "github.com/jackc/pgx/v5":
			v.Pgx = d.Version
		}
	}
	return v
}

// Memory is the process' memory at one moment. Everything (Temporal server,
// worker, API, local SendGrid) runs in this one process.
type Memory struct {
	RSSMiB       float64 `json:"rss_mib"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	HeapInuseMiB float64 `json:"go_heap_inuse_mib"`
	HeapObjects  uint64  `json:"go_heap_objects"`
	GoSysMiB     float64 `json:"go_sys_mib"`
	Goroutines   int     `json:"goroutines"`
}

// memoryNow collects garbage first, so the heap shows what is live.
func memoryNow() Memory {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := procStatus()
	return Memory{
		RSSMiB: mib(st["VmRSS"] * 1024), PeakRSSMiB: mib(st["VmHWM"] * 1024),
		HeapInuseMiB: mib(int64(ms.HeapInuse)), HeapObjects: ms.HeapObjects, GoSysMiB: mib(int64(ms.Sys)),
		Goroutines: runtime.NumGoroutine(),
	}
}

// procStatus reads /proc/self/status sizes in KiB.
func procStatus() map[string]int64 { return procStatusFile("/proc/self/status") }

// procStatusOf reads another process's status sizes in KiB.
func procStatusOf(pid int) map[string]int64 {
	return procStatusFile("/proc/" + strconv.Itoa(pid) + "/status")
}

func procStatusFile(path string) map[string]int64 {
	out := map[string]int64{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 2 && f[1] == "kB" {
			if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				out[k] = n
			}
		}
	}
	return out
}

func mib(b int64) float64 { return round3(float64(b) / (1 << 20)) }

// fileSizes sums the sizes of the files that exist.
func fileSizes(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}
