package histories_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"

	"github.com/ripen/ripen/workflows"
)

// TestBurstOnTheEmbeddedServer sends a sleeping run three visits while no
// worker polls, so they reach it in one workflow task, and one more
// afterwards; then it stops the run. The burst costs one upsert of the
// search attributes with the score after all three, the lone visit one of
// its own. With RIPEN_RECORD_HISTORY set it records the history:
//
//	RIPEN_RECORD_HISTORY=$PWD/workflows/testdata/burst-history.json go test ./workflows/internal/histories -run Burst
func TestBurstOnTheEmbeddedServer(t *testing.T) {
	ctx, c := embeddedServer(t)
	newWorker := func() worker.Worker {
		w := worker.New(c, workflows.TaskQueue, worker.Options{})
		w.RegisterWorkflow(workflows.Journey)
		w.RegisterActivity(&fakeActivities{})
		require.NoError(t, w.Start())
		return w
	}
	first := newWorker()
	r, _ := startJourney(ctx, t, c, recycleJourney, workflows.Input{})
	r.until("sleeping in wait-1", func(st workflows.State) bool { return r.sleepingIn(st, "wait-1") })
	first.Stop()
	for _, id := range []string{"v-1", "v-2", "v-3"} {
		r.signal(workflows.SignalEngagement, workflows.Engagement{EventID: id, Kind: "visit", ContactID: "acme-max"})
	}
	second := newWorker()
	t.Cleanup(second.Stop)
	r.until("the burst scored", func(st workflows.State) bool { return st.Score > 14.9 })
	r.signal(workflows.SignalEngagement, workflows.Engagement{EventID: "v-4", Kind: "visit", ContactID: "acme-max"})
	r.until("the fourth visit scored", func(st workflows.State) bool { return st.Score > 19.9 })
	r.signal(workflows.SignalStop, workflows.Control{Reason: "test"})
	require.NoError(t, c.GetWorkflow(ctx, r.id, "").Get(ctx, nil))

	h := fetchHistory(ctx, t, c, r.id)
	tasks := signalsAndScoresByTask(t, h)
	var burst, lone *taskSignals
	for i := range tasks {
		switch tasks[i].signals {
		case 3:
			burst = &tasks[i]
		case 1:
			if burst != nil && lone == nil {
				lone = &tasks[i]
			}
		}
	}
	require.NotNil(t, burst, "the three visits reached the run in one workflow task: %+v", tasks)
	require.Equal(t, []int64{15}, burst.scores, "one upsert for the burst, with its whole score")
	require.NotNil(t, lone, "the fourth visit came in a task of its own: %+v", tasks)
	require.Equal(t, []int64{20}, lone.scores)
	checkAndRecord(ctx, t, c, r.id)
}

// taskSignals is what one workflow task heard and published: the
// engagement signals it brought and the RipenScore values it upserted.
type taskSignals struct {
	signals int
	scores  []int64
}

// signalsAndScoresByTask pairs each completed workflow task with the
// engagement signals delivered since the previous task's completion and
// the scores the task's upserts set.
func signalsAndScoresByTask(t *testing.T, h *historypb.History) []taskSignals {
	var out []taskSignals
	pending := 0
	var cur *taskSignals
	for _, ev := range h.Events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			if ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName() == workflows.SignalEngagement {
				pending++
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			out = append(out, taskSignals{signals: pending})
			cur, pending = &out[len(out)-1], 0
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			p, ok := ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()["RipenScore"]
			if !ok || cur == nil {
				continue
			}
			var score int64
			require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &score))
			cur.scores = append(cur.scores, score)
		}
	}
	return out
}
