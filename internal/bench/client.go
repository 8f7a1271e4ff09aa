package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// apiClient talks to ripen's HTTP API as an integration would.
type apiClient struct {
	base, key string
	http      *http.Client
}

func newAPIClient(base, key string) *apiClient {
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}
	return &apiClient{base: base, key: key, http: &http.Client{
		Transport: tr,
		// Public links answer with pages and redirects; look at them as they are.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *apiClient) close() { c.http.CloseIdleConnections() }

// statusError is an answer other than the one expected.
type statusError struct {
	method, path string
	code         int
	body         string
}

func (e *statusError) Error() string {
	body := e.body
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.code, strings.TrimSpace(body))
}

// call sends an authenticated request (JSON, or YAML for a string body) and
// decodes the JSON answer into out when the status is 2xx.
func (c *apiClient) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ct := ""
	switch v := in.(type) {
	case nil:
	case string:
		body, ct = strings.NewReader(v), "application/yaml"
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		body, ct = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &statusError{method, path, resp.StatusCode, string(data)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// putAll PUTs every body at its path with n clients at once.
func (c *apiClient) putAll(ctx context.Context, n int, paths []string, body func(i int) any) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	for i, p := range paths {
		g.Go(func() error { return c.call(ctx, "PUT", p, body(i), nil) })
	}
	return g.Wait()
}

// runState is the part of GET /v1/journeys/{id}/runs/{customer} the
// benchmark reads.
type runState struct {
	Status     string     `json:"status"`
	Stage      string     `json:"stage"`
	Step       string     `json:"step"`
	Score      float64    `json:"score"`
	Touches    int        `json:"touches"`
	NextWakeAt *time.Time `json:"next_wake_at"`
}

func (c *apiClient) run(ctx context.Context, journeyID, customerID string) (runState, error) {
	var st runState
	err := c.call(ctx, "GET", "/v1/journeys/"+journeyID+"/runs/"+customerID, nil, &st)
	return st, err
}

type enrolResult struct {
	CustomerID string `json:"customer_id"`
	Status     string `json:"status"`
	Error      string `json:"error"`
}

// enrol enrols customers in batches, one request after the other.
func (c *apiClient) enrol(ctx context.Context, journeyID string, customers []string, batch int) ([]enrolResult, int, error) {
	var all []enrolResult
	requests := 0
	for i := 0; i < len(customers); i += batch {
		part := customers[i:min(i+batch, len(customers))]
		var resp struct {
			Results []enrolResult `json:"results"`
		}
		requests++
		if err := c.call(ctx, "POST", "/v1/journeys/"+journeyID+"/enrollments", map[string]any{"customer_ids": part}, &resp); err != nil {
			return all, requests, err
		}
		all = append(all, resp.Results...)
	}
	return all, requests, nil
}

type event struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	Type       string    `json:"type"`
	Topic      string    `json:"topic,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
}

type eventsAnswer struct {
	Accepted   int      `json:"accepted"`
	Duplicates int      `json:"duplicates"`
	Signalled  []string `json:"signalled"`
	Enrolled   []string `json:"enrolled"`
}

func (c *apiClient) postEvents(ctx context.Context, evs []event) (eventsAnswer, error) {
	var ans eventsAnswer
	err := c.call(ctx, "POST", "/v1/events", map[string]any{"events": evs}, &ans)
	return ans, err
}

var (
	anchorRE = regexp.MustCompile(`<a href="([^"]+)"[^>]*>([^<]+)</a>`)
	hiddenRE = regexp.MustCompile(`<input[^>]*type="hidden"[^>]*>`)
	attrRE   = regexp.MustCompile(`(name|value)="([^"]*)"`)
)

// linkByText finds a link in an email's HTML by the words a reader clicks.
func linkByText(htmlBody, text string) (string, bool) {
	for _, a := range anchorRE.FindAllStringSubmatch(htmlBody, -1) {
		if strings.TrimSpace(html.UnescapeString(a[2])) == text {
			return html.UnescapeString(a[1]), true
		}
	}
	return "", false
}

// formPage is a public page's form, fetched like a browser would.
type formPage struct {
	url    string
	fields url.Values
}

// openForm GETs a public page and keeps its hidden fields.
func (c *apiClient) openForm(ctx context.Context, pageURL string) (formPage, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", pageURL, nil)
	if err != nil {
		return formPage{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return formPage{}, err
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		return formPage{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return formPage{}, &statusError{"GET", pageURL, resp.StatusCode, string(page)}
	}
	fields := url.Values{}
	for _, in := range hiddenRE.FindAll(page, -1) {
		var name, value string
		for _, a := range attrRE.FindAllSubmatch(in, -1) {
			if string(a[1]) == "name" {
				name = html.UnescapeString(string(a[2]))
			} else {
				value = html.UnescapeString(string(a[2]))
			}
		}
		fields.Set(name, value)
	}
	if len(fields) == 0 {
		return formPage{}, fmt.Errorf("GET %s: no form on the page", pageURL)
	}
	return formPage{url: pageURL, fields: fields}, nil
}

// submit posts the form (it posts to its own URL) with extra fields, as the
// browser that showed it would.
func (c *apiClient) submit(ctx context.Context, f formPage, extra url.Values) error {
	fields := url.Values{}
	for k, v := range f.fields {
		fields[k] = v
	}
	for k, v := range extra {
		fields[k] = v
	}
	req, err := http.NewRequestWithContext(ctx, "POST", f.url, strings.NewReader(fields.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if u, err := url.Parse(f.url); err == nil {
		req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	}
	req.Header.Set("Referer", f.url)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return &statusError{"POST", f.url, resp.StatusCode, string(body)}
	}
	return nil
}
