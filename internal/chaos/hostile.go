package chaos

// The hostile phase: after the faults, the suite attacks the API as a
// leaked key and an anonymous sender would (alias bombs, conditions that
// loop for ever, oversized and stalled unsigned webhook posts, a mail
// scanner following every link, a sales key taking over an account owner)
// while an honest client keeps using it, and checks that every attack is
// refused, that nothing changed that should not, that the honest client's
// requests kept their latency, and that the API's memory stayed bounded.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Hostile are the hostile phase's figures.
type Hostile struct {
	Took    time.Duration
	Attacks []Attack
	// Ordinary requests (an honest marketing key reading a journey) before
	// and during the attacks.
	Baseline, During Latency
	// The API process's resident memory: before the attacks and the most
	// seen while they ran (KiB).
	RSSBeforeKiB, RSSPeakKiB int64
}

// Attack is one kind of attack and how the API answered it.
type Attack struct {
	Kind     string
	Sent     int
	Statuses map[int]int
	// Errors are requests that got no answer (the server closed the
	// connection, as it may for a body it refuses to read); Held are
	// stalled posts the server was still waiting on when they gave up.
	Errors, Held int
	P99          time.Duration
}

// Refused counts the attack's requests the API did not carry out.
func (a Attack) Refused() int {
	n := a.Errors + a.Held
	for status, c := range a.Statuses {
		if status >= 400 {
			n += c
		}
	}
	return n
}

// Latency sums up a series of requests.
type Latency struct {
	Count, Failed int
	P50, P99      time.Duration
}

func latencyOf(ds []time.Duration, failed int) Latency {
	l := Latency{Count: len(ds) + failed, Failed: failed}
	if len(ds) == 0 {
		return l
	}
	slices.Sort(ds)
	l.P50, l.P99 = ds[len(ds)*50/100], ds[min(len(ds)-1, len(ds)*99/100)]
	return l
}

// hostileOwnerAttempt is the address the attacker gives an account owner.
const hostileOwnerAttempt = "attacker@evil.example"

// hostile runs the phase and adds its invariants to rep.
func (r *runner) hostile(ctx context.Context, rep *Report) error {
	span := 20 * time.Second
	if r.cfg.Short {
		span = 8 * time.Second
	}
	attacker, err := r.newKey(ctx, "marketing", "chaos attacker")
	if err != nil {
		return err
	}
	honest, err := r.newKey(ctx, "marketing", "chaos honest client")
	if err != nil {
		return err
	}
	owners, err := r.ownerRows(ctx)
	if err != nil {
		return err
	}
	clicksBefore, err := r.personClicks(ctx)
	if err != nil {
		return err
	}
	h := &Hostile{}
	start := time.Now()
	hc := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// The drivers ran under limits high enough not to meet them; the
	// attacks meet production's.
	if err := r.restartAPIWithProductionLimits(ctx); err != nil {
		return err
	}
	r.progress("hostile phase: baseline of ordinary requests")
	h.Baseline = r.ordinary(ctx, hc, honest, span/2, nil)
	h.RSSBeforeKiB = rssKiB(r.st.api)

	r.progress("hostile phase: attacks for %s", span)
	attackCtx, stop := context.WithTimeout(ctx, span)
	defer stop()
	attacks := []struct {
		kind string
		do   func(context.Context) (int, error)
	}{
		{"alias bomb (PUT journey)", func(ctx context.Context) (int, error) {
			return r.send(ctx, hc, "PUT", "/v1/journeys/bomb", attacker, "application/yaml", aliasBomb(), nil)
		}},
		{"looping condition (PUT journey)", func(ctx context.Context) (int, error) {
			return r.send(ctx, hc, "PUT", "/v1/journeys/spin", attacker, "application/yaml", []byte(loopingJourney("spin")), nil)
		}},
		{"looping condition (simulate)", func(ctx context.Context) (int, error) {
			body := `{"journey": ` + loopingJourneyJSON + `, "events": []}`
			return r.send(ctx, hc, "POST", "/v1/journeys/spin/simulate", attacker, "application/json", []byte(body), nil)
		}},
		{"oversized unsigned webhook (8 MiB)", func(ctx context.Context) (int, error) {
			return r.send(ctx, hc, "POST", "/webhooks/sendgrid", "", "application/json", bytes.Repeat([]byte(" "), 8<<20), nil)
		}},
		{"stalled webhook (headers, no body)", func(ctx context.Context) (int, error) {
			return r.stalledPost(ctx)
		}},
		{"owner takeover (sales key)", func(ctx context.Context) (int, error) {
			return r.send(ctx, hc, "PUT", "/v1/customers/"+r.customers[0].ID, r.st.salesKey, "application/json", r.takeover(), nil)
		}},
		{"owner takeover (marketing key)", func(ctx context.Context) (int, error) {
			return r.send(ctx, hc, "PUT", "/v1/customers/"+r.customers[0].ID, attacker, "application/json", r.takeover(), nil)
		}},
	}
	var wg sync.WaitGroup
	results := make([]Attack, len(attacks)+1)
	for i, a := range attacks {
		// Two attackers of each kind, as fast as the API answers.
		results[i] = Attack{Kind: a.kind, Statuses: map[int]int{}}
		var mu sync.Mutex
		var took []time.Duration
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for attackCtx.Err() == nil {
					t := time.Now()
					status, err := a.do(attackCtx)
					if attackCtx.Err() != nil {
						return
					}
					mu.Lock()
					results[i].Sent++
					switch {
					case errors.Is(err, errHeld):
						results[i].Held++
					case err != nil:
						results[i].Errors++
					default:
						results[i].Statuses[status]++
						took = append(took, time.Since(t))
					}
					results[i].P99 = latencyOf(slices.Clone(took), 0).P99
					mu.Unlock()
				}
			}()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		results[len(attacks)] = r.scanner(attackCtx, hc)
	}()
	peak := h.RSSBeforeKiB
	var peakMu sync.Mutex
	h.During = r.ordinary(attackCtx, hc, honest, span, func() {
		if kib := rssKiB(r.st.api); kib > 0 {
			peakMu.Lock()
			peak = max(peak, kib)
			peakMu.Unlock()
		}
	})
	wg.Wait()
	h.Attacks, h.RSSPeakKiB, h.Took = results, peak, time.Since(start)
	rep.Hostile = h
	r.progress("hostile phase over: ordinary p99 %s before, %s during; API RSS %d → %d MiB",
		h.Baseline.P99.Round(time.Millisecond), h.During.P99.Round(time.Millisecond), h.RSSBeforeKiB>>10, h.RSSPeakKiB>>10)

	return r.checkHostile(ctx, rep, owners, clicksBefore)
}

