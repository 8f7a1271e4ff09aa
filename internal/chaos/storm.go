package chaos

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ripen/ripen/sendgrid"
)

// stormFacts is what the storm sent, for the invariants.
type stormFacts struct {
	Posted      int // events posted in all, repeats included
	Unique      int // distinct good events
	Duplicates  int // events posted again: copies within the stream and reposts
	Batches     int // good posts
	Reposts     int // batches posted again, split differently
	Replays     int // batches posted again byte for byte with the same signature
	BadBatches  int
	BadEvents   int
	Took        time.Duration
	NotAccepted int // good events never answered 2xx
	// Engagements are the "sg-"+sg_event_id events ripen must store once:
	// opens by people and clicks on links that are not ripen's own, on
	// content emails.
	Engagements map[string]string // event ID → workflow ID
	// Accepted are the good sg_event_ids answered 2xx at least once.
	Accepted map[string]bool
	// BadIDs and BadEmails are what bad-signature batches carried: none of
	// it may leave a trace.
	BadIDs    []string
	BadEmails map[string]bool
}

// stormEvent is one webhook event with what the suite needs to know of it.
type stormEvent struct {
	id   string
	body map[string]any
}

// storm posts the webhook storm: StormEvents events about the messages sent
// so far (engagement and delivery news; the contacts who unsubscribe
// through SendGrid do so on their own, see unsubscribeViaSendGrid), 30 % of
// them repeats (copies within the stream, and batches posted again split
// differently, as SendGrid does when it misses an answer), in shuffled
// order, plus batches with bad signatures.
func (r *runner) storm(ctx context.Context) {
	if !r.at(ctx, r.plan.stormAt) {
		return
	}
	start := time.Now()
	msgs, err := r.st.http.messages(ctx, r.st.sendgridURL, "")
	if err != nil {
		r.progress("storm: %v", err)
		return
	}
	facts := stormFacts{Engagements: map[string]string{}, Accepted: map[string]bool{}, BadEmails: map[string]bool{}}
	n := r.cfg.StormEvents
	unique := n * 7 / 10
	var content, owner []sendgridMessage
	for _, m := range msgs {
		if m.CustomArgs["ripen_contact"] != "" && m.CustomArgs["ripen_handoff"] == "" {
			content = append(content, m)
		} else if m.CustomArgs["ripen_handoff"] != "" {
			owner = append(owner, m)
		}
	}
	if len(content) == 0 {
		r.progress("storm: no email sent yet; no storm")
		return
	}

	var events []stormEvent
	// Engagement and delivery news about random emails.
	for len(events) < unique {
		var m sendgridMessage
		kind := ""
		switch f := r.float(); {
		case f < 0.05 && len(owner) > 0:
			m, kind = owner[r.intn(len(owner))], []string{"open", "click", "delivered"}[r.intn(3)]
		case f < 0.30:
			m, kind = content[r.intn(len(content))], "delivered"
		case f < 0.62:
			m, kind = content[r.intn(len(content))], "open"
		case f < 0.66:
			m, kind = content[r.intn(len(content))], "machine-open"
		case f < 0.72:
			m, kind = content[r.intn(len(content))], "click"
		case f < 0.82:
			m, kind = content[r.intn(len(content))], "own-click"
		case f < 0.90:
			m, kind = content[r.intn(len(content))], "processed"
		case f < 0.96:
			m, kind = content[r.intn(len(content))], "deferred"
		default:
			m, kind = content[r.intn(len(content))], "blocked"
		}
		ev := r.stormEvent(m, kind, "cs")
		events = append(events, ev)
		if (kind == "open" || kind == "click") && m.CustomArgs["ripen_handoff"] == "" {
			facts.Engagements["sg-"+ev.id] = m.CustomArgs["ripen_run"]
		}
	}
	facts.Unique = len(events)

	// Copies within the stream: half the repeats; reposts make the rest.
	stream := append([]stormEvent(nil), events...)
	copies := (n - unique) / 2
	for i := 0; i < copies; i++ {
		stream = append(stream, events[r.intn(len(events))])
	}
	r.rngMu.Lock()
	r.rng.Shuffle(len(stream), func(i, j int) { stream[i], stream[j] = stream[j], stream[i] })
	r.rngMu.Unlock()
	repostBudget := n - len(stream)
	facts.Duplicates = copies

	var batches [][]stormEvent
	for len(stream) > 0 {
		size := 1 + r.intn(100)
		if size > len(stream) {
			size = len(stream)
		}
		batches = append(batches, stream[:size])
		stream = stream[size:]
	}
	r.progress("webhook storm: %d events (%d distinct, %d copies) in %d batches, 4 posters", n, facts.Unique, copies, len(batches))

	var mu sync.Mutex
	posted := 0
	accepted := func(b []stormEvent) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range b {
			facts.Accepted[ev.id] = true
		}
	}
	work := make(chan []stormEvent)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				mu.Lock()
				facts.Batches++
				mu.Unlock()
				r.postUntilAccepted(ctx, b, 1, accepted)
				mu.Lock()
				posted += len(b)
				// SendGrid missed our answer: it posts the events again,
				// split differently.
				repost := len(b) <= repostBudget && r.float() < 0.5
				if repost {
					repostBudget -= len(b)
					facts.Reposts++
					facts.Duplicates += len(b)
				}
				mu.Unlock()
				if repost {
					cut := 1 + r.intn(max(1, len(b)))
					if cut >= len(b) {
						cut = len(b) / 2
					}
					for _, part := range [][]stormEvent{b[:cut], b[cut:]} {
						if len(part) > 0 {
							r.postUntilAccepted(ctx, part, 2, accepted)
							mu.Lock()
							posted += len(part)
							mu.Unlock()
						}
					}
				}
			}
		}()
	}
	for i, b := range batches {
		if ctx.Err() != nil {
			break
		}
		work <- b
		// Now and then a forged or replayed post between the real ones.
		if i%12 == 5 {
			r.postBad(ctx, content, facts.BadBatches, &facts, &mu)
		}
		if i%25 == 7 {
			r.replay(ctx, b, &facts, &mu)
		}
	}
	close(work)
	wg.Wait()
	for facts.BadBatches < len(badKinds) { // every kind of forgery at least once
		r.postBad(ctx, content, facts.BadBatches, &facts, &mu)
	}
	facts.Posted = posted
	facts.Took = time.Since(start)
	for _, ev := range events {
		if !facts.Accepted[ev.id] {
			facts.NotAccepted++
		}
	}
	r.rec.lock(func() { r.rec.storm = facts })
	r.rec.addFault(faultRecord{Kind: "webhook storm", Target: "api", At: start, Back: time.Now(),
		Detail: fmt.Sprintf("%d events posted (%d distinct, %d repeats), %d reposts split differently, %d replays, %d bad-signature batches",
			posted, facts.Unique, facts.Duplicates, facts.Reposts, facts.Replays, facts.BadBatches)})
	r.progress("webhook storm done in %s", facts.Took.Round(100*time.Millisecond))
}

