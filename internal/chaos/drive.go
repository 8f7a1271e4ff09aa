package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// enrol enrols the customers wave by wave; customers whose start failed
// (an outage) are enrolled again, as a client of the API would.
func (r *runner) enrol(ctx context.Context) {
	for w := 0; w < r.plan.waves; w++ {
		if !r.at(ctx, time.Duration(w)*r.plan.waveEvery) {
			return
		}
		var ids []string
		for _, c := range r.customers {
			if c.Wave == w {
				ids = append(ids, c.ID)
			}
		}
		for attempt := 1; attempt <= 6 && len(ids) > 0; attempt++ {
			var out struct {
				Results []struct {
					CustomerID string `json:"customer_id"`
					Status     string `json:"status"`
					Error      string `json:"error"`
				} `json:"results"`
			}
			resp, err := r.st.http.json(ctx, "POST", "/v1/journeys/"+journeyID+"/enrollments", "POST /v1/journeys/{id}/enrollments",
				r.st.marketingKey, map[string]any{"customer_ids": ids}, &out)
			var again []string
			switch {
			case err != nil || !resp.ok():
				again = ids
				r.progress("enrolment of wave %d (attempt %d): %v %d", w+1, attempt, err, resp.Status)
			default:
				r.rec.lock(func() {
					for _, res := range out.Results {
						switch res.Status {
						case "started", "already-running":
							r.rec.enrolled[res.CustomerID] = res.Status
							delete(r.rec.enrolFail, res.CustomerID)
						default:
							again = append(again, res.CustomerID)
							r.rec.enrolFail[res.CustomerID] = res.Status + ": " + res.Error
						}
					}
				})
			}
			if len(again) == 0 {
				r.progress("wave %d: enrolled %d customers", w+1, len(ids))
			}
			ids = again
			if len(ids) > 0 && !sleep(ctx, time.Duration(attempt)*time.Second) {
				return
			}
		}
	}
}

// waveStart is when a customer's wave is enrolled.
func (r *runner) waveStart(c *customer) time.Duration {
	return time.Duration(c.Wave) * r.plan.waveEvery
}

// actAs plays the customer's contacts: fast-lane requests, clicks, looks
// and unsubscribes at random moments while their journey runs.
func (r *runner) actAs(ctx context.Context, c *customer) {
	var wg sync.WaitGroup
	start := r.waveStart(c)
	// While the journey runs: it sends for about 30 s after enrolment.
	during := func() time.Duration { return start + r.between(2*time.Second, 32*time.Second) }
	switch c.Role {
	case roleFastLane:
		wg.Add(1)
		go func() { defer wg.Done(); r.askFastLane(ctx, c, during()) }()
	case roleClicker:
		wg.Add(1)
		go func() { defer wg.Done(); r.click(ctx, c, start+2*time.Second) }()
	case roleLooker:
		wg.Add(1)
		go func() { defer wg.Done(); r.look(ctx, c, during()) }()
	}
	for i := range c.Contacts {
		ct := &c.Contacts[i]
		switch ct.Unsub {
		case unsubOneClick, unsubForm:
			wg.Add(1)
			go func() { defer wg.Done(); r.unsubscribe(ctx, c, ct, during()) }()
		case unsubWebhook:
			// unsubscribe, spam report, hard bounce, group unsubscribe in turn
			kind := sendgridUnsubscribes[r.intn(len(sendgridUnsubscribes))]
			wg.Add(1)
			go func() { defer wg.Done(); r.unsubscribeViaSendGrid(ctx, c, ct, during(), kind) }()
		}
	}
	wg.Wait()
}

// sendgridUnsubscribes are the SendGrid events that make an address
// unmailable.
var sendgridUnsubscribes = []string{"unsubscribe", "spamreport", "bounce", "group_unsubscribe"}

// latestMessage waits (up to a minute) for an email to the contact and
// returns the newest one.
func (r *runner) latestMessage(ctx context.Context, ct *contact) (sendgridMessage, bool) {
	deadline := time.Now().Add(time.Minute)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		msgs, err := r.st.http.messages(ctx, r.st.sendgridURL, ct.Email)
		if err == nil && len(msgs) > 0 {
			return msgs[len(msgs)-1], true
		}
		sleep(ctx, 1500*time.Millisecond)
	}
	return sendgridMessage{}, false
}

var (
	hrefRE      = regexp.MustCompile(`(?i)href="([^"]+)"`)
	anchorRE    = regexp.MustCompile(`(?i)<a\s[^>]*>`)
	formTokenRE = regexp.MustCompile(`name="form_token" value="([^"]+)"`)
)

