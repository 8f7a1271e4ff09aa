package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func TestSDKMetricsReachPrometheusWithTheirTags(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := NewTemporalHandler(reg).WithTags(map[string]string{"namespace": "default", "task_queue": "ripen", "unknown_tag": "x"})
	h.Counter("temporal_request").Inc(2)
	h.WithTags(map[string]string{"operation": "SignalWorkflowExecution"}).Counter("temporal_request").Inc(1)
	h.Gauge("temporal_worker_task_slots_available").Update(7)
	h.Timer("temporal_workflow_task_execution_latency").Record(30 * time.Millisecond)
	// A second handler on the same registry shares the metric.
	NewTemporalHandler(reg).Counter("temporal_request").Inc(1)

	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP temporal_request Temporal SDK counter temporal_request.
# TYPE temporal_request counter
temporal_request{activity_type="",namespace="",operation="",poller_type="",status_code="",task_queue="",worker_type="",workflow_type=""} 1
temporal_request{activity_type="",namespace="default",operation="",poller_type="",status_code="",task_queue="ripen",worker_type="",workflow_type=""} 2
temporal_request{activity_type="",namespace="default",operation="SignalWorkflowExecution",poller_type="",status_code="",task_queue="ripen",worker_type="",workflow_type=""} 1
`), "temporal_request"))
	n, err := testutil.GatherAndCount(reg, "temporal_workflow_task_execution_latency_seconds", "temporal_worker_task_slots_available")
	require.NoError(t, err)
	require.Equal(t, 2, n)
}