// checkHostile adds the phase's invariants.
func (r *runner) checkHostile(ctx context.Context, rep *Report, owners map[string]string, clicksBefore int) error {
	h := rep.Hostile
	add := func(name, statement string) *Invariant {
		inv := &Invariant{Name: name, Statement: statement}
		rep.Invariants = append(rep.Invariants, inv)
		return inv
	}
	refused := add("hostile-refused", "every attack is refused: no 2xx for an alias bomb, a looping condition, an unsigned webhook post or an owner takeover")
	for _, a := range h.Attacks {
		if a.Kind == scannerKind {
			continue
		}
		refused.Checked += a.Sent
		for status, n := range a.Statuses {
			if status < 400 {
				refused.add("", "", "%s: %d answered %d", a.Kind, n, status)
			}
		}
	}
	unchanged := add("hostile-nothing-changed", "attacks change nothing: no attacker's journey is published, no account owner's name or email changes, a scanner's clicks score nothing")
	after, err := r.ownerRows(ctx)
	if err != nil {
		return err
	}
	for id, row := range owners {
		unchanged.Checked++
		if after[id] != row {
			unchanged.add("", "", "owner %s changed from %q to %q", id, row, after[id])
		}
	}
	var published int
	if err := r.st.pool.QueryRow(ctx, `SELECT count(*) FROM journey_versions WHERE journey_id IN ('bomb', 'spin')`).Scan(&published); err != nil {
		return fmt.Errorf("count attackers' journeys: %w", err)
	}
	unchanged.Checked++
	if published > 0 {
		unchanged.add("", "", "%d versions of the attackers' journeys were published", published)
	}
	clicksAfter, err := r.personClicks(ctx)
	if err != nil {
		return err
	}
	unchanged.Checked++
	if clicksAfter != clicksBefore {
		unchanged.add("", "", "a scanner's fetches were recorded as %d clicks of people", clicksAfter-clicksBefore)
	}
	latency := add("hostile-latency", "ordinary requests keep their latency during the attacks: none fails, and p99 stays within 4 times the p99 before (or 250 ms)")
	latency.Checked = h.During.Count
	if h.During.Failed > 0 {
		latency.add("", "", "%d of %d ordinary requests failed during the attacks", h.During.Failed, h.During.Count)
	}
	if bound := max(4*h.Baseline.P99, 250*time.Millisecond); h.During.P99 > bound {
		latency.add("", "", "ordinary p99 %s during the attacks, %s before (bound %s)", h.During.P99, h.Baseline.P99, bound)
	}
	memory := add("hostile-memory", "the API's memory stays bounded: its resident set grows by less than 256 MiB during the attacks")
	memory.Checked = 1
	if h.RSSBeforeKiB > 0 && h.RSSPeakKiB-h.RSSBeforeKiB > 256<<10 {
		memory.add("", "", "the API grew from %d MiB to %d MiB", h.RSSBeforeKiB>>10, h.RSSPeakKiB>>10)
	}
	return nil
}