// stormEvent builds one SendGrid event about message m, as SendGrid would
// post it: custom args as top-level keys. prefix marks the suite's event
// IDs ("cs" good, "bad" forged).
func (r *runner) stormEvent(m sendgridMessage, kind, prefix string) stormEvent {
	id := prefix + randomID(18)
	email := ""
	if len(m.To) > 0 {
		email = m.To[0]
	}
	ev := map[string]any{}
	for k, v := range m.CustomArgs {
		ev[k] = v
	}
	ev["email"] = email
	ev["timestamp"] = time.Now().Unix()
	ev["sg_event_id"] = id
	ev["sg_message_id"] = fmt.Sprintf("%s.filter0001.%05d.%08X.0", m.MessageID, r.intn(100000), time.Now().Unix())
	ev["smtp-id"] = "<" + m.MessageID + "@sendgrid-dev.local>"
	ev["event"] = kind
	switch kind {
	case "machine-open":
		ev["event"], ev["sg_machine_open"] = "open", true
	case "open":
		ev["sg_machine_open"] = false
		ev["useragent"] = "Mozilla/5.0 (chaos)"
	case "click":
		ev["url"] = "https://example.com/chaos/elsewhere"
	case "own-click":
		ev["event"] = "click"
		if rs := r.links(m, "/r/"); len(rs) > 0 {
			ev["url"] = r.st.apiURL + rs[0]
		} else {
			ev["url"] = r.st.apiURL + "/r/unknown"
		}
	case "bounce":
		ev["type"], ev["status"], ev["reason"] = "bounce", "5.1.1", "550 5.1.1 user unknown (chaos)"
	case "blocked":
		ev["event"], ev["type"], ev["status"], ev["reason"] = "bounce", "blocked", "4.7.0", "421 try later (chaos)"
	case "deferred":
		ev["response"], ev["attempt"] = "451 4.7.1 try again later", "1"
	}
	return stormEvent{id: id, body: ev}
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func encodeBatch(b []stormEvent) []byte {
	bodies := make([]map[string]any, len(b))
	for i, ev := range b {
		bodies[i] = ev.body
	}
	body, _ := json.Marshal(bodies)
	return append(body, '\r', '\n')
}

// postUntilAccepted posts a batch, signed, until the API answers 2xx; a
// failed batch is posted again split in two at a random point, as SendGrid
// retries do not keep batch boundaries. accepted hears of every part that
// was answered 2xx.
func (r *runner) postUntilAccepted(ctx context.Context, b []stormEvent, attempt int, accepted func([]stormEvent)) {
	for tries := 0; ctx.Err() == nil && tries < 20; tries++ {
		status := r.postSigned(ctx, b, attempt+tries)
		if status >= 200 && status < 300 {
			accepted(b)
			return
		}
		sleep(ctx, time.Duration(tries+1)*time.Second)
		if len(b) > 1 && (status >= 500 || status == 0) {
			cut := 1 + r.intn(len(b)-1)
			r.postUntilAccepted(ctx, b[:cut], attempt+1, accepted)
			b = b[cut:]
		}
	}
}

// postSigned posts a batch once, signed now as SendGrid signs, records it
// and returns the status (0: no answer).
func (r *runner) postSigned(ctx context.Context, b []stormEvent, attempt int) int {
	body := encodeBatch(b)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig, _ := r.st.signer.Sign(ts, body)
	resp, err := r.st.http.do(ctx, request{Method: "POST", Path: "/webhooks/sendgrid", Route: "POST /webhooks/sendgrid", Body: body,
		Type: "application/json", Header: map[string]string{sendgrid.SignatureHeader: sig, sendgrid.TimestampHeader: ts, "User-Agent": "SendGrid Event API"}})
	status := resp.Status
	if err != nil {
		status = 0
	}
	ids := make([]string, len(b))
	for i, ev := range b {
		ids[i] = ev.id
	}
	r.rec.lock(func() {
		r.rec.batches = append(r.rec.batches, batchAck{EventIDs: ids, Status: status, Attempt: attempt, At: time.Now()})
	})
	return status
}

// unsubscribeViaSendGrid is a contact who unsubscribes (or reports spam, or
// whose address bounces) at SendGrid: SendGrid posts the event to the
// webhook, and once more a little later, as it does when it missed the
// answer.
func (r *runner) unsubscribeViaSendGrid(ctx context.Context, c *customer, ct *contact, at time.Duration, kind string) {
	if !r.at(ctx, at) {
		return
	}
	m, ok := r.latestMessage(ctx, ct)
	if !ok {
		r.progress("unsubscribe %s through SendGrid: no email arrived", ct.ID)
		return
	}
	ev := r.stormEvent(m, kind, "cs")
	start := time.Now()
	status := 0
	r.postUntilAccepted(ctx, []stormEvent{ev}, 1, func([]stormEvent) { status = 200 })
	end := time.Now()
	r.rec.lock(func() {
		r.rec.unsubs = append(r.rec.unsubs, unsubAck{Customer: c.ID, Contact: ct.ID, Email: ct.Email, Via: "webhook " + kind,
			EventID: ev.id, Start: start, End: end, Status: status})
	})
	if sleep(ctx, r.between(time.Second, 5*time.Second)) {
		r.postSigned(ctx, []stormEvent{ev, r.stormEvent(m, "delivered", "cs")}, 2)
	}
}

// replay posts an accepted batch again byte for byte, with its signature: a
// replay within the signature's tolerance must count nothing twice.
func (r *runner) replay(ctx context.Context, b []stormEvent, facts *stormFacts, mu *sync.Mutex) {
	if len(b) == 0 {
		return
	}
	body := encodeBatch(b)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig, _ := r.st.signer.Sign(ts, body)
	for i := 0; i < 2; i++ {
		resp, err := r.st.http.do(ctx, request{Method: "POST", Path: "/webhooks/sendgrid", Route: "POST /webhooks/sendgrid", Body: body,
			Type: "application/json", Header: map[string]string{sendgrid.SignatureHeader: sig, sendgrid.TimestampHeader: ts}})
		if err != nil {
			return
		}
		ids := make([]string, len(b))
		for j, ev := range b {
			ids[j] = ev.id
		}
		mu.Lock()
		if resp.ok() {
			for _, id := range ids {
				facts.Accepted[id] = true
			}
		}
		if i == 1 {
			facts.Replays++
			facts.Duplicates += len(b)
		}
		mu.Unlock()
		r.rec.lock(func() {
			r.rec.batches = append(r.rec.batches, batchAck{EventIDs: ids, Status: resp.Status, Attempt: 1 + i, At: time.Now()})
		})
	}
}

// badKinds are the forgeries: another key, a body changed after signing, a
// stale signature (a replay from four days ago), no signature, and a
// timestamp that is not the signed one.
var badKinds = []string{"other-key", "tampered-body", "stale", "unsigned", "wrong-timestamp"}

// postBad posts a batch with a bad signature whose events, were they
// taken, would suppress contacts that never unsubscribe and count
// engagement: none of it may happen.
func (r *runner) postBad(ctx context.Context, content []sendgridMessage, v int, facts *stormFacts, mu *sync.Mutex) {
	kind := badKinds[v%len(badKinds)]
	var b []stormEvent
	size := 2 + r.intn(10)
	for len(b) < size {
		m := content[r.intn(len(content))]
		ct := r.ix.contacts[m.CustomArgs["ripen_contact"]]
		if ct == nil || ct.Unsub != "" {
			continue
		}
		ev := r.stormEvent(m, []string{"unsubscribe", "spamreport", "bounce", "open", "click"}[r.intn(5)], "bad")
		b = append(b, ev)
	}
	body := encodeBatch(b)
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	headers := map[string]string{}
	switch kind {
	case "other-key":
		other, _ := sendgrid.NewSigner()
		sig, _ := other.Sign(ts, body)
		headers[sendgrid.SignatureHeader], headers[sendgrid.TimestampHeader] = sig, ts
	case "tampered-body":
		sig, _ := r.st.signer.Sign(ts, body)
		headers[sendgrid.SignatureHeader], headers[sendgrid.TimestampHeader] = sig, ts
		body = bytes.Replace(body, []byte(`"event":"open"`), []byte(`"event":"spamreport"`), 1)
		body = append(bytes.TrimRight(body, "\r\n"), ' ', '\r', '\n')
	case "stale":
		old := strconv.FormatInt(now.Add(-96*time.Hour).Unix(), 10)
		sig, _ := r.st.signer.Sign(old, body)
		headers[sendgrid.SignatureHeader], headers[sendgrid.TimestampHeader] = sig, old
	case "unsigned":
	case "wrong-timestamp":
		sig, _ := r.st.signer.Sign(ts, body)
		headers[sendgrid.SignatureHeader], headers[sendgrid.TimestampHeader] = sig, strconv.FormatInt(now.Unix()-1, 10)
	}
	resp, err := r.st.http.do(ctx, request{Method: "POST", Path: "/webhooks/sendgrid", Route: "POST /webhooks/sendgrid (bad signature)",
		Body: body, Type: "application/json", Header: headers})
	status := 0
	if err == nil {
		status = resp.Status
	}
	ids := make([]string, len(b))
	mu.Lock()
	for i, ev := range b {
		ids[i] = ev.id
		facts.BadIDs = append(facts.BadIDs, ev.id)
		if e, _ := ev.body["email"].(string); e != "" {
			facts.BadEmails[strings.ToLower(e)] = true
		}
	}
	facts.BadBatches++
	facts.BadEvents += len(b)
	mu.Unlock()
	r.rec.lock(func() {
		r.rec.batches = append(r.rec.batches, batchAck{EventIDs: ids, Bad: kind, Status: status, Attempt: 1, At: time.Now()})
	})
}
