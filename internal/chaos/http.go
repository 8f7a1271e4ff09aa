package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// call is one request the suite made to the ripen API, as the invariants
// about the API's answers need it.
type call struct {
	Route  string // method and route pattern, e.g. "POST /f/{token}"
	Start  time.Time
	End    time.Time
	Status int    // 0 when no answer came
	Err    string // transport error, if any
}

// apiLog records every call to the ripen API.
type apiLog struct {
	mu    sync.Mutex
	calls []call
}

func (l *apiLog) add(c call) {
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}

func (l *apiLog) all() []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]call(nil), l.calls...)
}

// client talks HTTP to the ripen API (recorded) and to the local SendGrid
// server (not recorded: it is the suite's instrument, not the system under
// test).
type client struct {
	http   *http.Client
	api    string // base URL of the ripen API
	log    *apiLog
	limits chan struct{} // bounds concurrent requests to the API
}

func newClient(apiURL string, concurrency int) *client {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 128, IdleConnTimeout: 30 * time.Second}
	return &client{
		http: &http.Client{
			Transport: tr,
			Timeout:   3 * time.Minute,
			// Tracked links answer 303; the suite looks at that answer.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		api:    apiURL,
		log:    &apiLog{},
		limits: make(chan struct{}, concurrency),
	}
}

// response is what the suite keeps of an answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) ok() bool { return r.Status >= 200 && r.Status < 300 }

// request describes one call to the ripen API.
type request struct {
	Method string
	Path   string // appended to the API base
	Route  string // label for the log; default Method+" "+Path
	Key    string // API key, if any
	Body   []byte
	Type   string // Content-Type
	Header map[string]string
}

// do sends one request to the ripen API and records it. A transport error
// is returned as an error and recorded with status 0.
func (c *client) do(ctx context.Context, rq request) (response, error) {
	select {
	case c.limits <- struct{}{}:
	case <-ctx.Done():
		return response{}, ctx.Err()
	}
	defer func() { <-c.limits }()
	route := rq.Route
	if route == "" {
		route = rq.Method + " " + rq.Path
	}
	req, err := http.NewRequestWithContext(ctx, rq.Method, c.api+rq.Path, bytes.NewReader(rq.Body))
	if err != nil {
		return response{}, err
	}
	if rq.Key != "" {
		req.Header.Set("Authorization", "Bearer "+rq.Key)
	}
	if rq.Type != "" {
		req.Header.Set("Content-Type", rq.Type)
	}
	for k, v := range rq.Header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			c.log.add(call{Route: route, Start: start, End: time.Now(), Err: err.Error()})
		}
		return response{}, fmt.Errorf("%s: %w", route, err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	resp.Body.Close()
	c.log.add(call{Route: route, Start: start, End: time.Now(), Status: resp.StatusCode})
	if err != nil {
		return response{}, fmt.Errorf("%s: read answer: %w", route, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// json sends v as JSON and decodes a 2xx answer into out (if not nil).
func (c *client) json(ctx context.Context, method, path, route, key string, v, out any) (response, error) {
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			return response{}, err
		}
	}
	resp, err := c.do(ctx, request{Method: method, Path: path, Route: route, Key: key, Body: body, Type: "application/json"})
	if err != nil {
		return resp, err
	}
	if out != nil && resp.ok() {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return resp, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp, nil
}

// retry repeats a call with backoff until it answers 2xx or the attempts
// run out, as a well-behaved client of the API would during an outage. It
// returns the last answer.
func (c *client) retry(ctx context.Context, attempts int, f func() (response, error)) (response, error) {
	var resp response
	var err error
	wait := 500 * time.Millisecond
	for i := 0; i < attempts; i++ {
		resp, err = f()
		if err == nil && resp.Status < 500 {
			return resp, nil
		}
		select {
		case <-ctx.Done():
			return resp, ctx.Err()
		case <-time.After(wait):
		}
		if wait < 8*time.Second {
			wait *= 2
		}
	}
	if err == nil {
		err = fmt.Errorf("answered %d after %d attempts: %s", resp.Status, attempts, truncate(string(resp.Body), 200))
	}
	return resp, err
}

// sendgridMessage is one message as the local SendGrid server lists it.
type sendgridMessage struct {
	MessageID  string            `json:"message_id"`
	To         []string          `json:"to"`
	Subject    string            `json:"subject"`
	HTML       string            `json:"html"`
	Headers    map[string]string `json:"headers"`
	CustomArgs map[string]string `json:"custom_args"`
	ReceivedAt time.Time         `json:"received_at"`
	Events     []struct {
		Event  string `json:"event"`
		Posted bool   `json:"posted"`
	} `json:"events"`
}

// messages lists the local SendGrid server's messages, to one address or
// all, oldest first.
func (c *client) messages(ctx context.Context, sendgridURL, to string) ([]sendgridMessage, error) {
	u := sendgridURL + "/api/messages"
	if to != "" {
		u += "?to=" + urlQueryEscape(to)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("list SendGrid messages: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("list SendGrid messages: %s", resp.Status)
	}
	var msgs []sendgridMessage
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil {
		return nil, fmt.Errorf("list SendGrid messages: %w", err)
	}
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].ReceivedAt.Before(msgs[j].ReceivedAt) })
	return msgs, nil
}

// setFaults changes the local SendGrid server's fault rates.
func (c *client) setFaults(ctx context.Context, sendgridURL string, f map[string]any) error {
	body, _ := json.Marshal(f)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sendgridURL+"/api/faults", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("set SendGrid faults: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("set SendGrid faults: %s %s", resp.Status, b)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