// ordinary reads the chaos journey with key for d, at about 20 requests a
// second, calling tick after each; a request fails when it gets no 200.
func (r *runner) ordinary(ctx context.Context, hc *http.Client, key string, d time.Duration, tick func()) Latency {
	deadline := time.Now().Add(d)
	var took []time.Duration
	failed := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		t := time.Now()
		status, err := r.send(context.WithoutCancel(ctx), hc, "GET", "/v1/journeys/"+journeyID, key, "", nil, nil)
		if err != nil || status != http.StatusOK {
			failed++
		} else {
			took = append(took, time.Since(t))
		}
		if tick != nil {
			tick()
		}
		sleep(ctx, 50*time.Millisecond)
	}
	return latencyOf(took, failed)
}

// send makes one request and reads its answer to the end.
func (r *runner) send(ctx context.Context, hc *http.Client, method, path, key, contentType string, body []byte, header http.Header) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.st.apiURL+path, rd)
	if err != nil {
		return 0, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// stalledPost opens a webhook post that names a large body, signed headers
// that look fresh, and sends nothing: a slow-loris on the webhook. It gives
// up after five seconds and reports what the API answered, if anything.
func (r *runner) stalledPost(ctx context.Context) (int, error) {
	host := strings.TrimPrefix(r.st.apiURL, "http://")
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", host)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	fmt.Fprintf(conn, "POST /webhooks/sendgrid HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n"+
		"X-Twilio-Email-Event-Webhook-Signature: MEUCIQ==\r\nX-Twilio-Email-Event-Webhook-Timestamp: %s\r\n\r\n", host, ts)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if n == 0 {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			// Still waiting for the body: the webhook's concurrency cap,
			// not the API as a whole, is what it holds.
			return 0, errHeld
		}
		return 0, err
	}
	// "HTTP/1.1 401 ..."
	fields := strings.Fields(string(buf[:n]))
	if len(fields) < 2 {
		return 0, fmt.Errorf("stalled post: odd answer %q", buf[:n])
	}
	return strconv.Atoi(fields[1])
}

// errHeld: the server was still waiting for a stalled post's body.
var errHeld = errors.New("held")

const scannerKind = "mail scanner (every link of an email within a second)"

// scanner follows every tracked link of recent emails the way a mail
// security gateway does: HEAD first, then GET with a scanner's agent, all
// within a second of each other.
func (r *runner) scanner(ctx context.Context, hc *http.Client) Attack {
	a := Attack{Kind: scannerKind, Statuses: map[int]int{}}
	msgs, err := r.st.http.messages(ctx, r.st.sendgridURL, "")
	if err != nil {
		a.Errors++
		return a
	}
	var took []time.Duration
	for i := len(msgs) - 1; i >= 0 && ctx.Err() == nil; i-- {
		links := r.everyLink(msgs[i], "/r/")
		if len(links) == 0 {
			continue
		}
		for _, method := range []string{"HEAD", "GET"} {
			for _, l := range links {
				t := time.Now()
				// A gateway fetches from many addresses of its own.
				status, err := r.send(ctx, hc, method, l, "", "", nil, http.Header{
					"User-Agent":      {"Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0) BarracudaCentral"},
					"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", 1+i%250)}})
				a.Sent++
				if err != nil {
					a.Errors++
					continue
				}
				a.Statuses[status]++
				took = append(took, time.Since(t))
			}
		}
		if len(msgs)-i >= 20 {
			break
		}
	}
	a.P99 = latencyOf(took, 0).P99
	return a
}