// links returns the links in an email's HTML to one of the API's public
// routes ("/f/", "/r/", "/u/") that a person sees: not the hidden link that
// only mail scanners follow (out of the tab order), which marks the email as
// scanned.
func (r *runner) links(m sendgridMessage, kind string) []string { return r.linksOf(m, kind, false) }

// everyLink is links with the hidden one, as a mail scanner finds them.
func (r *runner) everyLink(m sendgridMessage, kind string) []string { return r.linksOf(m, kind, true) }

func (r *runner) linksOf(m sendgridMessage, kind string, hidden bool) []string {
	var out []string
	for _, tag := range anchorRE.FindAllString(m.HTML, -1) {
		sm := hrefRE.FindStringSubmatch(tag)
		if sm == nil || (!hidden && strings.Contains(tag, `tabindex="-1"`)) {
			continue
		}
		link := html.UnescapeString(sm[1])
		if strings.HasPrefix(link, r.st.apiURL+kind) {
			out = append(out, strings.TrimPrefix(link, r.st.apiURL))
		}
	}
	return out
}

// publicPage GETs a public page and returns its form token.
func (r *runner) publicPage(ctx context.Context, path, route string) (response, string, error) {
	resp, err := r.st.http.do(ctx, request{Method: "GET", Path: path, Route: route, Header: map[string]string{"Accept-Language": "en"}})
	if err != nil {
		return resp, "", err
	}
	m := formTokenRE.FindSubmatch(resp.Body)
	if m == nil {
		return resp, "", nil
	}
	return resp, html.UnescapeString(string(m[1])), nil
}

// postForm posts a public page's form the way a browser does.
func (r *runner) postForm(ctx context.Context, path, route string, form url.Values) (response, error) {
	return r.st.http.do(ctx, request{Method: "POST", Path: path, Route: route, Body: []byte(form.Encode()),
		Type: "application/x-www-form-urlencoded", Header: map[string]string{"Origin": r.st.apiURL, "Sec-Fetch-Site": "same-origin"}})
}

// askFastLane opens a fast-lane link of the newest email, confirms it —
// sometimes twice at once (a double click), sometimes while sales or
// marketing signal the same run through the API.
func (r *runner) askFastLane(ctx context.Context, c *customer, at time.Duration) {
	if !r.at(ctx, at) {
		return
	}
	ct := &c.Contacts[0]
	m, ok := r.latestMessage(ctx, ct)
	if !ok {
		r.progress("fast lane of %s: no email arrived", c.ID)
		return
	}
	fl := r.links(m, "/f/")
	if len(fl) == 0 {
		return
	}
	path := fl[r.intn(len(fl))]
	_, token, err := r.publicPage(ctx, path, "GET /f/{token}")
	if err != nil || token == "" {
		return
	}
	offer := offerOf(m, path)
	posts := 1
	if r.float() < 0.3 {
		posts = 2
	}
	viaAPI := r.float() < 0.25
	var wg sync.WaitGroup
	for i := 0; i < posts; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			resp, err := r.postForm(ctx, path, "POST /f/{token}", url.Values{"form_token": {token}, "note": {"call me after 3pm, chaos run"}})
			if err != nil {
				return
			}
			status := resp.Status
			if status == http.StatusOK && !strings.Contains(string(resp.Body), "Thank you") {
				status = -status // 200 without a thank-you is no acknowledgement
			}
			r.rec.lock(func() {
				r.rec.fastLanes = append(r.rec.fastLanes, fastLaneAck{Customer: c.ID, Contact: ct.ID, Via: "form", Offer: offer,
					Start: start, End: time.Now(), Status: status})
			})
		}()
	}
	if viaAPI {
		wg.Add(1)
		go func() { defer wg.Done(); r.signalFastLane(ctx, c.ID, "api", "consultation") }()
	}
	wg.Wait()
}

// offerLabels are the English labels of the journey's fast-lane links.
var offerLabels = map[string]string{"Book a demo": "demo", "Book a consultation": "consultation", "Get a price indication": "price-indication"}

// offerOf finds the offer of a fast-lane link by its label in the email.
func offerOf(m sendgridMessage, path string) string {
	i := strings.Index(m.HTML, html.EscapeString(path))
	if i < 0 {
		return ""
	}
	rest := m.HTML[i:]
	j := strings.Index(rest, "</a>")
	if j < 0 {
		return ""
	}
	for label, offer := range offerLabels {
		if strings.Contains(rest[:j], label) {
			return offer
		}
	}
	return ""
}

