package sendgrid

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAPI is a SendGrid stand-in that records requests and answers with a
// scripted status.
type fakeAPI struct {
	mu       sync.Mutex
	requests []recorded
	answer   func(w http.ResponseWriter, r *http.Request)
}

type recorded struct {
	Method, Path, Auth, ContentType string
	Body                            map[string]any
}

func newFakeAPI(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (*fakeAPI, *httptest.Server) {
	t.Helper()
	f := &fakeAPI{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		f.mu.Lock()
		f.requests = append(f.requests, recorded{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body})
		f.mu.Unlock()
		f.answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeAPI) last(t *testing.T) recorded {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.requests, "SendGrid was not called")
	return f.requests[len(f.requests)-1]
}

func accept(id string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Message-Id", id)
		w.WriteHeader(http.StatusAccepted)
	}
}

func answer(status int, body string, headers ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func nurtureMessage() Message {
	return Message{
		From:       Address{Email: "news@seller.example", Name: "Seller News"},
		To:         Address{Email: "max@acme.example", Name: "Max Muster"},
		ReplyTo:    &Address{Email: "eva@seller.example", Name: "Eva Berger"},
		Subject:    "Max, 12 steps to automate order entry",
		HTML:       `<p>Read <a href="https://example.com/r/abc">the checklist</a></p>`,
		Text:       "Read the checklist: https://example.com/r/abc",
		Headers:    map[string]string{"List-Unsubscribe": "<https://example.com/u/tok>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
		CustomArgs: map[string]string{"ripen_run": "ripen/erp/acme", "ripen_step": "checklist"},
		Categories: []string{"nurture"},
		ASMGroupID: 42,
	}
}

func TestSendPostsTheMessageAndReturnsTheMessageID(t *testing.T) {
	api, srv := newFakeAPI(t, accept("W3ZrXPP-TjOWoM6p5HL9Ng"))
	c := New(Config{APIKey: "SG.test", BaseURL: srv.URL + "/"})

	id, err := c.Send(context.Background(), nurtureMessage())
	require.NoError(t, err)
	assert.Equal(t, "W3ZrXPP-TjOWoM6p5HL9Ng", id)

	req := api.last(t)
	assert.Equal(t, "POST", req.Method)
	assert.Equal(t, "/v3/mail/send", req.Path)
	assert.Equal(t, "Bearer SG.test", req.Auth)
	assert.Equal(t, "application/json", req.ContentType)

	b := req.Body
	assert.Equal(t, map[string]any{"email": "news@seller.example", "name": "Seller News"}, b["from"])
	assert.Equal(t, map[string]any{"email": "eva@seller.example", "name": "Eva Berger"}, b["reply_to"])
	assert.Equal(t, "Max, 12 steps to automate order entry", b["subject"])
	assert.Equal(t, []any{map[string]any{"to": []any{map[string]any{"email": "max@acme.example", "name": "Max Muster"}}}}, b["personalizations"])
	assert.Equal(t, []any{
		map[string]any{"type": "text/plain", "value": "Read the checklist: https://example.com/r/abc"},
		map[string]any{"type": "text/html", "value": `<p>Read <a href="https://example.com/r/abc">the checklist</a></p>`},
	}, b["content"], "text/plain must come before text/html")
	assert.Equal(t, map[string]any{"List-Unsubscribe": "<https://example.com/u/tok>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}, b["headers"])
	assert.Equal(t, map[string]any{"ripen_run": "ripen/erp/acme", "ripen_step": "checklist"}, b["custom_args"])
	assert.Equal(t, []any{"nurture"}, b["categories"])
	assert.Equal(t, map[string]any{"group_id": float64(42)}, b["asm"])
	assert.NotContains(t, b, "template_id")
}

func TestSendWithDynamicTemplate(t *testing.T) {
	api, srv := newFakeAPI(t, accept("id-1"))
	c := New(Config{APIKey: "k", BaseURL: srv.URL})

	_, err := c.Send(context.Background(), Message{
		From:         Address{Email: "news@seller.example"},
		To:           Address{Email: "max@acme.example"},
		TemplateID:   "d-123",
		TemplateData: map[string]any{"first_name": "Max", "score": 21},
	})
	require.NoError(t, err)

	b := api.last(t).Body
	assert.Equal(t, "d-123", b["template_id"])
	assert.NotContains(t, b, "content")
	assert.NotContains(t, b, "subject")
	p := b["personalizations"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"first_name": "Max", "score": float64(21)}, p["dynamic_template_data"])
}

func TestSendAcceptsSandboxAnswerWithoutID(t *testing.T) {
	_, srv := newFakeAPI(t, answer(http.StatusOK, ""))
	id, err := New(Config{BaseURL: srv.URL}).Send(context.Background(), nurtureMessage())
	require.NoError(t, err)
	assert.Empty(t, id)
}

func TestSendErrors(t *testing.T) {
	reset := time.Now().Add(30 * time.Second).Unix()
	tests := []struct {
		name      string
		answer    func(w http.ResponseWriter, r *http.Request)
		status    int
		retryable bool
		messages  []string
	}{
		{"bad request is permanent with SendGrid's messages",
			answer(400, `{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from","help":null},{"message":"Does not contain a valid address.","field":"personalizations.0.to.0.email"}]}`),
			400, false, []string{"The from address does not match a verified Sender Identity.", "Does not contain a valid address."}},
		{"wrong key is permanent",
			answer(401, `{"errors":[{"field":null,"message":"The provided authorization grant is invalid, expired, or revoked","help":null}]}`),
			401, false, []string{"The provided authorization grant is invalid, expired, or revoked"}},
		{"forbidden is permanent", answer(403, `{"errors":[{"message":"access forbidden"}]}`), 403, false, []string{"access forbidden"}},
		{"payload too large is permanent", answer(413, `not json`), 413, false, nil},
		{"rate limit is retryable",
			answer(429, `{"errors":[{"field":null,"message":"too many requests"}]}`, "X-RateLimit-Reset", strconv.FormatInt(reset, 10)),
			429, true, []string{"too many requests"}},
		{"server error is retryable", answer(500, `{"errors":[{"message":"internal error"}]}`), 500, true, []string{"internal error"}},
		{"unavailable is retryable", answer(503, ``), 503, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newFakeAPI(t, tt.answer)
			id, err := New(Config{BaseURL: srv.URL}).Send(context.Background(), nurtureMessage())
			require.Error(t, err)
			assert.Empty(t, id)

			var se *SendError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.status, se.Status)
			assert.Equal(t, tt.retryable, se.Retryable)
			assert.Equal(t, tt.retryable, IsRetryable(err))
			assert.Equal(t, tt.messages, se.Messages)
			assert.Contains(t, err.Error(), strconv.Itoa(tt.status))
			if tt.status == 429 {
				assert.InDelta(t, 30*time.Second, se.RetryAfter, float64(3*time.Second))
			}
		})
	}
}

func TestSendTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	_, srv := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)

	start := time.Now()
	_, err := New(Config{BaseURL: srv.URL, Timeout: 100 * time.Millisecond}).Send(context.Background(), nurtureMessage())
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "the HTTP client must have a timeout")

	var se *SendError
	require.ErrorAs(t, err, &se)
	assert.Zero(t, se.Status)
	assert.True(t, se.Retryable)
	assert.True(t, IsRetryable(err))
}

