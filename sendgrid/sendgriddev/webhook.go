package sendgriddev

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"
)

// EventTypes are the webhook events POST /api/messages/{id}/events makes.
var EventTypes = []string{
	"processed", "delivered", "deferred", "dropped", "bounce", "open", "click",
	"spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe",
}

// userAgent is the recipient's browser in simulated events and clicks.
const userAgent = "Mozilla/5.0 (ripen sendgrid-dev)"

const (
	maxBatch              = 100 // events per webhook post
	deliveredAttempts     = 5
	simulatedAttempts     = 3
	firstRetryBackoff     = 200 * time.Millisecond
	maxEventRequestLength = 64 << 10
)

// EventRequest asks for one webhook event about a stored message; it is the
// body of POST /api/messages/{id}/events (JSON, or a form with these names).
type EventRequest struct {
	Type string `json:"type"`
	// URL is the clicked link (click); empty means the message's first link.
	URL string `json:"url,omitempty"`
	// Email is the recipient; empty means the first one.
	Email string `json:"email,omitempty"`
	// Reason, BounceType ("bounce" hard, "blocked" soft) and
	// BounceClassification override the defaults of bounce and dropped.
	Reason               string `json:"reason,omitempty"`
	BounceType           string `json:"bounce_type,omitempty"`
	BounceClassification string `json:"bounce_classification,omitempty"`
}

// delivery is a batch of events for the webhook and the messages they
// belong to.
type delivery struct {
	due    time.Time // not posted before
	events []map[string]any
	refs   []eventRef
}

type eventRef struct{ messageID, sgEventID string }

func (d *delivery) add(messageID string, ev map[string]any, rec WebhookEvent) {
	d.events = append(d.events, ev)
	d.refs = append(d.refs, eventRef{messageID, rec.SGEventID})
}

func (d *delivery) append(other delivery) {
	d.events = append(d.events, other.events...)
	d.refs = append(d.refs, other.refs...)
}

// makeEvent builds one SendGrid event object about msg for rc and records it
// on the message.
func (s *Server) makeEvent(msg Message, rc recipient, req EventRequest, now time.Time) (map[string]any, WebhookEvent) {
	id := randomID(24)
	ev := eventPayload(msg, rc, req, now, id)
	rec := WebhookEvent{
		Event:     req.Type,
		SGEventID: id,
		Email:     rc.email,
		URL:       req.URL,
		At:        now.UTC(),
	}
	s.store.addEvent(msg.MessageID, rec)
	return ev, rec
}

