package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/ripen/ripen/api"
	"github.com/ripen/ripen/app"
	"github.com/ripen/ripen/internal/freeport"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/workflows"
)

func TestPauseAndResumeThroughTheAPI(t *testing.T) {
	h := newHarness(t)
	h.seed()
	require.Equal(t, "started", h.enrol("erp-automation-crosssell", "acme").Results[0].Status)
	run := "/v1/journeys/erp-automation-crosssell/runs/acme"
	var st struct {
		Stage  string `json:"stage"`
		Paused bool   `json:"paused"`
	}
	h.json("POST", run+"/signals", "sales", map[string]any{"type": "pause", "reason": "customer asked for quiet"}, 202, nil)
	h.eventually("the run is paused", func() bool {
		h.json("GET", run, "sales", nil, 200, &st)
		return st.Paused
	})
	require.Equal(t, "paused", st.Stage)
	h.json("POST", run+"/signals", "marketing", map[string]any{"type": "resume"}, 202, nil)
	h.eventually("the run nurtures again", func() bool {
		h.json("GET", run, "sales", nil, 200, &st)
		return !st.Paused
	})
	require.Equal(t, "nurturing", st.Stage)
	// Signals to a run that does not exist are 404; an unknown type is 422.
	h.json("POST", "/v1/journeys/erp-automation-crosssell/runs/nobody/signals", "sales", map[string]any{"type": "pause"}, 404, nil)
	code, body := h.do("POST", run+"/signals", "sales", map[string]any{"type": "snooze"})
	require.Equal(t, 422, code)
	require.Equal(t, []string{"type"}, problemOf(t, body).fields())
}

func TestTheRequestIDReachesTheWorkflow(t *testing.T) {
	h := newHarness(t)
	h.seed()
	header := http.Header{"X-Request-Id": {"crm-sync-42"}}
	code, got, body := h.doWith("POST", "/v1/journeys/erp-automation-crosssell/enrollments", "marketing",
		map[string]any{"customer_ids": []string{"acme"}}, header)
	require.Equal(t, 200, code, "%s", body)
	require.Equal(t, "crm-sync-42", got.Get("X-Request-ID"), "the response carries it")

	// The run's first event is its start, with the input the API gave it.
	ctx := context.Background()
	it := h.stack.Client.GetWorkflowHistory(ctx, "ripen/erp-automation-crosssell/acme", "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	require.True(t, it.HasNext())
	first, err := it.Next()
	require.NoError(t, err)
	attrs := first.GetWorkflowExecutionStartedEventAttributes()
	require.NotNil(t, attrs, "the first event is the start")
	var in workflows.Input
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), &in))
	require.Equal(t, "crm-sync-42", in.RequestID)
	require.Equal(t, "acme", in.CustomerID)
	require.NotNil(t, in.Context, "the starter sends what it knows")
	require.Equal(t, []string{"Europe/Berlin"}, in.Context.Timezones, "the contacts' zones, for their own send windows")

	// A start that fails is logged with the request's ID.
	var logs syncBuffer
	flaky, tc := h.flakyAPI(&logs)
	tc.failStarts.Store(true)
	h.customer("globex", "max@globex.example", "en")
	code, _, body = h.doAt(flaky, "POST", "/v1/journeys/erp-automation-crosssell/enrollments", "marketing",
		map[string]any{"customer_ids": []string{"globex"}}, http.Header{"X-Request-Id": {"crm-sync-43"}})
	require.Equal(t, 200, code, "%s", body)
	require.Contains(t, string(body), `"status":"failed"`)
	require.Regexp(t, `"request_id":"crm-sync-43".*"workflow_id":"ripen/erp-automation-crosssell/globex".*"run not started"`, logs.String())

	// Without one, the API makes one up and says which.
	code, got, _ = h.doWith("GET", "/healthz", "", nil, nil)
	require.Equal(t, 200, code)
	require.Len(t, got.Get("X-Request-ID"), 16)
}

