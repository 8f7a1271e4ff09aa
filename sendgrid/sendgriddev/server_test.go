package sendgriddev_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
)

const apiKey = "SG.dev-key"

// webhookReceiver stands in for ripen's POST /webhooks/sendgrid: it verifies
// every post with sendgrid.VerifySignature on the raw body and collects the
// parsed events.
type webhookReceiver struct {
	t        *testing.T
	key      string
	events   chan sendgrid.Event
	posts    atomic.Int32
	failNext atomic.Int32 // answer 500 to this many posts
	hang     chan struct{}
	srv      *httptest.Server
	gets     chan string // paths of GET requests: links the dev server opened
}

func newWebhookReceiver(t *testing.T, publicKey string) *webhookReceiver {
	t.Helper()
	rcv := &webhookReceiver{t: t, key: publicKey, events: make(chan sendgrid.Event, 1000), gets: make(chan string, 100)}
	rcv.srv = httptest.NewServer(http.HandlerFunc(rcv.serve))
	t.Cleanup(rcv.srv.Close)
	return rcv
}

func (rcv *webhookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet { // the app's own tracked link: count, then off to the content
		rcv.gets <- r.URL.RequestURI()
		http.Redirect(w, r, "/content-elsewhere", http.StatusSeeOther)
		return
	}
	rcv.posts.Add(1)
	if rcv.hang != nil {
		select {
		case <-rcv.hang:
		case <-r.Context().Done():
		}
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := sendgrid.VerifySignature(rcv.key, r.Header.Get(sendgrid.SignatureHeader), r.Header.Get(sendgrid.TimestampHeader), raw); err != nil {
		rcv.t.Errorf("webhook post with bad signature: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if rcv.failNext.Load() > 0 {
		rcv.failNext.Add(-1)
		http.Error(w, "try later", http.StatusInternalServerError)
		return
	}
	events, err := sendgrid.ParseEvents(raw)
	if err != nil {
		rcv.t.Errorf("webhook post not parseable: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, ev := range events {
		rcv.events <- ev
	}
	w.WriteHeader(http.StatusNoContent)
}

// next waits for the next event of kind.
func (rcv *webhookReceiver) next(t *testing.T, kind string) sendgrid.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-rcv.events:
			if ev.Event == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event arrived", kind)
		}
	}
}

type fixture struct {
	dev     *sendgriddev.Server
	http    *httptest.Server
	webhook *webhookReceiver
	client  *sendgrid.Client
}

func newFixture(t *testing.T, mutate ...func(*sendgriddev.Options)) *fixture {
	t.Helper()
	signer, err := sendgrid.NewSigner()
	require.NoError(t, err)
	rcv := newWebhookReceiver(t, signer.PublicKeyBase64())
	opts := sendgriddev.Options{APIKey: apiKey, WebhookURL: rcv.srv.URL, Signer: signer}
	for _, m := range mutate {
		m(&opts)
	}
	dev, err := sendgriddev.New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = dev.Close() })
	srv := httptest.NewServer(dev.Handler())
	t.Cleanup(srv.Close)
	return &fixture{
		dev:     dev,
		http:    srv,
		webhook: rcv,
		client:  sendgrid.New(sendgrid.Config{APIKey: apiKey, BaseURL: srv.URL, Timeout: 5 * time.Second}),
	}
}