// signalFastLane asks for sales through the API, as sales or marketing do
// for a request that came by phone.
func (r *runner) signalFastLane(ctx context.Context, customerID, via, offer string) {
	start := time.Now()
	resp, err := r.st.http.json(ctx, "POST", "/v1/journeys/"+journeyID+"/runs/"+customerID+"/signals",
		"POST /v1/journeys/{id}/runs/{customerID}/signals", r.st.salesKey,
		map[string]any{"type": "fast-lane", "offer": offer, "note": "asked on the phone (chaos)"}, nil)
	if err != nil {
		return
	}
	r.rec.lock(func() {
		r.rec.fastLanes = append(r.rec.fastLanes, fastLaneAck{Customer: customerID, Via: via, Offer: offer, Start: start, End: time.Now(), Status: resp.Status})
	})
}

// click follows tracked links of the customer's emails, one every few
// seconds, until four different ones were clicked: 40 points, the MQN
// threshold.
func (r *runner) click(ctx context.Context, c *customer, at time.Duration) {
	if !r.at(ctx, at) {
		return
	}
	clicked := map[string]bool{}
	deadline := time.Now().Add(50 * time.Second)
	for len(clicked) < 4 && time.Now().Before(deadline) && ctx.Err() == nil {
		var todo []string
		for i := range c.Contacts {
			msgs, err := r.st.http.messages(ctx, r.st.sendgridURL, c.Contacts[i].Email)
			if err != nil {
				continue
			}
			for _, m := range msgs {
				for _, l := range r.links(m, "/r/") {
					if !clicked[l] {
						todo = append(todo, l)
					}
				}
			}
		}
		if len(todo) > 0 {
			l := todo[r.intn(len(todo))]
			resp, err := r.st.http.do(ctx, request{Method: "GET", Path: l, Route: "GET /r/{token}"})
			if err == nil && resp.Status == http.StatusSeeOther {
				clicked[l] = true
				r.rec.lock(func() { r.rec.clicks++ })
			}
		}
		sleep(ctx, r.between(time.Second, 4*time.Second))
	}
}

// look opens the fast-lane and unsubscribe pages without confirming, as a
// mail scanner does: nothing may change.
func (r *runner) look(ctx context.Context, c *customer, at time.Duration) {
	if !r.at(ctx, at) {
		return
	}
	ct := &c.Contacts[0]
	m, ok := r.latestMessage(ctx, ct)
	if !ok {
		return
	}
	for _, kind := range []string{"/f/", "/u/"} {
		for _, l := range r.links(m, kind) {
			resp, _, err := r.publicPage(ctx, l, "GET "+kind+"{token}")
			if err == nil {
				r.rec.lock(func() {
					r.rec.looks = append(r.rec.looks, lookAck{Customer: c.ID, Contact: ct.ID, Kind: strings.Trim(kind, "/"), Status: resp.Status})
				})
			}
		}
	}
}

// unsubscribe unsubscribes a contact from its newest email: the RFC 8058
// one-click post a mail client makes, or the page's form.
func (r *runner) unsubscribe(ctx context.Context, c *customer, ct *contact, at time.Duration) {
	if !r.at(ctx, at) {
		return
	}
	m, ok := r.latestMessage(ctx, ct)
	if !ok {
		r.progress("unsubscribe %s: no email arrived", ct.ID)
		return
	}
	var path string
	if lu := m.Headers["List-Unsubscribe"]; lu != "" {
		path = strings.TrimPrefix(strings.Trim(lu, "<>"), r.st.apiURL)
	}
	if us := r.links(m, "/u/"); path == "" && len(us) > 0 {
		path = us[0]
	}
	if path == "" {
		return
	}
	start := time.Now()
	var resp response
	var err error
	if ct.Unsub == unsubOneClick {
		resp, err = r.st.http.retry(ctx, 5, func() (response, error) {
			return r.st.http.do(ctx, request{Method: "POST", Path: path, Route: "POST /u/{token}", Body: []byte("List-Unsubscribe=One-Click"),
				Type: "application/x-www-form-urlencoded"})
		})
	} else {
		resp, err = r.st.http.retry(ctx, 5, func() (response, error) {
			_, token, err := r.publicPage(ctx, path, "GET /u/{token}")
			if err != nil || token == "" {
				return response{Status: 599}, err
			}
			return r.postForm(ctx, path, "POST /u/{token}", url.Values{"form_token": {token}})
		})
	}
	if err != nil && resp.Status == 0 {
		return
	}
	r.rec.lock(func() {
		r.rec.unsubs = append(r.rec.unsubs, unsubAck{Customer: c.ID, Contact: ct.ID, Email: ct.Email, Via: ct.Unsub, Start: start, End: time.Now(), Status: resp.Status})
	})
}