// syncBuffer is a bytes.Buffer for logs written from request goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunListsTakeAnyFilterValue(t *testing.T) {
	h := newHarness(t)
	h.seed()
	// IDs may hold quotes: the visibility query escapes them.
	odd := `o'brien`
	h.customer(url.PathEscape(odd), "max@obrien.example", "en")
	res := h.enrol("erp-automation-crosssell", odd, "acme")
	require.Equal(t, "started", res.Results[0].Status)
	var runs struct {
		Runs []struct {
			CustomerID string `json:"customer_id"`
		} `json:"runs"`
	}
	h.eventually("the run is visible by its customer", func() bool {
		h.json("GET", "/v1/runs?customer="+url.QueryEscape(odd), "sales", nil, 200, &runs)
		return len(runs.Runs) == 1
	})
	require.Equal(t, odd, runs.Runs[0].CustomerID)
	h.json("GET", "/v1/customers/"+url.PathEscape(odd)+"/runs", "sales", nil, 200, &runs)
	require.Len(t, runs.Runs, 1)

	// Odd values match nothing or are refused, never a 500 (Temporal's SQL
	// visibility cannot match a backslash or a double quote: 422).
	for _, v := range []string{`\`, `a\`, `\'`, `'`, `' OR RipenJourney IS NOT NULL OR '`, `\\'`, `%`, `"`, `_`} {
		t.Run(v, func(t *testing.T) {
			code, body := h.do("GET", "/v1/runs?owner="+url.QueryEscape(v), "sales", nil)
			if code == 200 {
				h.json("GET", "/v1/runs?owner="+url.QueryEscape(v), "sales", nil, 200, &runs)
				require.Empty(t, runs.Runs, "no owner is called %q", v)
				return
			}
			require.Equal(t, 422, code, "never a 500: %s", body)
			require.Equal(t, []string{"owner"}, problemOf(t, body).fields())
		})
	}
	// A customer that does not exist has no runs to list: 404.
	h.json("GET", "/v1/customers/nobody/runs", "sales", nil, 404, nil)
}

func TestAFastLaneRequestKeepsItsOwnNoteWhateverTheRequestID(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.customer("globex", "max@globex.example", "en")
	res := h.enrol("erp-automation-crosssell", "acme", "globex")
	require.Equal(t, "started", res.Results[1].Status)
	// A client reuses its request ID (or names someone else's on purpose).
	header := http.Header{"X-Request-Id": {"same-id"}}
	for _, c := range []string{"acme", "globex"} {
		code, _, body := h.doWith("POST", "/v1/journeys/erp-automation-crosssell/runs/"+c+"/signals", "sales",
			map[string]any{"type": "fast-lane", "offer": "demo", "note": "note of " + c}, header)
		require.Equal(t, 202, code, "%s", body)
	}
	var inbox struct {
		Handoffs []struct {
			CustomerID string `json:"customer_id"`
			Note       string `json:"note"`
		} `json:"handoffs"`
	}
	h.eventually("two hand-offs", func() bool {
		h.json("GET", "/v1/handoffs?status=open", "sales", nil, 200, &inbox)
		return len(inbox.Handoffs) == 2
	})
	for _, ho := range inbox.Handoffs {
		require.Equal(t, "note of "+ho.CustomerID, ho.Note)
	}
}

func TestARepeatedCustomerIsAnsweredAsItsFirstCopy(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.customer("quiet", "max@quiet.example", "en")
	require.NoError(t, h.stack.Store.Suppress(context.Background(), "max@quiet.example", "unsubscribe", "test"))
	res := h.enrol("erp-automation-crosssell", "quiet", "acme", "quiet", "acme")
	var got []string
	for _, r := range res.Results {
		got = append(got, r.Status)
	}
	require.Equal(t, []string{"suppressed", "started", "suppressed", "started"}, got)
	require.Equal(t, res.Results[1].RunID, res.Results[3].RunID)
}

// A run that continued as new is one run: visibility keeps each execution,
// the old ones frozen at the stage and score they handed over, and a list
// shows only the newest.
func TestARunThatContinuedAsNewIsListedOnce(t *testing.T) {
	h := newHarness(t)
	h.seed()
	var jv struct {
		Definition journey.Definition `json:"definition"`
	}
	h.json("GET", "/v1/journeys/erp-automation-crosssell", "marketing", nil, 200, &jv)
	def := jv.Definition
	ctx := context.Background()
	id := workflows.WorkflowID(def.ID, "acme")
	// A low threshold makes the run continue as new after a dozen events.
	_, err := h.stack.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: workflows.StartSearchAttributes(def.ID, "acme", def.Offer.Kind),
	}, workflows.Journey, workflows.Input{Journey: def, CustomerID: "acme", ContinueAsNewAfter: 25})
	require.NoError(t, err)
	for i := range 12 {
		h.postEvents(map[string]any{"id": fmt.Sprintf("open-%d", i), "customer_id": "acme", "type": "open", "occurred_at": time.Now().UTC().Format(time.RFC3339)})
		time.Sleep(100 * time.Millisecond)
	}
	h.eventually("the run continued as new", func() bool {
		d, err := h.stack.Client.DescribeWorkflowExecution(ctx, id, "")
		require.NoError(t, err)
		info := d.GetWorkflowExecutionInfo()
		return info.GetFirstRunId() != info.GetExecution().GetRunId()
	})
	// Paused, the run's stage differs from the frozen executions' (nurturing).
	h.json("POST", "/v1/journeys/erp-automation-crosssell/runs/acme/signals", "sales", map[string]any{"type": "pause"}, 202, nil)
	type listed struct {
		Runs []struct {
			RunID  string `json:"run_id"`
			Stage  string `json:"stage"`
			Status string `json:"status"`
		} `json:"runs"`
	}
	var current string
	var runs listed
	h.eventually("the list shows the paused run", func() bool {
		d, err := h.stack.Client.DescribeWorkflowExecution(ctx, id, "")
		require.NoError(t, err)
		current = d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
		h.json("GET", "/v1/runs?stage=paused", "sales", nil, 200, &runs)
		for _, r := range runs.Runs {
			if r.RunID == current {
				return true
			}
		}
		return false
	})
	for _, path := range []string{"/v1/runs?journey=erp-automation-crosssell", "/v1/runs", "/v1/customers/acme/runs", "/v1/runs?status=running&customer=acme", "/v1/runs?stage=paused"} {
		h.json("GET", path, "sales", nil, 200, &runs)
		require.Len(t, runs.Runs, 1, "%s lists the run once", path)
		require.Equal(t, current, runs.Runs[0].RunID, path)
		require.Equal(t, "paused", runs.Runs[0].Stage, path)
		require.Equal(t, "running", runs.Runs[0].Status, path)
	}
	// The frozen executions match no filter the run itself does not.
	for _, path := range []string{"/v1/runs?stage=nurturing", "/v1/runs?status=closed", "/v1/customers/acme/runs?status=closed"} {
		h.json("GET", path, "sales", nil, 200, &runs)
		require.Empty(t, runs.Runs, path)
	}
}

