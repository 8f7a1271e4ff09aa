// Package histories reads the journey workflow's recorded histories
// (workflows/testdata/*-history.json) and checks what a history must show
// beyond replaying: that no timer outlives its wait.
//
// It is for tests only; the workflow never imports it.
package histories

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// Files lists the recorded histories in dir.
func Files(dir string) ([]string, error) {
	return filepath.Glob(filepath.Join(dir, "*-history.json"))
}

// Load reads a history as `temporal workflow show --output json` and
// e2e's recorder write it.
func Load(file string) (*historypb.History, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return nil, fmt.Errorf("read history %s: %w", file, err)
	}
	return h, nil
}

// CheckTimers reports a timer that outlived its wait. A run waits for one
// thing at a time, and each wait cancels its timer when it ends early (a
// click, a fast lane, sales' answer, a pause, a stop), so no timer starts
// while another is still running, and a closed run leaves none running.
func CheckTimers(h *historypb.History) error {
	running := map[int64]string{} // TimerStarted event ID → its summary
	for _, ev := range h.GetEvents() {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			if id, ok := oldest(running); ok {
				return fmt.Errorf("event %d starts a timer (%s) while the one started by event %d (%s) still runs: its wait ended without cancelling it",
					ev.GetEventId(), timerSummary(ev), id, running[id])
			}
			running[ev.GetEventId()] = timerSummary(ev)
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			delete(running, ev.GetTimerFiredEventAttributes().GetStartedEventId())
		case enumspb.EVENT_TYPE_TIMER_CANCELED:
			delete(running, ev.GetTimerCanceledEventAttributes().GetStartedEventId())
		}
	}
	if id, ok := oldest(running); ok && closed(h) {
		return fmt.Errorf("the run closed with the timer started by event %d (%s) still running", id, running[id])
	}
	return nil
}

// oldest is the running timer started first.
func oldest(running map[int64]string) (int64, bool) {
	ids := slices.Sorted(maps.Keys(running))
	if len(ids) == 0 {
		return 0, false
	}
	return ids[0], true
}

// closed: the history ends with the run's end (completed, failed,
// canceled, terminated, timed out or continued as new).
func closed(h *historypb.History) bool {
	events := h.GetEvents()
	if len(events) == 0 {
		return false
	}
	switch events[len(events)-1].GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		return true
	}
	return false
}

// timerSummary is the timer's summary as the Web UI shows it, or its ID.
func timerSummary(ev *historypb.HistoryEvent) string {
	var summary string
	if p := ev.GetUserMetadata().GetSummary(); p != nil && converter.GetDefaultDataConverter().FromPayload(p, &summary) == nil {
		return summary
	}
	return "timer " + ev.GetTimerStartedEventAttributes().GetTimerId()
}
