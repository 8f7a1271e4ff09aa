package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ripen/ripen/store"
)

// Collection is the water hole's phase: page views as ripen's script sends
// them (text/plain beacons from a registered site's origin) offered at a
// fixed rate, open loop, a tenth of them by visitors known by a signed
// identity (their views are engagement, routed to the running runs before
// the answer), the rest by anonymous visitors (kept). Afterwards the store
// is counted: every accepted view must be stored exactly once.
type Collection struct {
	OfferedPerS  float64 `json:"offered_per_s"`
	DurationS    float64 `json:"duration_s"`
	Offered      int     `json:"offered"`
	Accepted     int     `json:"accepted"`
	Failed       int     `json:"failed"`
	AchievedPerS float64 `json:"achieved_per_s"`
	// Late counts views sent more than 100 ms after their slot: the
	// client, not the server, could not keep the rate.
	Late   int     `json:"late"`
	Answer Latency `json:"answer"`
	// KnownAnswer and AnonymousAnswer split Answer: a known visitor's
	// view is stored as an event and routed to the account's runs before
	// the answer, an anonymous one's is one insert.
	KnownAnswer     Latency `json:"known_answer"`
	AnonymousAnswer Latency `json:"anonymous_answer"`
	KnownShare      float64 `json:"known_share"`
	// StoredKnown and StoredAnonymous are what the store holds afterwards
	// (visits with source web, kept views); Known and Anonymous what was
	// accepted of each.
	Known           int    `json:"known_accepted"`
	StoredKnown     int    `json:"known_stored"`
	Anonymous       int    `json:"anonymous_accepted"`
	StoredAnonymous int    `json:"anonymous_stored"`
	StoredOnce      bool   `json:"each_stored_once"`
	Error           string `json:"error,omitempty"`
}

const (
	collectSite   = "bench-site"
	collectOrigin = "https://www.bench.example"
	// collectInFlight bounds the client's open requests: a server slower
	// than the offered rate shows as late views and latency, not as an
	// unbounded pile of goroutines.
	collectInFlight = 256
)

// collection offers page views at cfg.CollectRate for cfg.CollectDuration.
func (b *bench) collection(ctx context.Context) error {
	c := &b.rep.Collection
	rate, dur := b.cfg.CollectRate, b.cfg.CollectDuration
	if rate <= 0 || dur <= 0 {
		return nil
	}
	c.OfferedPerS, c.DurationS, c.KnownShare = rate, secs(dur), 0.1
	b.progress("collection: page views offered at %.0f/s for %s", rate, dur)
	if err := b.api.call(ctx, "PUT", "/v1/sites/"+collectSite, map[string]any{
		"origins": []string{collectOrigin}, "consent": "implied",
		"topics": []map[string]any{{"path": "/" + benchTopic + "/*", "topic": benchTopic}},
	}, nil); err != nil {
		return fmt.Errorf("register the site: %w", err)
	}
	// Known visitors: the first nurture customers' contacts, identified as
	// a signed rpn would (the identity is not what is measured here).
	known := make([]string, 0, 100)
	for i := 0; i < min(100, len(b.nurture)); i++ {
		v := fmt.Sprintf("bench-known-%06d", i)
		ref := store.ContactRef{CustomerID: b.nurture[i], ContactID: b.nurture[i] + "-c"}
		if err := b.st.Store.IdentifyVisitor(ctx, collectSite, v, ref); err != nil {
			return fmt.Errorf("identify visitor: %w", err)
		}
		known = append(known, v)
	}

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: collectInFlight, MaxIdleConnsPerHost: collectInFlight}}
	defer client.CloseIdleConnections()
	n := int(rate * dur.Seconds())
	var (
		lat, latKnown     samples
		latAnonymous      samples
		accepted, failed  atomic.Int64
		knownOK, anonOK   atomic.Int64
		late              atomic.Int64
		firstErr          atomic.Value
		wg                sync.WaitGroup
		slots             = make(chan struct{}, collectInFlight)
		interval          = time.Duration(float64(time.Second) / rate)
		start             = time.Now()
		anonymousVisitors = max(1, n/8) // about 8 pages each, under the 100 kept
	)
	for i := range n {
		slot := start.Add(time.Duration(i) * interval)
		if d := time.Until(slot); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		slots <- struct{}{}
		if time.Since(slot) > 100*time.Millisecond {
			late.Add(1)
		}
		isKnown := i%10 == 0 && len(known) > 0
		v := fmt.Sprintf("bench-anon-%08d", i%anonymousVisitors)
		if isKnown {
			v = known[(i/10)%len(known)]
		}
		// Every view is of its own page, so each is one stored row.
		body, _ := json.Marshal(map[string]any{"site": collectSite, "visitor": v, "kind": "view", "consent": true,
			"url": fmt.Sprintf("%s/%s/page-%d", collectOrigin, benchTopic, i)})
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			t0 := time.Now()
			code, err := beacon(ctx, client, b.st.APIURL+"/t/collect", body)
			took := time.Since(t0)
			lat.add(took)
			if isKnown {
				latKnown.add(took)
			} else {
				latAnonymous.add(took)
			}
			if err == nil && code != http.StatusNoContent {
				err = fmt.Errorf("answered %d", code)
			}
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			accepted.Add(1)
			if isKnown {
				knownOK.Add(1)
			} else {
				anonOK.Add(1)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	c.Offered, c.Accepted, c.Failed, c.Late = n, int(accepted.Load()), int(failed.Load()), int(late.Load())
	c.AchievedPerS = float64(c.Accepted) / took.Seconds()
	c.Answer, c.KnownAnswer, c.AnonymousAnswer = lat.latency(), latKnown.latency(), latAnonymous.latency()
	c.Known, c.Anonymous = int(knownOK.Load()), int(anonOK.Load())
	if e, ok := firstErr.Load().(string); ok {
		c.Error = e
	}
	pool := b.st.Store.Pool()
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE source = 'web' AND url LIKE $1`, collectOrigin+"/%").Scan(&c.StoredKnown); err != nil {
		return fmt.Errorf("count stored views: %w", err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM web_views WHERE site_id = $1`, collectSite).Scan(&c.StoredAnonymous); err != nil {
		return fmt.Errorf("count kept views: %w", err)
	}
	c.StoredOnce = c.StoredKnown == c.Known && c.StoredAnonymous == c.Anonymous
	b.progress("collection: %d of %d accepted at %.0f/s, answer p50 %.1f ms p99 %.1f ms (known p99 %.1f ms, anonymous p99 %.1f ms); stored %d known and %d anonymous views (accepted %d and %d)",
		c.Accepted, c.Offered, c.AchievedPerS, c.Answer.P50Ms, c.Answer.P99Ms, c.KnownAnswer.P99Ms, c.AnonymousAnswer.P99Ms,
		c.StoredKnown, c.StoredAnonymous, c.Known, c.Anonymous)
	return nil
}

// beacon posts a page view as ripen's script does from a page of the site.
func beacon(ctx context.Context, client *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	req.Header.Set("Origin", collectOrigin)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