// A simulated timeline has bounds: past them the simulator failed (a
// ScheduleToClose deadline, answered 500) or never answered at all.
func TestASimulatedTimelineIsBounded(t *testing.T) {
	h := newHarness(t)
	h.seed()
	path := "/v1/journeys/erp-automation-crosssell/simulate"
	// Waiting for sales for 5000 days ran past the simulator's 10 years.
	code, body := h.do("POST", path, "marketing", map[string]any{"events": []map[string]any{
		{"at": "1d", "type": "fast-lane", "offer": "demo"},
		{"at": "5000d", "type": "sales-feedback", "outcome": "won"},
	}})
	require.Equal(t, 422, code, "%s", body)
	require.Equal(t, []string{"events[1].at"}, problemOf(t, body).fields())

	// Three years is fine.
	var rep struct {
		Outcome string `json:"outcome"`
	}
	h.json("POST", path, "marketing", map[string]any{"events": []map[string]any{
		{"at": "1d", "type": "fast-lane", "offer": "demo"},
		{"at": "1095d", "type": "sales-feedback", "outcome": "won"},
	}}, 200, &rep)
	require.Equal(t, "won", rep.Outcome)

	// Too many events are refused as a whole. (Past 998 the simulator
	// blocked for ever: the request never came back.)
	events := make([]map[string]any, 1001)
	for i := range events {
		events[i] = map[string]any{"at": fmt.Sprintf("%dm", i), "type": "visit", "topic": "process-automation"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data, err := json.Marshal(map[string]any{"events": events})
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(ctx, "POST", h.stack.APIURL+path, bytes.NewReader(data))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.keys["marketing"])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "the API answers")
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 422, resp.StatusCode, "%s", body)
	require.Equal(t, []string{"events"}, problemOf(t, body).fields())
}

// slowStarts is a Temporal client whose workflow starts take a while, as a
// large enrolment's do in total.
type slowStarts struct {
	client.Client
	delay time.Duration
}

func (s *slowStarts) ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error) {
	time.Sleep(s.delay)
	return s.Client.ExecuteWorkflow(ctx, options, workflow, args...)
}

// An enrolment answers even when it takes longer than the server's write
// timeout: the client needs its per-customer results.
func TestAnEnrolmentMayTakeLongerThanTheWriteTimeout(t *testing.T) {
	h := newHarness(t)
	h.seed()
	port, err := freeport.Take("127.0.0.1")
	require.NoError(t, err)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	srv := h.appOn(&slowStarts{Client: h.stack.Client, delay: 1500 * time.Millisecond}, "",
		app.Tuning{API: api.Config{WriteTimeout: 500 * time.Millisecond}}, zerolog.Nop()).API
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, addr) }()
	t.Cleanup(func() { cancel(); <-done })
	base := "http://" + addr
	h.eventually("the server listens", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	// Other routes answer within the server's own write timeout.
	code, _, _ := h.doAt(base, "GET", "/v1/journeys/erp-automation-crosssell", "marketing", nil, nil)
	require.Equal(t, 200, code)

	data, err := json.Marshal(map[string]any{"customer_ids": []string{"acme"}})
	require.NoError(t, err)
	req, err := http.NewRequest("POST", base+"/v1/journeys/erp-automation-crosssell/enrollments", bytes.NewReader(data))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.keys["marketing"])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "the answer was not cut off")
	defer resp.Body.Close()
	var res enrolResults
	require.Equal(t, 200, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&res))
	require.Equal(t, "started", res.Results[0].Status)
}