// eventPayload builds the SendGrid event object with ID sgEventID about msg
// for rc.
func eventPayload(msg Message, rc recipient, req EventRequest, now time.Time, sgEventID string) map[string]any {
	ev := make(map[string]any, len(rc.customArgs)+12)
	// SendGrid spreads custom args as top-level keys; its own fields win.
	for k, v := range rc.customArgs {
		ev[k] = v
	}
	ev["email"] = rc.email
	ev["timestamp"] = now.Unix()
	ev["event"] = req.Type
	ev["sg_event_id"] = sgEventID
	ev["sg_message_id"] = rc.sgMessageID
	ev["smtp-id"] = "<" + msg.MessageID + "@sendgrid-dev.local>"
	if len(msg.Categories) > 0 {
		ev["category"] = msg.Categories
	}
	if msg.ASMGroupID != 0 {
		ev["asm_group_id"] = msg.ASMGroupID
	}
	switch req.Type {
	case "delivered":
		ev["response"] = "250 OK"
		ev["ip"] = "127.0.0.1"
		ev["tls"] = 1
	case "deferred":
		ev["response"] = orDefault(req.Reason, "451 4.7.1 Please try again later")
		ev["attempt"] = "1"
	case "open":
		ev["useragent"] = userAgent
		ev["ip"] = "127.0.0.1"
		ev["sg_machine_open"] = false
	case "click":
		ev["url"] = req.URL
		ev["url_offset"] = map[string]any{"index": 0, "type": "html"}
		ev["useragent"] = userAgent
		ev["ip"] = "127.0.0.1"
	case "bounce":
		typ := orDefault(req.BounceType, "bounce")
		ev["type"] = typ
		if typ == "blocked" {
			ev["bounce_classification"] = orDefault(req.BounceClassification, "Reputation")
			ev["reason"] = orDefault(req.Reason, "421 4.7.0 Temporarily rate limited due to IP reputation")
			ev["status"] = "4.7.0"
		} else {
			ev["bounce_classification"] = orDefault(req.BounceClassification, "Invalid Address")
			ev["reason"] = orDefault(req.Reason, "550 5.1.1 The email account that you tried to reach does not exist.")
			ev["status"] = "5.1.1"
		}
	case "dropped":
		ev["reason"] = orDefault(req.Reason, "Bounced Address")
	case "group_unsubscribe", "group_resubscribe":
		ev["useragent"] = userAgent
		ev["ip"] = "127.0.0.1"
	}
	return ev
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// enqueueDelivered queues a delivered event per recipient without waiting.
func (s *Server) enqueueDelivered(st *stored) {
	if s.opts.WebhookURL == "" || s.ctx.Err() != nil {
		return
	}
	now := time.Now()
	d := delivery{due: now.Add(s.opts.DeliveredDelay)}
	for _, rc := range st.recipients {
		ev, rec := s.makeEvent(st.msg, rc, EventRequest{Type: "delivered"}, now)
		d.add(st.msg.MessageID, ev, rec)
	}
	select {
	case s.queue <- d:
	default:
		err := errors.New("webhook queue full: event dropped")
		for _, ref := range d.refs {
			s.store.markEvent(ref.messageID, ref.sgEventID, err)
		}
		s.log.Warn().Str("message_id", st.msg.MessageID).Msg("webhook queue full: delivered event dropped")
	}
}

// deliverLoop posts queued events in batches, each once it is due, until
// Close.
func (s *Server) deliverLoop() {
	defer s.wg.Done()
	var next *delivery // taken from the queue but not due yet
	for {
		var batch delivery
		if next != nil {
			batch, next = *next, nil
		} else {
			select {
			case <-s.ctx.Done():
				return
			case batch = <-s.queue:
			}
		}
		if !s.sleepUntil(batch.due) {
			return
		}
	gather:
		for len(batch.events) < maxBatch {
			select {
			case more := <-s.queue:
				if time.Now().Before(more.due) {
					next = &more
					break gather
				}
				batch.append(more)
			default:
				break gather
			}
		}
		err := s.post(s.ctx, batch.events, deliveredAttempts)
		if err != nil && s.ctx.Err() != nil {
			// Closing, not a failure of the webhook: the events stay
			// pending, and a server on the same inbox file posts them.
			return
		}
		for _, ref := range batch.refs {
			s.store.markEvent(ref.messageID, ref.sgEventID, err)
		}
		if err != nil && s.ctx.Err() == nil {
			s.log.Error().Err(err).Int("events", len(batch.events)).Msg("webhook post failed; events dropped")
		}
	}
}

// sleepUntil waits for t; it reports false if the server closed first.
func (s *Server) sleepUntil(t time.Time) bool {
	wait := time.Until(t)
	if wait <= 0 {
		return s.ctx.Err() == nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// post sends events to the webhook as one signed batch, retrying with
// backoff up to attempts times.
func (s *Server) post(ctx context.Context, events []map[string]any, attempts int) error {
	body, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("encode events: %w", err)
	}
	// SendGrid's posts end in CRLF; the signature covers it, so receivers
	// must verify the raw body.
	body = append(body, '\r', '\n')
	backoff := firstRetryBackoff
	for attempt := 1; ; attempt++ {
		err = s.postOnce(ctx, body)
		if err == nil {
			return nil
		}
		if attempt >= attempts || ctx.Err() != nil {
			return fmt.Errorf("post webhook (%d attempts): %w", attempt, err)
		}
		s.log.Debug().Err(err).Int("attempt", attempt).Msg("webhook post failed; retrying")
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("post webhook (%d attempts): %w", attempt, err)
		}
		backoff *= 2
	}
}

func (s *Server) postOnce(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "SendGrid Event API")
	if err := s.signer.SignRequest(req, body, time.Now()); err != nil {
		return err
	}
	resp, err := s.webhook.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// handleMessageEvent makes one event about a stored message and posts it to
// the webhook before answering, so a test knows it has arrived.
func (s *Server) handleMessageEvent(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	isForm := isFormPost(r)
	fail := func(status int, msg string) {
		if isForm {
			http.Error(w, msg, status)
			return
		}
		writeErrors(w, status, apiError{Message: msg})
	}

	var req EventRequest
	r.Body = http.MaxBytesReader(w, r.Body, maxEventRequestLength)
	if isForm {
		if err := r.ParseForm(); err != nil {
			fail(http.StatusBadRequest, "bad form: "+err.Error())
			return
		}
		req = EventRequest{
			Type: r.PostForm.Get("type"), URL: r.PostForm.Get("url"), Email: r.PostForm.Get("email"),
			Reason: r.PostForm.Get("reason"), BounceType: r.PostForm.Get("bounce_type"),
			BounceClassification: r.PostForm.Get("bounce_classification"),
		}
	} else if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(http.StatusBadRequest, "Bad Request: "+err.Error())
		return
	}

	msg, recipients, ok := s.store.get(id)
	if !ok {
		fail(http.StatusNotFound, "message not found")
		return
	}
	if !slices.Contains(EventTypes, req.Type) {
		fail(http.StatusBadRequest, fmt.Sprintf("unknown event type %q", req.Type))
		return
	}
	rc := recipients[0]
	if req.Email != "" {
		i := slices.IndexFunc(recipients, func(rc recipient) bool { return rc.email == req.Email })
		if i < 0 {
			fail(http.StatusBadRequest, fmt.Sprintf("%s is not a recipient of this message", req.Email))
			return
		}
		rc = recipients[i]
	}
	if req.Type == "click" && req.URL == "" {
		links := VisibleLinks(msg.HTML)
		if len(links) == 0 {
			fail(http.StatusBadRequest, "click needs a url: the message has no links a reader sees")
			return
		}
		req.URL = links[0]
	}
	if s.opts.WebhookURL == "" {
		fail(http.StatusConflict, "no webhook URL configured")
		return
	}

	ev, rec := s.makeEvent(msg, rc, req, time.Now())
	err := s.post(r.Context(), []map[string]any{ev}, simulatedAttempts)
	s.store.markEvent(msg.MessageID, rec.SGEventID, err)
	if err != nil {
		s.log.Warn().Err(err).Str("message_id", id).Str("event", req.Type).Msg("simulated event not posted")
		fail(http.StatusBadGateway, err.Error())
		return
	}
	s.log.Info().Str("message_id", id).Str("event", req.Type).Msg("simulated event posted")
	answer := map[string]any{"event": ev}
	if req.Type == "click" {
		if opened := s.openClickedLink(r.Context(), req.URL); opened != nil {
			answer["opened"] = opened
		}
	}
	if isForm {
		http.Redirect(w, r, "/#m-"+id, http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// openedLink is what became of a simulated click's visit to the link.
type openedLink struct {
	URL      string `json:"url"`
	Status   int    `json:"status,omitempty"`
	Location string `json:"location,omitempty"`
	Error    string `json:"error,omitempty"`
}

// openClickedLink does what the recipient's browser does once SendGrid's
// click tracking has redirected it: it GETs the clicked link, so the app's
// own tracked links (which count the click themselves) see it. It does not
// follow the link's redirect (to the content, off the app), and it opens
// only links on the webhook URL's host, the app under test: the local server
// never fetches other sites. It returns nil when it did not open the link.
func (s *Server) openClickedLink(ctx context.Context, link string) *openedLink {
	if !s.onWebhookHost(link) {
		return nil
	}
	out := &openedLink{URL: link}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err == nil {
		req.Header.Set("User-Agent", userAgent)
		var resp *http.Response
		if resp, err = s.browser.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			out.Status, out.Location = resp.StatusCode, resp.Header.Get("Location")
		}
	}
	if err != nil {
		out.Error = err.Error()
		s.log.Warn().Err(err).Str("url", link).Msg("simulated click: link not opened")
		return out
	}
	s.log.Info().Str("url", link).Int("status", out.Status).Msg("simulated click: link opened")
	return out
}

// onWebhookHost reports whether link is an http(s) URL on the webhook URL's
// host and port.
func (s *Server) onWebhookHost(link string) bool {
	if s.opts.WebhookURL == "" {
		return false
	}
	hook, err := url.Parse(s.opts.WebhookURL)
	if err != nil {
		return false
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return u.Scheme == hook.Scheme && strings.EqualFold(u.Host, hook.Host)
}

func isFormPost(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

var hrefPattern = regexp.MustCompile(`(?i)<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)')`)

// VisibleLinks are the links of Links a reader can see and click: an
// anchor taken out of the tab order (tabindex="-1", as the hidden link that
// only mail scanners follow is) is left out.
func VisibleLinks(htmlBody string) []string {
	var links []string
	for _, tag := range anchorTag.FindAllString(htmlBody, -1) {
		if strings.Contains(tag, `tabindex="-1"`) {
			continue
		}
		links = append(links, Links(tag)...)
	}
	return links
}

var anchorTag = regexp.MustCompile(`(?i)<a\s[^>]*>`)

// Links returns the distinct link targets of an HTML body, in order.
func Links(htmlBody string) []string {
	var links []string
	for _, m := range hrefPattern.FindAllStringSubmatch(htmlBody, -1) {
		link := html.UnescapeString(m[1] + m[2])
		if link != "" && !slices.Contains(links, link) {
			links = append(links, link)
		}
	}
	return links
}
