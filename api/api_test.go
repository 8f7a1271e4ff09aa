package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/internal/devstack"
)

func TestEnrolSendsTheFirstEmailOnce(t *testing.T) {
	h := newHarness(t)
	h.seed()
	var res struct {
		Results []struct{ CustomerID, Status string } `json:"results"`
	}
	h.json("POST", "/v1/journeys/erp-automation-crosssell/enrollments", "marketing", map[string]any{"customer_ids": []string{"acme", "nobody", "acme", "nobody"}}, 200, &res)
	require.Len(t, res.Results, 4)
	require.Equal(t, "started", res.Results[0].Status)
	require.Equal(t, "unknown-customer", res.Results[1].Status)
	require.Equal(t, "started", res.Results[2].Status, "a repeated customer is answered as its first copy")
	require.Equal(t, "unknown-customer", res.Results[3].Status)
	h.eventually("first email in the local inbox", func() bool { return len(h.stack.SendGrid.Messages()) == 1 })
	msg := h.stack.SendGrid.Messages()[0]
	require.Equal(t, "Max, about automation-checklist", msg.Subject)
	require.Equal(t, []string{"max@acme.example"}, msg.To)
	require.Contains(t, msg.HTML, h.stack.APIURL+"/r/")
	require.NotContains(t, msg.HTML, "https://example.com/automation-checklist", "links are rewritten to tracked links")
	require.Equal(t, "List-Unsubscribe=One-Click", msg.Headers["List-Unsubscribe-Post"])
	require.Equal(t, "checklist", msg.CustomArgs["ripen_step"])

	h.json("POST", "/v1/journeys/erp-automation-crosssell/enrollments", "marketing", map[string]any{"customer_ids": []string{"acme"}}, 200, &res)
	require.Equal(t, "already-running", res.Results[0].Status)
}

func TestRolesAndKeys(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, method, path, role string
		want                     int
	}{
		{"no key", "GET", "/v1/personas", "", 401},
		{"sales may not edit personas", "GET", "/v1/personas", "sales", 403},
		{"marketing reads personas", "GET", "/v1/personas", "marketing", 200},
		{"admin may do everything", "GET", "/v1/handoffs", "admin", 200},
		{"marketing may not read the sales inbox", "GET", "/v1/handoffs", "marketing", 403},
		{"sales reads the inbox", "GET", "/v1/handoffs?status=open", "sales", 200},
		{"health needs no key", "GET", "/healthz", "", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := h.do(c.method, c.path, c.role, nil)
			require.Equal(t, c.want, code, "%s", body)
		})
	}
	t.Run("unknown key", func(t *testing.T) {
		h.keys["bogus"] = "rpn_not-a-key"
		code, _ := h.do("GET", "/v1/personas", "bogus", nil)
		require.Equal(t, 401, code)
	})
	t.Run("revoked key", func(t *testing.T) {
		plain, key, err := h.stack.Store.CreateAPIKey(context.Background(), "marketing", "to revoke")
		require.NoError(t, err)
		h.keys["revoked"] = plain
		code, body := h.do("GET", "/v1/personas", "revoked", nil)
		require.Equal(t, 200, code, "the key works before it is revoked: %s", body)
		require.NoError(t, h.stack.Store.RevokeAPIKey(context.Background(), key.ID))
		code, body = h.do("GET", "/v1/personas", "revoked", nil)
		require.Equal(t, 401, code, "%s", body)
		require.Contains(t, string(body), "unknown or revoked")
	})
}