func TestSendHonoursTheContext(t *testing.T) {
	release := make(chan struct{})
	_, srv := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := New(Config{BaseURL: srv.URL, Timeout: time.Minute}).Send(ctx, nurtureMessage())
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, IsRetryable(err))
}

func TestSendNetworkErrorIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()

	_, err := New(Config{BaseURL: url}).Send(context.Background(), nurtureMessage())
	require.Error(t, err)
	assert.True(t, IsRetryable(err))
}

func TestSendRefusesIncompleteMessagesWithoutCallingSendGrid(t *testing.T) {
	api, srv := newFakeAPI(t, accept("x"))
	c := New(Config{BaseURL: srv.URL})

	tests := map[string]func(m *Message){
		"no sender":    func(m *Message) { m.From.Email = "" },
		"no recipient": func(m *Message) { m.To.Email = " " },
		"no subject":   func(m *Message) { m.Subject = "" },
		"no content":   func(m *Message) { m.HTML, m.Text = "", "" },
		"unencodable template data": func(m *Message) {
			m.TemplateID = "d-1"
			m.TemplateData = map[string]any{"ch": make(chan int)}
		},
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			m := nurtureMessage()
			mutate(&m)
			_, err := c.Send(context.Background(), m)
			require.ErrorIs(t, err, ErrInvalidMessage)
			assert.False(t, IsRetryable(err))
		})
	}
	assert.Empty(t, api.requests)
}

func TestSendIsSafeForConcurrentUse(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	api, srv := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Message-Id", "id")
		w.WriteHeader(http.StatusAccepted)
	})
	_ = api
	c := New(Config{APIKey: "k", BaseURL: srv.URL})

	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := nurtureMessage()
			m.To.Email = "contact" + strconv.Itoa(i) + "@acme.example"
			m.CustomArgs = map[string]string{"i": strconv.Itoa(i)}
			_, err := c.Send(context.Background(), m)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()

	api.mu.Lock()
	defer api.mu.Unlock()
	for _, r := range api.requests {
		p := r.Body["personalizations"].([]any)[0].(map[string]any)
		to := p["to"].([]any)[0].(map[string]any)["email"].(string)
		i := r.Body["custom_args"].(map[string]any)["i"].(string)
		mu.Lock()
		seen[to]++
		mu.Unlock()
		assert.Equal(t, "contact"+i+"@acme.example", to, "requests must not mix")
	}
	assert.Len(t, seen, 32)
}

func TestIsRetryable(t *testing.T) {
	assert.False(t, IsRetryable(nil))
	assert.False(t, IsRetryable(errors.New("something")))
	assert.True(t, IsRetryable(&SendError{Status: 502, Retryable: true}))
	assert.False(t, IsRetryable(&SendError{Status: 400}))
	assert.True(t, IsRetryable(context.DeadlineExceeded))
}
