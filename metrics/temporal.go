// Package metrics exports the Temporal SDK's metrics (worker task latency,
// schedule-to-start, poll and request failures) to Prometheus.
//
// It is a small adapter rather than the SDK's tally or OpenTelemetry
// contrib modules: both pull OpenTelemetry or tally versions that conflict
// with the embedded Temporal server ripen-dev links.
package metrics

import (
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// labels is the fixed label set of every SDK metric: Prometheus wants one
// label set per name, while the SDK tags vary. Unknown tags are dropped;
// missing ones are empty.
var labels = []string{"namespace", "task_queue", "workflow_type", "activity_type", "operation", "worker_type", "poller_type", "status_code"}

// NewTemporalHandler returns a metrics handler for client.Options that
// registers the SDK's metrics on reg.
func NewTemporalHandler(reg prometheus.Registerer) client.MetricsHandler {
	return &handler{vecs: &vecs{reg: reg, counters: map[string]*prometheus.CounterVec{}, gauges: map[string]*prometheus.GaugeVec{}, timers: map[string]*prometheus.HistogramVec{}}}
}

type vecs struct {
	reg      prometheus.Registerer
	mu       sync.Mutex
	counters map[string]*prometheus.CounterVec
	gauges   map[string]*prometheus.GaugeVec
	timers   map[string]*prometheus.HistogramVec
}

type handler struct {
	vecs *vecs
	tags map[string]string
}

func (h *handler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return &handler{vecs: h.vecs, tags: merged}
}

func (h *handler) values() []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = h.tags[l]
	}
	return out
}

func (h *handler) Counter(name string) client.MetricsCounter {
	v := h.vecs
	v.mu.Lock()
	vec, ok := v.counters[name]
	if !ok {
		vec = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: "Temporal SDK counter " + name + "."}, labels)
		vec = register(v.reg, vec)
		v.counters[name] = vec
	}
	v.mu.Unlock()
	c := vec.WithLabelValues(h.values()...)
	return counterFunc(func(n int64) { c.Add(float64(n)) })
}

func (h *handler) Gauge(name string) client.MetricsGauge {
	v := h.vecs
	v.mu.Lock()
	vec, ok := v.gauges[name]
	if !ok {
		vec = register(v.reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: "Temporal SDK gauge " + name + "."}, labels))
		v.gauges[name] = vec
	}
	v.mu.Unlock()
	g := vec.WithLabelValues(h.values()...)
	return gaugeFunc(g.Set)
}

func (h *handler) Timer(name string) client.MetricsTimer {
	v := h.vecs
	v.mu.Lock()
	vec, ok := v.timers[name]
	if !ok {
		vec = register(v.reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: name + "_seconds", Help: "Temporal SDK timer " + name + ".",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, labels))
		v.timers[name] = vec
	}
	v.mu.Unlock()
	o := vec.WithLabelValues(h.values()...)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

// register adds c to reg, or returns the collector already registered under
// the same name (two handlers on one registry share their metrics).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

type counterFunc func(int64)

func (f counterFunc) Inc(n int64) { f(n) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

// Labels lists the label names every SDK metric carries, sorted.
func Labels() []string {
	out := append([]string(nil), labels...)
	sort.Strings(out)
	return out
}
