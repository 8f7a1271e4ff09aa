package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ripen/ripen/store"
)

// Message is one event as a webhook receives it.
type Message struct {
	// ID is the webhook-id: the same on every attempt of the delivery.
	ID         string
	Type       string
	OccurredAt time.Time
	// Data is the event's data (IDs, outcome, notes); the hand-off page
	// is added to it as handoff_url when known.
	Data map[string]any
	// Customer is the customer's name for people (Slack), if known.
	Customer string
	// HandoffURL and RunURL are links for people: the hand-off page, the
	// run in the Temporal Web UI ("" when none). The run's link, to an
	// operators' tool, goes only into Slack's button.
	HandoffURL string
	RunURL     string
}

// standardBody is the Standard Webhooks payload.
type standardBody struct {
	Type      string         `json:"type"`
	Timestamp string         `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// Body is what a delivery posts for m in format: the Standard Webhooks
// payload ({"type", "timestamp", "data"}), or a Slack incoming-webhook
// message whose button opens the hand-off page (or the run).
func Body(format string, m Message) ([]byte, error) {
	data := make(map[string]any, len(m.Data)+2)
	for k, v := range m.Data {
		data[k] = v
	}
	if m.HandoffURL != "" {
		data["handoff_url"] = m.HandoffURL
	}
	var v any = standardBody{Type: m.Type, Timestamp: m.OccurredAt.UTC().Format(time.RFC3339), Data: data}
	if format == store.WebhookFormatSlack {
		v = slackMessage(m)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode the %s body of %s: %w", format, m.ID, err)
	}
	return b, nil
}

// slackMessage is a Slack Block Kit message: text (shown in notifications),
// a section, and a button to the hand-off page (or the run) when there is
// a link.
func slackMessage(m Message) map[string]any {
	text := Summary(m)
	blocks := []any{map[string]any{
		"type": "section",
		"text": map[string]any{"type": "mrkdwn", "text": slackEscape(text)},
	}}
	link, label := m.HandoffURL, "Open the hand-off"
	if link == "" {
		link, label = m.RunURL, "Open the run"
	}
	if link != "" {
		blocks = append(blocks, map[string]any{
			"type": "actions",
			"elements": []any{map[string]any{
				"type": "button", "text": map[string]any{"type": "plain_text", "text": label},
				"url": link, "style": "primary", "action_id": "open",
			}},
		})
	}
	return map[string]any{"text": text, "blocks": blocks}
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning to.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Summary is one line for people about the event.
func Summary(m Message) string {
	str := func(k string) string { s, _ := m.Data[k].(string); return s }
	who := m.Customer
	if who == "" {
		who = str("customer_id")
	}
	var b strings.Builder
	switch m.Type {
	case store.OutboundHandoffCreated:
		fmt.Fprintf(&b, "Hand-off: %s is ready for sales", who)
		if offer := str("offer"); offer != "" {
			fmt.Fprintf(&b, " (asked for %s)", offer)
		} else if r := str("reason"); r != "" {
			fmt.Fprintf(&b, " (%s)", r)
		}
		if owner := str("owner_id"); owner != "" {
			fmt.Fprintf(&b, ", owner %s", owner)
		}
	case store.OutboundHandoffAnswered:
		fmt.Fprintf(&b, "Hand-off for %s answered: %s", who, str("outcome"))
		if n := str("feedback_note"); n != "" {
			fmt.Fprintf(&b, " (%q)", n)
		}
	case store.OutboundRunStarted:
		fmt.Fprintf(&b, "%s entered journey %s", who, str("journey_id"))
		if evs, _ := m.Data["enrolled_by"].([]any); len(evs) > 0 {
			fmt.Fprintf(&b, ", enrolled by %d events", len(evs))
		}
	case store.OutboundRunEnded:
		end := str("outcome")
		if end == "" {
			end = str("status")
		}
		fmt.Fprintf(&b, "%s left journey %s: %s", who, str("journey_id"), end)
	case store.OutboundFastLaneRequested:
		fmt.Fprintf(&b, "%s asks for sales: %s", who, str("offer"))
	default:
		fmt.Fprintf(&b, "%s: %s", m.Type, who)
	}
	if m.Type == store.OutboundHandoffCreated || m.Type == store.OutboundFastLaneRequested {
		if n := str("note"); n != "" {
			fmt.Fprintf(&b, ": %q", n)
		}
	}
	return b.String()
}

// Attempt is how one post went: the receiver's status (0 when none came)
// or the error, and how long it took.
type Attempt struct {
	StatusCode int
	Duration   time.Duration
	Err        error
}

// Delivered reports a 2xx answer.
func (a Attempt) Delivered() bool { return a.Err == nil && a.StatusCode >= 200 && a.StatusCode < 300 }

// maxAnswer bounds what is read of the receiver's answer: enough to reuse
// the connection for a well-behaved one, and no more of a hostile one.
const maxAnswer = 64 << 10

// Post posts body to url, signed with secret under message ID id at now
// (Standard Webhooks headers), with client (Guard.Client).
func Post(ctx context.Context, client *http.Client, url, secret, id string, body []byte, now time.Time) Attempt {
	start := time.Now()
	sig, err := Sign(secret, id, now, body)
	if err != nil {
		return Attempt{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Attempt{Err: fmt.Errorf("build the request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ripen-webhooks/1")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := client.Do(req)
	if err != nil {
		return Attempt{Duration: time.Since(start), Err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	_ = resp.Body.Close()
	return Attempt{StatusCode: resp.StatusCode, Duration: time.Since(start)}
}
