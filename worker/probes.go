package worker

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Probes answer the worker's health checks:
//
//   - GET /healthz: the process is alive (200 until it exits, drain included,
//     so a liveness probe never kills a draining worker);
//   - GET /readyz: every check passes (Postgres and Temporal answer) and the
//     worker is not draining; 503 with the failing checks otherwise.
type Probes struct {
	// Checks by name, e.g. "postgres" and "temporal".
	Checks map[string]func(context.Context) error
	// Timeout bounds each check (default 3 s).
	Timeout  time.Duration
	draining atomic.Bool
}

// Drain makes /readyz answer 503 from now on: the worker stopped polling
// and is finishing what it runs.
func (p *Probes) Drain() { p.draining.Store(true) }

// Handler serves /healthz and /readyz, and everything else (e.g. /metrics)
// with next (nil: 404).
func (p *Probes) Handler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", p.ready)
	if next != nil {
		mux.Handle("/", next)
	}
	return mux
}

func (p *Probes) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if p.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("draining\n"))
		return
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	names := make([]string, 0, len(p.Checks))
	for name := range p.Checks {
		names = append(names, name)
	}
	sort.Strings(names)
	errs := make([]error, len(names))
	done := make(chan struct{})
	for i, name := range names {
		go func() {
			defer func() { done <- struct{}{} }()
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			errs[i] = p.Checks[name](ctx)
		}()
	}
	for range names {
		<-done
	}
	var b strings.Builder
	failed := false
	for i, name := range names {
		if errs[i] != nil {
			failed = true
			fmt.Fprintf(&b, "%s: %v\n", name, errs[i])
		} else {
			fmt.Fprintf(&b, "%s: ok\n", name)
		}
	}
	if failed {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(b.String()))
}