func TestBadInputNamesEveryField(t *testing.T) {
	h := newHarness(t)
	h.seed()
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
			Line    int    `json:"line"`
		} `json:"errors"`
	}
	// A journey with three mistakes: every one is listed with its line.
	bad := "id: erp-automation-crosssell\nname: x\noffer: {kind: resell, product: p}\nscoring: {points: {click: 10}}\nmqn: {threshold: 40}\nsteps:\n  - {id: a, send: no-such-content}\n  - {id: b, goto: nowhere}\n"
	h.json("PUT", "/v1/journeys/erp-automation-crosssell", "marketing", bad, 422, &p)
	require.Equal(t, 422, p.Status)
	fields := map[string]int{}
	for _, e := range p.Errors {
		fields[e.Field] = e.Line
	}
	require.Equal(t, 3, fields["offer.kind"])
	require.Equal(t, 7, fields["steps[0].send"])
	require.Equal(t, 8, fields["steps[1].goto"])

	// Unknown JSON fields are refused by name.
	h.json("PUT", "/v1/personas/x", "marketing", map[string]any{"name": "X", "colour": "red"}, 422, &p)
	require.Equal(t, "colour", p.Errors[0].Field)
	// A bad event is named by index; nothing of the batch is stored.
	h.json("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{
		{"id": "ok-1", "customer_id": "acme", "type": "visit", "occurred_at": "2026-11-26T10:00:00Z"},
		{"id": "bad-1", "customer_id": "nobody", "type": "visit", "occurred_at": "2026-11-26T10:00:00Z"},
		{"id": "bad-2", "customer_id": "acme", "type": "teleport", "occurred_at": "2026-11-26T10:00:00Z"},
	}}, 422, &p)
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Field)
	}
	require.Equal(t, []string{"events[1].customer_id", "events[2].type"}, got, "every problem, in one answer")
	var ok struct{ Accepted, Duplicates int }
	h.json("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{
		{"id": "ok-1", "customer_id": "acme", "type": "visit", "occurred_at": "2026-11-26T10:00:00Z"},
	}}, 200, &ok)
	require.Equal(t, 1, ok.Accepted, "the rejected batch stored nothing")
	// Oversized bodies are refused before they are read whole.
	huge := `{"customer_ids":["` + strings.Repeat("a", 17<<20) + `"]}`
	code, _ := h.do("POST", "/v1/journeys/erp-automation-crosssell/enrollments", "marketing", []byte(huge))
	require.Equal(t, 413, code)
	// Not found and conflict.
	h.json("GET", "/v1/content/nope", "marketing", nil, 404, &p)
	h.json("POST", "/v1/journeys/erp-automation-crosssell/runs/acme/signals", "sales", map[string]any{"type": "sales-feedback", "outcome": "accepted"}, 404, &p)
}

