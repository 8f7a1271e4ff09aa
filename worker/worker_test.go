package worker_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/worker"
)

func TestTuningFromTheEnvironmentReachesTheWorker(t *testing.T) {
	c, err := config.FromEnv(func(k string) string {
		return map[string]string{
			"RIPEN_WORKER_MAX_CONCURRENT_ACTIVITIES":        "100",
			"RIPEN_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS":    "50",
			"RIPEN_WORKER_WORKFLOW_POLLERS":                 "4",
			"RIPEN_WORKER_ACTIVITY_POLLERS":                 "6",
			"RIPEN_WORKER_STOP_TIMEOUT":                     "45s",
			"RIPEN_WORKER_STICKY_SCHEDULE_TO_START_TIMEOUT": "3s",
		}[k]
	})
	require.NoError(t, err)
	opts := worker.Options(c.Worker)
	require.Equal(t, 100, opts.MaxConcurrentActivityExecutionSize)
	require.Equal(t, 50, opts.MaxConcurrentWorkflowTaskExecutionSize)
	require.Equal(t, 4, opts.MaxConcurrentWorkflowTaskPollers)
	require.Equal(t, 6, opts.MaxConcurrentActivityTaskPollers)
	require.Equal(t, 45*time.Second, opts.WorkerStopTimeout)
	require.Equal(t, 3*time.Second, opts.StickyScheduleToStartTimeout)
	require.False(t, opts.DeploymentOptions.UseVersioning, "GetVersion patching is the default; versioning is opt-in")
}

func TestUnsetTuningKeepsTheSDKDefaults(t *testing.T) {
	opts := worker.Options(config.WorkerTuning{})
	require.Zero(t, opts.MaxConcurrentActivityExecutionSize)
	require.Zero(t, opts.MaxConcurrentWorkflowTaskPollers)
	require.Equal(t, sdkworker.DeploymentOptions{}, opts.DeploymentOptions)
}

func TestADeploymentNameTurnsOnWorkerVersioning(t *testing.T) {
	opts := worker.Options(config.WorkerTuning{DeploymentName: "ripen", BuildID: "1.5.0"})
	d := opts.DeploymentOptions
	require.True(t, d.UseVersioning)
	require.Equal(t, sdkworker.WorkerDeploymentVersion{DeploymentName: "ripen", BuildID: "1.5.0"}, d.Version)
	require.Equal(t, workflow.VersioningBehaviorAutoUpgrade, d.DefaultVersioningBehavior, "runs last months: they follow the current version")
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(body)
}

func TestProbes(t *testing.T) {
	var pgErr error
	p := &worker.Probes{Checks: map[string]func(context.Context) error{
		"postgres": func(context.Context) error { return pgErr },
		"temporal": func(context.Context) error { return nil },
	}}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("# metrics\n")) })
	h := p.Handler(metrics)

	code, body := get(t, h, "/readyz")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "postgres: ok\ntemporal: ok\n", body)

	pgErr = errors.New("connection refused")
	code, body = get(t, h, "/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "postgres: connection refused")
	code, _ = get(t, h, "/healthz")
	require.Equal(t, http.StatusOK, code, "a dependency down is not a reason to restart the worker")

	pgErr = nil
	p.Drain()
	code, body = get(t, h, "/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "draining\n", body)
	code, _ = get(t, h, "/healthz")
	require.Equal(t, http.StatusOK, code, "alive through the drain")
	code, body = get(t, h, "/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "# metrics\n", body)
}

func TestAHangingCheckTimesOut(t *testing.T) {
	p := &worker.Probes{Timeout: 50 * time.Millisecond, Checks: map[string]func(context.Context) error{
		"temporal": func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
	}}
	code, body := get(t, p.Handler(nil), "/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "temporal: context deadline exceeded")
}