// handoff is one entry of the sales inbox.
type handoff struct {
	ID         string     `json:"id"`
	RunKey     string     `json:"run_key"`
	WorkflowID string     `json:"workflow_id"`
	CustomerID string     `json:"customer_id"`
	Cycle      int        `json:"cycle"`
	Reason     string     `json:"reason"`
	Offer      string     `json:"offer"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	ClosedAt   *time.Time `json:"closed_at"`
}

// salesDesk answers the sales inbox: each new hand-off after a few seconds
// (some after the SLA, so reminders go out), with a spread of outcomes;
// some twice at once with different outcomes, some through the inbox and
// the run at once. After "rejected" the customer sometimes asks again.
func (r *runner) salesDesk(ctx context.Context) {
	// answered: when each hand-off was taken up; one still open 40 s later
	// (its answer failed) is taken up again.
	answered := map[string]time.Time{}
	var wg sync.WaitGroup
	defer wg.Wait()
	for sleep(ctx, time.Second) {
		var out struct {
			Handoffs []handoff `json:"handoffs"`
		}
		resp, err := r.st.http.json(ctx, "GET", "/v1/handoffs?status=open&journey="+journeyID+"&limit=1000", "GET /v1/handoffs", r.st.salesKey, nil, &out)
		if err != nil || !resp.ok() {
			continue
		}
		for _, h := range out.Handoffs {
			if at, ok := answered[h.ID]; ok && time.Since(at) < 40*time.Second {
				continue
			}
			answered[h.ID] = time.Now()
			wg.Add(1)
			go func() { defer wg.Done(); r.answer(ctx, h) }()
		}
	}
}

// finalOnly: once the faults are over, sales stop recycling so the runs
// can end.
func (r *runner) finalOnly() bool { return time.Since(r.t0) > r.plan.faultEnd+20*time.Second }

func (r *runner) answer(ctx context.Context, h handoff) {
	delay := r.between(500*time.Millisecond, 6*time.Second)
	if r.float() < 0.1 {
		delay = r.between(16*time.Second, 24*time.Second) // past the 15 s SLA: a reminder first
	}
	if !sleep(ctx, delay) {
		return
	}
	outcomes := []string{"not-ready", "not-ready", "not-ready", "rejected", "rejected", "accepted", "accepted", "won", "won", "lost"}
	if r.finalOnly() {
		outcomes = []string{"accepted", "won", "lost"}
	}
	outcome := outcomes[r.intn(len(outcomes))]
	race := ""
	switch f := r.float(); {
	case f < 0.25:
		race = "two-answers"
	case f < 0.37:
		race = "inbox-and-run"
	}
	var wg sync.WaitGroup
	send := func(via, outcome string) {
		defer wg.Done()
		start := time.Now()
		resp, err := r.st.http.retry(ctx, 5, func() (response, error) {
			if via == "handoff" {
				return r.st.http.json(ctx, "POST", "/v1/handoffs/"+h.ID+"/feedback", "POST /v1/handoffs/{id}/feedback", r.st.salesKey,
					map[string]any{"outcome": outcome, "note": "chaos " + outcome}, nil)
			}
			return r.st.http.json(ctx, "POST", "/v1/journeys/"+journeyID+"/runs/"+h.CustomerID+"/signals",
				"POST /v1/journeys/{id}/runs/{customerID}/signals", r.st.salesKey,
				map[string]any{"type": "sales-feedback", "outcome": outcome, "note": "chaos " + outcome}, nil)
		})
		if err != nil && resp.Status == 0 {
			return
		}
		r.rec.lock(func() {
			r.rec.feedback = append(r.rec.feedback, feedbackAck{Handoff: h.ID, Customer: h.CustomerID, Via: via, Outcome: outcome,
				Race: race, Start: start, End: time.Now(), Status: resp.Status})
		})
		if resp.ok() && outcome == "rejected" && r.float() < 0.5 && !r.finalOnly() {
			// "Not a fit", says sales; a week later the customer asks for a
			// demo after all.
			if sleep(ctx, r.between(2*time.Second, 5*time.Second)) {
				r.rec.lock(func() { r.rec.followUps++ })
				r.signalFastLane(ctx, h.CustomerID, "follow-up", "demo")
			}
		}
	}
	wg.Add(1)
	go send("handoff", outcome)
	switch race {
	case "two-answers":
		other := outcomes[r.intn(len(outcomes))]
		if other == outcome {
			other = "lost"
			if outcome == "lost" {
				other = "won"
			}
		}
		wg.Add(1)
		go send("handoff", other)
	case "inbox-and-run":
		wg.Add(1)
		go send("signal", outcome)
	}
	wg.Wait()
}

// drain waits until every run has ended: sales answer what is still open
// (final outcomes only by now). It gives up on runs that can no longer
// move (see stuck) and after the plan's drain time.
func (r *runner) drain(ctx context.Context) {
	deadline := time.Now().Add(r.plan.drain)
	quiet := 0
	for ctx.Err() == nil && time.Now().Before(deadline) {
		running, err := r.runningRuns(ctx)
		if err != nil {
			sleep(ctx, 2*time.Second)
			continue
		}
		if len(running) == 0 {
			r.progress("every run has ended")
			return
		}
		// Only runs that cannot move on their own are left: done waiting.
		if len(running) <= 200 {
			idle := 0
			for _, id := range running {
				if r.idle(ctx, id) {
					idle++
				}
			}
			if idle == len(running) {
				quiet++
			} else {
				quiet = 0
			}
			if quiet >= 3 {
				r.progress("%d runs still running and idle; done waiting", len(running))
				return
			}
		}
		r.progress("%d runs still running", len(running))
		sleep(ctx, 5*time.Second)
	}
	r.progress("drain time is up")
}

// runningRuns lists the journey's running runs (Temporal visibility,
// through the API).
func (r *runner) runningRuns(ctx context.Context) ([]string, error) {
	var ids []string
	token := ""
	for {
		path := "/v1/runs?journey=" + journeyID + "&status=running&limit=1000"
		if token != "" {
			path += "&page_token=" + url.QueryEscape(token)
		}
		var out struct {
			Runs []struct {
				WorkflowID string `json:"workflow_id"`
			} `json:"runs"`
			Next string `json:"next_page_token"`
		}
		resp, err := r.st.http.json(ctx, "GET", path, "GET /v1/runs", r.st.salesKey, nil, &out)
		if err != nil {
			return nil, err
		}
		if !resp.ok() {
			return nil, fmt.Errorf("list runs: %d", resp.Status)
		}
		for _, run := range out.Runs {
			ids = append(ids, run.WorkflowID)
		}
		if out.Next == "" {
			return ids, nil
		}
		token = out.Next
	}
}

// idle: the run has nothing in flight and no timer due before the drain
// ends, or it waits for sales on a hand-off the inbox no longer shows as
// open (nobody will answer it).
func (r *runner) idle(ctx context.Context, workflowID string) bool {
	desc, err := r.st.tc.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return false
	}
	if len(desc.GetPendingActivities()) > 0 || desc.GetPendingWorkflowTask() != nil {
		return false
	}
	st, err := r.runState(ctx, workflowID)
	if err != nil {
		return false
	}
	if st.Stage == "handoff" && st.Handoff != nil {
		var status string
		_ = r.st.pool.QueryRow(ctx, `SELECT status FROM handoffs WHERE id = $1`, st.Handoff.ID).Scan(&status)
		return status != "open"
	}
	return st.NextWakeAt == nil || time.Until(*st.NextWakeAt) > 2*time.Minute
}

// runState is a run as GET /v1/journeys/{id}/runs/{customerID} shows it.
type runState struct {
	WorkflowID string  `json:"workflow_id"`
	Status     string  `json:"status"`
	Outcome    *string `json:"outcome"`
	Step       string  `json:"step"`
	Stage      string  `json:"stage"`
	Score      float64 `json:"score"`
	MQN        bool    `json:"mqn"`
	Cycle      int     `json:"cycle"`
	Handoff    *struct {
		ID     string `json:"id"`
		Reason string `json:"reason"`
		Status string `json:"status"`
	} `json:"handoff"`
	Touches     int        `json:"touches"`
	NextWakeAt  *time.Time `json:"next_wake_at"`
	LastError   string     `json:"last_error"`
	Engagements []struct {
		EventID string  `json:"event_id"`
		Kind    string  `json:"kind"`
		Points  float64 `json:"points"`
	} `json:"engagements"`
}

func (r *runner) runState(ctx context.Context, workflowID string) (runState, error) {
	customerID := workflowID[strings.LastIndex(workflowID, "/")+1:]
	var st runState
	resp, err := r.st.http.retry(ctx, 4, func() (response, error) {
		return r.st.http.do(ctx, request{Method: "GET", Path: "/v1/journeys/" + journeyID + "/runs/" + customerID,
			Route: "GET /v1/journeys/{id}/runs/{customerID}", Key: r.st.salesKey})
	})
	if err != nil {
		return st, err
	}
	if !resp.ok() {
		return st, fmt.Errorf("GET run %s: %d %s", workflowID, resp.Status, truncate(string(resp.Body), 300))
	}
	return st, json.Unmarshal(resp.Body, &st)
}