// restartAPIWithProductionLimits restarts the API without the suite's rate
// limits, so it runs with production's defaults.
func (r *runner) restartAPIWithProductionLimits(ctx context.Context) error {
	p := r.st.api
	var env []string
	for _, kv := range p.env {
		if !strings.HasPrefix(kv, "RIPEN_RATE_LIMIT_") {
			env = append(env, kv)
		}
	}
	if _, err := p.kill(); err != nil {
		return err
	}
	p.mu.Lock()
	p.env = env
	p.mu.Unlock()
	if err := p.start(ctx); err != nil {
		return fmt.Errorf("restart the API with production's rate limits: %w", err)
	}
	return nil
}

// personClicks counts the clicks stored as people's.
func (r *runner) personClicks(ctx context.Context) (int, error) {
	var n int
	err := r.st.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE type = 'click'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count clicks: %w", err)
	}
	return n, nil
}

// ownerRows is every account owner's name and email, by ID.
func (r *runner) ownerRows(ctx context.Context) (map[string]string, error) {
	rows, err := r.st.pool.Query(ctx, `SELECT id, name || ' <' || email || '>' FROM owners`)
	if err != nil {
		return nil, fmt.Errorf("read owners: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, row string
		if err := rows.Scan(&id, &row); err != nil {
			return nil, err
		}
		out[id] = row
	}
	return out, rows.Err()
}

// takeover is the first customer's PUT as the fixtures made it, but for
// its known owner's email, which becomes the attacker's: valid in every
// other field, so nothing but the owner rule can refuse it.
func (r *runner) takeover() []byte {
	cu := r.customers[0]
	var cts []map[string]any
	for j, ct := range cu.Contacts {
		cts = append(cts, map[string]any{"id": ct.ID, "email": ct.Email, "first_name": fmt.Sprintf("Pat%d", j+1),
			"last_name": cu.ID, "timezone": "Europe/Berlin", "locale": "en"})
	}
	// The fixtures give customer i the owner owners[i%len(owners)].
	b, _ := json.Marshal(map[string]any{
		"name": "Customer " + cu.ID, "persona": "chaos-buyer",
		"owner":    map[string]any{"id": owners[0], "name": "Rep " + owners[0], "email": hostileOwnerAttempt},
		"contacts": cts,
	})
	return b
}

// newKey makes an API key with the production binary.
func (r *runner) newKey(ctx context.Context, role, label string) (string, error) {
	out, err := runCmd(ctx, r.st.api.env, r.cfg.RipenBin, "apikeys", "create", "--role", role, "--label", label)
	if err != nil {
		return "", fmt.Errorf("ripen apikeys create: %v: %s", err, out)
	}
	return strings.TrimSpace(out), nil
}

// aliasBomb is about 25 KB of YAML that expands to millions of nodes when
// aliases are followed: one anchored step with a 1,000-item list, then
// 5,000 references to it.
func aliasBomb() []byte {
	var b strings.Builder
	b.WriteString("id: bomb\nname: bomb\noffer: {kind: upsell, product: p}\nscoring: {points: {click: 1}, half_life: 30d}\nmqn: {threshold: 10}\nsteps:\n  - &s {id: w, wait: 1d, until: [")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("click")
	}
	b.WriteString("]}\n")
	for range 5000 {
		b.WriteString("  - *s\n")
	}
	return []byte(b.String())
}

// loopingCondition loops 10^9 times wherever it is evaluated.
const loopingCondition = `let a = 1..1000; any(a, {any(a, {any(a, {# < 0})})})`

func loopingJourney(id string) string {
	return "id: " + id + "\nname: spin\noffer: {kind: upsell, product: chaos-suite}\nscoring: {points: {click: 1}, half_life: 30d}\nmqn: {threshold: 10}\nsteps:\n" +
		"  - {id: w, wait: 1d}\n  - {id: spin, if: \"" + loopingCondition + "\", goto: w}\n  - {id: done, end: true}\n"
}

var loopingJourneyJSON = `{"id": "spin", "name": "spin", "offer": {"kind": "upsell", "product": "chaos-suite"},
 "scoring": {"points": {"click": 1}, "half_life": "30d"}, "mqn": {"threshold": 10},
 "steps": [{"id": "w", "wait": "1d"}, {"id": "spin", "if": "` + loopingCondition + `", "goto": "w"}, {"id": "done", "end": true}]}`

// rssKiB is a process's resident set, from /proc (0 when unknown).
func rssKiB(p *proc) int64 {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
