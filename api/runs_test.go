package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

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