func checklistMail(to string) sendgrid.Message {
	return sendgrid.Message{
		From:    sendgrid.Address{Email: "news@seller.example", Name: "Seller"},
		To:      sendgrid.Address{Email: to, Name: "Max"},
		Subject: "Max, 12 steps to automate order entry",
		HTML:    `<p><a href="https://ripen.example/r/tok1">Read</a> or <a href='https://ripen.example/f/tok2?x=1&amp;y=2'>book a demo</a></p>`,
		Text:    "Read: https://ripen.example/r/tok1",
		Headers: map[string]string{
			"List-Unsubscribe":      "<https://ripen.example/u/tok3>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
		CustomArgs: map[string]string{"ripen_run": "ripen/erp/acme", "ripen_step": "checklist", "ripen_cycle": "0"},
		Categories: []string{"nurture"},
		ASMGroupID: 7,
	}
}

func (f *fixture) do(t *testing.T, method, path, contentType, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestMailSendIsAcceptedStoredAndReportedDelivered(t *testing.T) {
	f := newFixture(t)

	id, err := f.client.Send(context.Background(), checklistMail("max@acme.example"))
	require.NoError(t, err)
	require.NotEmpty(t, id)

	msgs := f.dev.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, id, m.MessageID)
	assert.Equal(t, []string{"max@acme.example"}, m.To)
	assert.Equal(t, "news@seller.example", m.From)
	assert.Equal(t, "Max, 12 steps to automate order entry", m.Subject)
	assert.Contains(t, m.HTML, "https://ripen.example/r/tok1")
	assert.Equal(t, "Read: https://ripen.example/r/tok1", m.Text)
	assert.Equal(t, "<https://ripen.example/u/tok3>", m.Headers["List-Unsubscribe"])
	assert.Equal(t, map[string]string{"ripen_run": "ripen/erp/acme", "ripen_step": "checklist", "ripen_cycle": "0"}, m.CustomArgs)
	assert.Equal(t, []string{"nurture"}, m.Categories)
	assert.Equal(t, 7, m.ASMGroupID)
	assert.WithinDuration(t, time.Now(), m.ReceivedAt, time.Minute)

	delivered := f.webhook.next(t, "delivered")
	assert.Equal(t, id, delivered.MessageID())
	assert.True(t, strings.HasPrefix(delivered.SGMessageID, id+".filter0001."), delivered.SGMessageID)
	assert.Equal(t, "max@acme.example", delivered.Email)
	assert.NotEmpty(t, delivered.SGEventID)
	assert.WithinDuration(t, time.Now(), time.Unix(delivered.Timestamp, 0), time.Minute)
	assert.Equal(t, m.CustomArgs, delivered.CustomArgs, "custom args come back as top-level keys")

	require.Eventually(t, func() bool {
		m, ok := f.dev.Message(id)
		return ok && len(m.Events) == 1 && m.Events[0].Posted
	}, 5*time.Second, 10*time.Millisecond, "the message records that delivered was posted")
}

func TestAPIMessagesListsWhatWasSent(t *testing.T) {
	f := newFixture(t)
	id, err := f.client.Send(context.Background(), checklistMail("max@acme.example"))
	require.NoError(t, err)
	_, err = f.client.Send(context.Background(), checklistMail("eva@other.example"))
	require.NoError(t, err)

	resp, body := f.do(t, http.MethodGet, "/api/messages", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list, 2)
	first := list[0]
	for _, field := range []string{"message_id", "to", "from", "subject", "html", "text", "headers", "custom_args", "categories", "template_id", "received_at"} {
		assert.Contains(t, first, field)
	}
	assert.Equal(t, id, first["message_id"], "oldest first")
	assert.Equal(t, []any{"max@acme.example"}, first["to"])
	assert.Equal(t, "ripen/erp/acme", first["custom_args"].(map[string]any)["ripen_run"])

	_, body = f.do(t, http.MethodGet, "/api/messages?to=EVA@other.example", "", "")
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list, 1)
	assert.Equal(t, []any{"eva@other.example"}, list[0]["to"])

	resp, body = f.do(t, http.MethodGet, "/api/messages/"+id, "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, id)
	resp, _ = f.do(t, http.MethodGet, "/api/messages/nope", "", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp, _ = f.do(t, http.MethodDelete, "/api/messages", "", "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, f.dev.Messages())
	_, body = f.do(t, http.MethodGet, "/api/messages", "", "")
	assert.Equal(t, "[]\n", body)
}

func TestMailSendWithTemplate(t *testing.T) {
	f := newFixture(t)
	id, err := f.client.Send(context.Background(), sendgrid.Message{
		From:         sendgrid.Address{Email: "news@seller.example"},
		To:           sendgrid.Address{Email: "max@acme.example"},
		TemplateID:   "d-abc",
		TemplateData: map[string]any{"first_name": "Max"},
	})
	require.NoError(t, err)
	m, ok := f.dev.Message(id)
	require.True(t, ok)
	assert.Equal(t, "d-abc", m.TemplateID)
	assert.Equal(t, map[string]any{"first_name": "Max"}, m.TemplateData)
}

func TestWrongAPIKeyIsRefusedLikeSendGrid(t *testing.T) {
	f := newFixture(t)

	bad := sendgrid.New(sendgrid.Config{APIKey: "SG.wrong", BaseURL: f.http.URL})
	_, err := bad.Send(context.Background(), checklistMail("max@acme.example"))
	var se *sendgrid.SendError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusUnauthorized, se.Status)
	assert.False(t, se.Retryable)
	assert.Equal(t, []string{"The provided authorization grant is invalid, expired, or revoked"}, se.Messages)

	resp, err := http.Post(f.http.URL+"/v3/mail/send", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.JSONEq(t, `{"errors":[{"message":"authorization required","field":null,"help":null}]}`, string(body))

	assert.Empty(t, f.dev.Messages())
}

func TestAnyKeyIsAcceptedWithoutConfiguredKey(t *testing.T) {
	f := newFixture(t, func(o *sendgriddev.Options) { o.APIKey = "" })
	_, err := sendgrid.New(sendgrid.Config{APIKey: "whatever", BaseURL: f.http.URL}).Send(context.Background(), checklistMail("max@acme.example"))
	require.NoError(t, err)
}

func TestMailSendValidation(t *testing.T) {
	f := newFixture(t)
	const okMail = `"personalizations":[{"to":[{"email":"max@acme.example"}]}],"from":{"email":"news@seller.example"}`
	tests := []struct {
		name   string
		body   string
		fields []any // expected "field" of each error, in order
	}{
		{"not JSON", `{"personalizations":`, []any{nil}},
		{"wrong type", `{"personalizations":"max"}`, []any{"personalizations"}},
		{"custom arg not a string", `{` + okMail + `,"subject":"s","content":[{"type":"text/plain","value":"v"}],"custom_args":{"n":1}}`, []any{"custom_args"}},
		{"nothing at all", `{}`, []any{"personalizations", "from.email", "subject", "content"}},
		{"no recipients", `{"personalizations":[{}],"from":{"email":"news@seller.example"},"subject":"s","content":[{"type":"text/plain","value":"v"}]}`, []any{"personalizations.0.to"}},
		{"bad recipient", `{"personalizations":[{"to":[{"email":"max"}]}],"from":{"email":"news@seller.example"},"subject":"s","content":[{"type":"text/plain","value":"v"}]}`, []any{"personalizations.0.to.0.email"}},
		{"bad sender", `{"personalizations":[{"to":[{"email":"max@acme.example"}]}],"from":{"email":"news at seller"},"subject":"s","content":[{"type":"text/plain","value":"v"}]}`, []any{"from.email"}},
		{"no subject", `{` + okMail + `,"content":[{"type":"text/plain","value":"v"}]}`, []any{"subject"}},
		{"no content", `{` + okMail + `,"subject":"s"}`, []any{"content"}},
		{"empty content", `{` + okMail + `,"subject":"s","content":[{"type":"text/html","value":""}]}`, []any{"content.0.value"}},
		{"html before text", `{` + okMail + `,"subject":"s","content":[{"type":"text/html","value":"<p>h</p>"},{"type":"text/plain","value":"t"}]}`, []any{"content"}},
		{"reserved header", `{` + okMail + `,"subject":"s","content":[{"type":"text/plain","value":"v"}],"headers":{"Reply-To":"x@y.example"}}`, []any{"headers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.do(t, http.MethodPost, "/v3/mail/send", "application/json", tt.body)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
			var answer struct {
				Errors []struct {
					Message string `json:"message"`
					Field   any    `json:"field"`
					Help    any    `json:"help"`
				} `json:"errors"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &answer), body)
			var fields []any
			for _, e := range answer.Errors {
				assert.NotEmpty(t, e.Message)
				fields = append(fields, e.Field)
			}
			assert.Equal(t, tt.fields, fields, body)
		})
	}

	t.Run("subject per personalization is enough", func(t *testing.T) {
		resp, body := f.do(t, http.MethodPost, "/v3/mail/send", "application/json",
			`{"personalizations":[{"to":[{"email":"max@acme.example"}],"subject":"hi"}],"from":{"email":"news@seller.example"},"content":[{"type":"text/plain","value":"v"}]}`)
		require.Equal(t, http.StatusAccepted, resp.StatusCode, body)
		assert.NotEmpty(t, resp.Header.Get("X-Message-Id"))
	})
	assert.Len(t, f.dev.Messages(), 1, "only the valid request is stored")
}

func TestFaults(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	tests := []struct {
		name   string
		faults sendgriddev.Faults
		status int
	}{
		{"rate limited", sendgriddev.Faults{Rate429: 1}, http.StatusTooManyRequests},
		{"server error", sendgriddev.Faults{Rate500: 1}, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, f.dev.SetFaults(tt.faults))
			_, err := f.client.Send(ctx, checklistMail("max@acme.example"))
			var se *sendgrid.SendError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.status, se.Status)
			assert.True(t, sendgrid.IsRetryable(err))
		})
	}

	t.Run("hang past the client's timeout is retryable and stores nothing", func(t *testing.T) {
		require.NoError(t, f.dev.SetFaults(sendgriddev.Faults{RateHang: 1, Hang: 300 * time.Millisecond}))
		impatient := sendgrid.New(sendgrid.Config{APIKey: apiKey, BaseURL: f.http.URL, Timeout: 50 * time.Millisecond})
		_, err := impatient.Send(ctx, checklistMail("max@acme.example"))
		require.Error(t, err)
		assert.True(t, sendgrid.IsRetryable(err))
		time.Sleep(500 * time.Millisecond)
		assert.Empty(t, f.dev.Messages())
	})

	t.Run("short hang is then accepted", func(t *testing.T) {
		require.NoError(t, f.dev.SetFaults(sendgriddev.Faults{RateHang: 1, Hang: 20 * time.Millisecond}))
		_, err := f.client.Send(ctx, checklistMail("max@acme.example"))
		require.NoError(t, err)
	})

	t.Run("set over HTTP", func(t *testing.T) {
		resp, body := f.do(t, http.MethodPost, "/api/faults", "application/json", `{"rate_429":0.25,"rate_500":0.5,"rate_hang":0,"hang":"2s"}`)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Equal(t, sendgriddev.Faults{Rate429: 0.25, Rate500: 0.5, Hang: 2 * time.Second}, f.dev.Faults())
		_, body = f.do(t, http.MethodGet, "/api/faults", "", "")
		assert.JSONEq(t, `{"rate_429":0.25,"rate_500":0.5,"rate_hang":0,"hang":"2s"}`, body)

		resp, _ = f.do(t, http.MethodPost, "/api/faults", "application/json", `{"rate_429":0.8,"rate_500":0.5}`)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		resp, _ = f.do(t, http.MethodPost, "/api/faults", "application/json", `{"hang":"soon"}`)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, 0.25, f.dev.Faults().Rate429, "invalid faults change nothing")

		f.do(t, http.MethodPost, "/api/faults", "application/json", `{}`)
		_, err := f.client.Send(ctx, checklistMail("max@acme.example"))
		require.NoError(t, err)
	})
}

func TestSimulatedEventsArePostedSigned(t *testing.T) {
	f := newFixture(t)
	id, err := f.client.Send(context.Background(), checklistMail("max@acme.example"))
	require.NoError(t, err)
	f.webhook.next(t, "delivered")

	post := func(body string) (*http.Response, string) {
		return f.do(t, http.MethodPost, "/api/messages/"+id+"/events", "application/json", body)
	}

	resp, body := post(`{"type":"open"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	open := f.webhook.next(t, "open")
	assert.Equal(t, id, open.MessageID())
	assert.Equal(t, "ripen/erp/acme", open.CustomArgs["ripen_run"])
	assert.Equal(t, 7, open.ASMGroupID)

	resp, body = post(`{"type":"click"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "https://ripen.example/r/tok1", f.webhook.next(t, "click").URL, "the first link by default")

	resp, _ = post(`{"type":"click","url":"https://ripen.example/f/tok2?x=1&y=2"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	click := f.webhook.next(t, "click")
	assert.Equal(t, "https://ripen.example/f/tok2?x=1&y=2", click.URL)
	assert.NotEqual(t, open.SGEventID, click.SGEventID)

	resp, _ = post(`{"type":"bounce"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	bounce := f.webhook.next(t, "bounce")
	assert.Equal(t, "bounce", bounce.Type)
	assert.Equal(t, "Invalid Address", bounce.BounceClassification)
	assert.NotEmpty(t, bounce.Reason)

	for _, kind := range []string{"spamreport", "unsubscribe", "group_unsubscribe"} {
		resp, _ = post(`{"type":"` + kind + `"}`)
		require.Equal(t, http.StatusOK, resp.StatusCode, kind)
		assert.Equal(t, "max@acme.example", f.webhook.next(t, kind).Email)
	}

	// The webhook receiver sees an event before the dev server reads its answer
	// and marks the event posted, so wait for the last answer to come back.
	var m sendgriddev.Message
	require.Eventually(t, func() bool {
		var ok bool
		m, ok = f.dev.Message(id)
		if !ok || len(m.Events) != 8 {
			return false
		}
		for _, ev := range m.Events {
			if !ev.Posted {
				return false
			}
		}
		return true
	}, 5*time.Second, 10*time.Millisecond, "all 8 events posted")
	seen := map[string]bool{}
	for _, ev := range m.Events {
		assert.False(t, seen[ev.SGEventID], "sg_event_id must be unique")
		seen[ev.SGEventID] = true
	}

	t.Run("refusals", func(t *testing.T) {
		resp, _ := post(`{"type":"teleport"}`)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		resp, _ = post(`{"type":"open","email":"stranger@else.example"}`)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		resp, _ = post(`not json`)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		resp, _ = f.do(t, http.MethodPost, "/api/messages/nope/events", "application/json", `{"type":"open"}`)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})

	t.Run("inbox form posts redirect back", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, f.http.URL+"/api/messages/"+id+"/events",
			strings.NewReader(url.Values{"type": {"click"}, "url": {"https://ripen.example/r/tok1"}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", f.http.URL)
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, "/#m-"+id, resp.Header.Get("Location"))
		assert.Equal(t, "https://ripen.example/r/tok1", f.webhook.next(t, "click").URL)
	})

	t.Run("cross-site posts are refused", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, f.http.URL+"/api/messages/"+id+"/events",
			strings.NewReader(url.Values{"type": {"unsubscribe"}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	})
}

func TestSimulatedEventWithoutWebhookIsAConflict(t *testing.T) {
	f := newFixture(t, func(o *sendgriddev.Options) { o.WebhookURL = "" })
	id, err := f.client.Send(context.Background(), checklistMail("max@acme.example"))
	require.NoError(t, err)
	resp, _ := f.do(t, http.MethodPost, "/api/messages/"+id+"/events", "application/json", `{"type":"open"}`)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	m, _ := f.dev.Message(id)
	assert.Empty(t, m.Events)
}

func TestDeliveredIsRetriedUntilTheWebhookTakesIt(t *testing.T) {
	f := newFixture(t)
	f.webhook.failNext.Store(2)

	id, err := f.client.Send(context.Background(), checklistMail("max@acme.example"))
	require.NoError(t, err)
	ev := f.webhook.next(t, "delivered")
	assert.Equal(t, id, ev.MessageID())
	assert.Equal(t, int32(3), f.webhook.posts.Load())
}

func TestDeliveredDoesNotHoldUpTheAnswerAndCloseStopsIt(t *testing.T) {
	f := newFixture(t)
	f.webhook.hang = make(chan struct{})
	defer close(f.webhook.hang)

	start := time.Now()
	_, err := f.client.Send(context.Background(), checklistMail("max@acme.example"))
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 2*time.Second, "the 202 does not wait for the webhook")
	require.Eventually(t, func() bool { return f.webhook.posts.Load() == 1 }, 5*time.Second, 5*time.Millisecond)

	closed := make(chan struct{})
	go func() { _ = f.dev.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close waits for a hanging webhook")
	}
	require.NoError(t, f.dev.Close(), "Close twice is fine")

	// After Close, sends still work but nothing more is posted.
	_, err = f.client.Send(context.Background(), checklistMail("max@acme.example"))
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, int32(1), f.webhook.posts.Load())
}

func TestKeepsOnlyTheNewestMessages(t *testing.T) {
	f := newFixture(t, func(o *sendgriddev.Options) { o.MaxMessages = 3; o.WebhookURL = "" })
	var ids []string
	for range 5 {
		id, err := f.client.Send(context.Background(), checklistMail("max@acme.example"))
		require.NoError(t, err)
		ids = append(ids, id)
	}
	var kept []string
	for _, m := range f.dev.Messages() {
		kept = append(kept, m.MessageID)
	}
	assert.Equal(t, ids[2:], kept)
	_, ok := f.dev.Message(ids[0])
	assert.False(t, ok)
}

func TestConcurrentSendsAreAllKeptAndDelivered(t *testing.T) {
	f := newFixture(t)
	const n = 40
	var wg sync.WaitGroup
	ids := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := checklistMail("max@acme.example")
			m.CustomArgs = map[string]string{"i": string(rune('a' + i%26))}
			id, err := f.client.Send(context.Background(), m)
			assert.NoError(t, err)
			ids <- id
		}()
	}
	wg.Wait()
	close(ids)
	want := map[string]bool{}
	for id := range ids {
		want[id] = true
	}
	assert.Len(t, want, n, "message IDs are unique")
	assert.Len(t, f.dev.Messages(), n)
	for range n {
		ev := f.webhook.next(t, "delivered")
		assert.True(t, want[ev.MessageID()])
		delete(want, ev.MessageID())
	}
	assert.Empty(t, want, "every message is reported delivered once")
}

func TestInboxPage(t *testing.T) {
	f := newFixture(t)
	older := checklistMail("max@acme.example")
	older.Subject = "Older <subject>"
	oldID, err := f.client.Send(context.Background(), older)
	require.NoError(t, err)
	newID, err := f.client.Send(context.Background(), checklistMail("eva@other.example"))
	require.NoError(t, err)

	resp, page := f.do(t, http.MethodGet, "/", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	assert.Less(t, strings.Index(page, newID), strings.Index(page, oldID), "newest first")
	assert.Contains(t, page, "Older &lt;subject&gt;", "subjects are escaped")
	assert.Contains(t, page, "eva@other.example")
	assert.Contains(t, page, "&lt;https://ripen.example/u/tok3&gt;", "headers are shown")
	assert.Contains(t, page, `<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" src="/messages/`+newID+`/html"`)
	assert.Contains(t, page, `action="/api/messages/`+newID+`/events"`)
	assert.Contains(t, page, `value="open"`)
	assert.Contains(t, page, `<option>https://ripen.example/f/tok2?x=1&amp;y=2</option>`)
	assert.Contains(t, html.UnescapeString(page), f.dev.PublicKeyBase64())

	resp, body := f.do(t, http.MethodGet, "/messages/"+newID+"/html", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "sandbox")
	assert.Contains(t, body, `<a href="https://ripen.example/r/tok1">Read</a>`)

	resp, _ = f.do(t, http.MethodGet, "/messages/nope/html", "", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestLinks(t *testing.T) {
	assert.Equal(t,
		[]string{"https://a.example/1", "https://b.example/?x=1&y=2"},
		sendgriddev.Links(`<A HREF="https://a.example/1">a</A><a class=x href='https://b.example/?x=1&amp;y=2'>b</a><a href="https://a.example/1">again</a><link href="style.css">`))
	assert.Empty(t, sendgriddev.Links("plain text"))
}

func TestServeStopsOnCancel(t *testing.T) {
	dev, err := sendgriddev.New(sendgriddev.Options{})
	require.NoError(t, err)
	defer dev.Close()
	require.NoError(t, dev.SetFaults(sendgriddev.Faults{RateHang: 1, Hang: time.Hour}))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dev.Serve(ctx, ln) }()

	// A request held by a hanging fault does not hold up the shutdown.
	sent := make(chan error, 1)
	go func() {
		_, err := sendgrid.New(sendgrid.Config{BaseURL: "http://" + ln.Addr().String(), Timeout: time.Minute}).Send(context.Background(), checklistMail("max@acme.example"))
		sent <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not stop")
	}
	require.Error(t, <-sent)

	err = dev.ListenAndServe(context.Background(), "not-an-address")
	require.Error(t, err)
}

func TestSignerDefaultsToAFreshKey(t *testing.T) {
	a, err := sendgriddev.New(sendgriddev.Options{})
	require.NoError(t, err)
	defer a.Close()
	b, err := sendgriddev.New(sendgriddev.Options{})
	require.NoError(t, err)
	defer b.Close()
	assert.NotEmpty(t, a.PublicKeyBase64())
	assert.NotEqual(t, a.PublicKeyBase64(), b.PublicKeyBase64())
	_, err = sendgrid.NewVerifier(a.PublicKeyBase64(), 0)
	require.NoError(t, err)
}

func TestDeliveredWaitsForTheDelay(t *testing.T) {
	f := newFixture(t, func(o *sendgriddev.Options) { o.DeliveredDelay = 400 * time.Millisecond })
	start := time.Now()
	for range 3 {
		_, err := f.client.Send(context.Background(), checklistMail("max@acme.example"))
		require.NoError(t, err)
	}
	for range 3 {
		f.webhook.next(t, "delivered")
	}
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "delivered is not posted before the delay")
}

func TestSimulatedClickOpensTheAppsLinkWithoutFollowingItsRedirect(t *testing.T) {
	f := newFixture(t)
	mail := checklistMail("max@acme.example")
	tracked := f.webhook.srv.URL + "/r/tok1?x=1"
	mail.HTML = `<p><a href="` + tracked + `">Read</a> or <a href="https://elsewhere.example/page">elsewhere</a></p>`
	id, err := f.client.Send(context.Background(), mail)
	require.NoError(t, err)
	f.webhook.next(t, "delivered")

	resp, body := f.do(t, http.MethodPost, "/api/messages/"+id+"/events", "application/json", `{"type":"click"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, tracked, f.webhook.next(t, "click").URL)
	select {
	case path := <-f.webhook.gets:
		assert.Equal(t, "/r/tok1?x=1", path, "the browser lands on the clicked link")
	default:
		t.Fatal("the clicked link was not opened before the answer")
	}
	var answer struct {
		Opened struct {
			URL      string `json:"url"`
			Status   int    `json:"status"`
			Location string `json:"location"`
		} `json:"opened"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &answer))
	assert.Equal(t, tracked, answer.Opened.URL)
	assert.Equal(t, http.StatusSeeOther, answer.Opened.Status)
	assert.Equal(t, "/content-elsewhere", answer.Opened.Location)

	// A link to another site is reported to the webhook but not fetched.
	resp, body = f.do(t, http.MethodPost, "/api/messages/"+id+"/events", "application/json", `{"type":"click","url":"https://elsewhere.example/page"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	f.webhook.next(t, "click")
	assert.NotContains(t, body, `"opened"`)
	select {
	case path := <-f.webhook.gets:
		t.Fatalf("opened %s: no redirect is followed and no other site fetched", path)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestRateLimitSaysHowLongToWait(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.dev.SetFaults(sendgriddev.Faults{Rate429: 1, RetryAfter: 30 * time.Second}))
	_, err := f.client.Send(context.Background(), checklistMail("max@acme.example"))
	var se *sendgrid.SendError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusTooManyRequests, se.Status)
	assert.InDelta(t, 30, se.RetryAfter.Seconds(), 1.5)

	resp, body := f.do(t, http.MethodGet, "/api/faults", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"rate_429":1,"rate_500":0,"rate_hang":0,"retry_after":"30s"}`, body)
}
