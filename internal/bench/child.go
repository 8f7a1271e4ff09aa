package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	runpprof "runtime/pprof"
	"sync"
	"time"

	"github.com/ripen/ripen/app"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/logging"
)

// workerControlEnv holds the address of a bench worker process's control
// listener; a process started with it set is a bench worker
// (RunWorkerProcess), whatever its arguments.
const workerControlEnv = "RIPEN_BENCH_WORKER_CONTROL"

// IsWorkerProcess reports whether this process was started by the bench as
// one of its extra worker processes.
func IsWorkerProcess() bool { return os.Getenv(workerControlEnv) != "" }

// RunWorkerProcess is an extra worker process of `ripen-dev bench
// --workers N`: ripen's worker exactly as `ripen worker` runs it (app.Open
// and app.App.Run, configured by the same environment variables), plus the
// raw ceiling's trivial workflows on their own task queue (until the bench
// says the raw phase is over) and a control listener on the address in
// RIPEN_BENCH_WORKER_CONTROL: /debug/pprof/, the raw workflows' counts, and
// CPU and heap profiles on request. It returns when ctx ends (SIGTERM), the
// worker drained.
func RunWorkerProcess(ctx context.Context) error {
	addr := os.Getenv(workerControlEnv)
	if addr == "" {
		return errors.New("bench-worker is started by ripen-dev bench --workers N, with " + workerControlEnv + " set")
	}
	cfg, err := config.FromEnv(nil)
	if err != nil {
		return err
	}
	log := logging.New(cfg.LogFormat, cfg.LogLevel)
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()

	var counts rawCounters
	raw := newRawWorker(a.Temporal, &counts)
	if err := raw.Start(); err != nil {
		return fmt.Errorf("start raw worker: %w", err)
	}
	var stopRaw sync.Once
	defer stopRaw.Do(raw.Stop)

	var prof profiler
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /bench/counts", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(counts.snapshot())
	})
	mux.HandleFunc("POST /bench/raw/stop", func(w http.ResponseWriter, _ *http.Request) {
		stopRaw.Do(raw.Stop)
	})
	mux.HandleFunc("POST /bench/profile/start", func(w http.ResponseWriter, r *http.Request) {
		if err := prof.start(r.URL.Query().Get("cpu")); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
		}
	})
	mux.HandleFunc("POST /bench/profile/stop", func(w http.ResponseWriter, r *http.Request) {
		if err := prof.stop(r.URL.Query().Get("heap")); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
		}
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("control listener on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return a.Run(ctx, app.Parts{Worker: true})
}

// rawCounts are what one process's raw workflows have handled.
type rawCounts struct {
	// Signals is ping signals handled outside replay.
	Signals int64 `json:"signals"`
	// Activities is the like-for-like workflow's activities completed.
	Activities int64 `json:"activities"`
}

func (c *rawCounters) snapshot() rawCounts {
	return rawCounts{Signals: c.signals.Load(), Activities: c.activities.Load()}
}

// profiler takes one CPU profile at a time and a heap profile at its end.
type profiler struct {
	mu  sync.Mutex
	cpu *os.File
}

func (p *profiler) start(cpuFile string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cpu != nil {
		return errors.New("a CPU profile is already running")
	}
	f, err := os.Create(cpuFile)
	if err != nil {
		return err
	}
	if err := runpprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	p.cpu = f
	return nil
}

// stop ends the CPU profile and writes the heap profile to heapFile (none
// when empty).
func (p *profiler) stop(heapFile string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	if p.cpu != nil {
		runpprof.StopCPUProfile()
		errs = append(errs, p.cpu.Close())
		p.cpu = nil
	}
	if heapFile != "" {
		errs = append(errs, writeHeapProfile(heapFile))
	}
	return errors.Join(errs...)
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // the heap profile shows the state as of the last GC
	if err := runpprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