func TestSalesFeedbackEndToEnd(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.json("POST", "/v1/journeys/erp-automation-crosssell/enrollments", "marketing", map[string]any{"customer_ids": []string{"acme"}}, 200, nil)
	run := "/v1/journeys/erp-automation-crosssell/runs/acme"
	h.eventually("first email", func() bool { return len(h.stack.SendGrid.Messages()) == 1 })

	// Feedback without a hand-off is refused, not swallowed.
	var p struct{ Detail string }
	h.json("POST", run+"/signals", "sales", map[string]any{"type": "sales-feedback", "outcome": "accepted", "note": "stale"}, 409, &p)
	require.Contains(t, p.Detail, "no open hand-off")
	var waiting int
	require.NoError(t, h.stack.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM pending_feedback_notes`).Scan(&waiting))
	require.Zero(t, waiting, "the refused answer's note does not wait for a later hand-off")

	h.json("POST", run+"/signals", "sales", map[string]any{"type": "fast-lane", "offer": "demo", "note": "call me"}, 202, nil)
	var inbox struct {
		Handoffs []struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Reason  string `json:"reason"`
			Offer   string `json:"offer"`
			OwnerID string `json:"owner_id"`
		} `json:"handoffs"`
	}
	h.eventually("a hand-off in the sales inbox", func() bool {
		h.json("GET", "/v1/handoffs?status=open&owner=rep-eva", "sales", nil, 200, &inbox)
		return len(inbox.Handoffs) == 1
	})
	require.Equal(t, "fast-lane", inbox.Handoffs[0].Reason)
	require.Equal(t, "demo", inbox.Handoffs[0].Offer)
	h.eventually("the owner's email", func() bool {
		for _, m := range h.stack.SendGrid.Messages() {
			if len(m.To) == 1 && m.To[0] == "eva@seller.example" {
				return true
			}
		}
		return false
	})
	var st struct {
		Stage string `json:"stage"`
		MQN   bool   `json:"mqn"`
		Cycle int    `json:"cycle"`
	}
	h.json("GET", run, "sales", nil, 200, &st)
	require.Equal(t, "handoff", st.Stage)
	require.True(t, st.MQN)

	// The rep answers in the inbox: not ready yet → cool-down.
	var answered struct {
		Status      string `json:"status"`
		JourneyName string `json:"journey_name"`
	}
	h.json("POST", "/v1/handoffs/"+inbox.Handoffs[0].ID+"/feedback", "sales", map[string]any{"outcome": "not-ready", "note": "budget next year"}, 200, &answered)
	require.Equal(t, "not-ready", answered.Status)
	require.Equal(t, "Automation add-on for ERP customers", answered.JourneyName, "the answer describes the hand-off as a GET does")
	h.json("GET", run, "marketing", nil, 200, &st)
	require.Equal(t, "cooldown", st.Stage)
	require.True(t, st.MQN, "the run reached MQN: it stays so through the cool-down, as RipenMQN says")
	// Answering twice differently is a conflict.
	h.json("POST", "/v1/handoffs/"+inbox.Handoffs[0].ID+"/feedback", "sales", map[string]any{"outcome": "won"}, 409, nil)
}

func TestFeedbackWhileNoWorkerRunsIsAppliedWhenOneReturns(t *testing.T) {
	h := newHarnessWith(t, func(o *devstack.Options) { o.Tuning.Runs.FeedbackAcceptWait = 2 * time.Second })
	h.seed()
	h.json("POST", "/v1/journeys/erp-automation-crosssell/enrollments", "marketing", map[string]any{"customer_ids": []string{"acme"}}, 200, nil)
	run := "/v1/journeys/erp-automation-crosssell/runs/acme"
	h.json("POST", run+"/signals", "sales", map[string]any{"type": "fast-lane", "offer": "demo"}, 202, nil)
	var inbox struct {
		Handoffs []struct{ ID, Status string } `json:"handoffs"`
	}
	h.eventually("a hand-off in the sales inbox", func() bool {
		h.json("GET", "/v1/handoffs?status=open", "sales", nil, 200, &inbox)
		return len(inbox.Handoffs) == 1
	})
	h.eventually("the owner is emailed", func() bool {
		for _, m := range h.stack.SendGrid.Messages() {
			if len(m.To) == 1 && m.To[0] == "eva@seller.example" {
				return true
			}
		}
		return false
	})

	// The worker dies: the rep's answer is still taken, not a 5xx.
	h.stack.StopWorker()
	id := inbox.Handoffs[0].ID
	var p struct{ Status string }
	h.json("POST", "/v1/handoffs/"+id+"/feedback", "sales", map[string]any{"outcome": "won"}, 202, &p)
	require.Equal(t, "open", p.Status, "not applied yet")
	// A second, different answer is refused: the first one wins.
	var conflict struct{ Detail string }
	h.json("POST", "/v1/handoffs/"+id+"/feedback", "sales", map[string]any{"outcome": "lost"}, 409, &conflict)
	require.Contains(t, conflict.Detail, "already answered: won")
	h.json("POST", run+"/signals", "sales", map[string]any{"type": "sales-feedback", "outcome": "lost"}, 409, nil)
	h.json("POST", "/v1/handoffs/"+id+"/feedback", "sales", map[string]any{"outcome": "won"}, 202, nil)

	require.NoError(t, h.stack.StartWorker())
	var got struct{ Status string }
	h.eventually("the run applies the answer once a worker is back", func() bool {
		h.json("GET", "/v1/handoffs/"+id, "sales", nil, 200, &got)
		return got.Status == "won"
	})
	var st struct{ Status, Outcome string }
	h.eventually("the run ends won", func() bool {
		h.json("GET", run, "sales", nil, 200, &st)
		return st.Outcome == "won"
	})
}

func TestDetectorEnrolsOnceUnderRacingEvents(t *testing.T) {
	h := newHarness(t)
	h.seed()
	// Two visits on the journey's topic within 14 days meet the detector;
	// ten clients post them at once.
	var wg sync.WaitGroup
	enrolled := make([][]string, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var res struct {
				Enrolled []string `json:"enrolled"`
			}
			h.json("POST", "/v1/events", "marketing", map[string]any{"events": []map[string]any{
				{"id": fmt.Sprintf("visit-%d", i), "customer_id": "acme", "type": "visit", "topic": "process-automation", "occurred_at": time.Now().UTC().Format(time.RFC3339)},
			}}, 200, &res)
			enrolled[i] = res.Enrolled
		}()
	}
	wg.Wait()
	n := 0
	for _, e := range enrolled {
		n += len(e)
	}
	require.Equal(t, 1, n, "exactly one request enrolled the customer: %v", enrolled)
	// Ten visits make 50 points: the run may hand off at once, so count
	// only the contact's mail.
	toContact := func() int {
		n := 0
		for _, m := range h.stack.SendGrid.Messages() {
			if len(m.To) == 1 && m.To[0] == "max@acme.example" {
				n++
			}
		}
		return n
	}
	var st struct{ Score float64 }
	h.eventually("the visits reached the run", func() bool {
		h.json("GET", "/v1/journeys/erp-automation-crosssell/runs/acme", "marketing", nil, 200, &st)
		return st.Score >= 40
	})
	// The run may have started with enough visits to hand off before its
	// first step; either way one run mails the contact at most once.
	time.Sleep(500 * time.Millisecond)
	require.LessOrEqual(t, toContact(), 1, "one run, so at most one first email")
}

func TestBulkEnrolment(t *testing.T) {
	h := newHarness(t)
	h.seed()
	ids := []string{"acme"}
	for i := 0; i < 40; i++ {
		id := fmt.Sprintf("cust-%02d", i)
		h.customer(id, id+"@example.org", "en")
		ids = append(ids, id)
	}
	require.NoError(t, h.stack.Store.Suppress(context.Background(), "cust-00@example.org", "unsubscribe", "test"))
	var res struct {
		Results []struct{ CustomerID, Status string } `json:"results"`
	}
	h.json("POST", "/v1/journeys/erp-automation-crosssell/enrollments", "marketing", map[string]any{"customer_ids": ids}, 200, &res)
	count := map[string]int{}
	for _, r := range res.Results {
		count[r.Status]++
	}
	require.Equal(t, map[string]int{"started": 40, "suppressed": 1}, count)
	h.eventually("40 first emails", func() bool { return len(h.stack.SendGrid.Messages()) == 40 })
	var runs struct {
		Runs []struct{ CustomerID string } `json:"runs"`
	}
	h.eventually("runs visible by journey", func() bool {
		h.json("GET", "/v1/runs?journey=erp-automation-crosssell&stage=nurturing&limit=100", "sales", nil, 200, &runs)
		return len(runs.Runs) == 40
	})
}

func TestARequestTheClientGaveUpOnIsNotAServerError(t *testing.T) {
	h := newHarness(t)
	h.seed()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/v1/journeys/erp-automation-crosssell/runs/acme", nil)
	req.Header.Set("Authorization", "Bearer "+h.keys["sales"])
	rec := httptest.NewRecorder()
	h.stack.API.Handler().ServeHTTP(rec, req)
	require.Equal(t, 499, rec.Code, rec.Body.String())
}
