package bench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCPUIsSharedOutByPart(t *testing.T) {
	traces := `File: ripen-dev
Type: cpu
Duration: 10s, Total samples = 100ms (1%)
-----------+-------------------------------------------------------
      40ms   internal/runtime/syscall/linux.Syscall6
             github.com/jackc/pgx/v5/pgconn.(*PgConn).ExecStatement
             go.temporal.io/server/common/persistence.(*executionPersistenceClient).UpdateWorkflowExecution
-----------+-------------------------------------------------------
      30ms   go.temporal.io/sdk/internal.(*WorkflowClient).ExecuteWorkflow
             github.com/ripen/ripen/runs.(*Service).start
-----------+-------------------------------------------------------
      20ms   runtime.scanobject
             runtime.gcBgMarkWorker
-----------+-------------------------------------------------------
      10ms   runtime.futex
-----------+-------------------------------------------------------
`
	require.Equal(t, map[string]float64{"Temporal server": 40, "ripen API and use cases": 30, "GC": 20, "other": 10}, cpuByPart(traces))
	require.Equal(t, "Temporal server 40.0%, ripen API and use cases 30.0%, GC 20.0%, other 10.0%", partsText(cpuByPart(traces), 0))
	require.Equal(t, "Temporal server 40.0%, ripen API and use cases 30.0%", partsText(cpuByPart(traces), 2), "the report's table names the largest parts")
}
