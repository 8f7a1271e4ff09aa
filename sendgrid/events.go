package sendgrid

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Event is one Event Webhook event. SendGrid posts a JSON array of them.
type Event struct {
	SGEventID   string // unique per event; deduplicate by it
	SGMessageID string // X-Message-Id + ".filter..." per recipient; see MessageID
	Event       string // processed, delivered, deferred, dropped, bounce, open, click, spamreport, unsubscribe, group_unsubscribe, group_resubscribe
	Email       string
	// Type is "bounce" (hard) or "blocked" (soft) on bounce events.
	Type                 string
	BounceClassification string
	Reason               string
	Status               string // SMTP status on bounces, e.g. "5.1.1"
	URL                  string // the clicked link on click events
	Timestamp            int64  // unix seconds
	Categories           []string
	// MachineOpen is SendGrid's sg_machine_open: the open came from a
	// privacy proxy (e.g. Apple Mail Privacy Protection), not a person.
	MachineOpen bool
	ASMGroupID  int
	// CustomArgs are the message's custom_args, which SendGrid spreads as
	// top-level keys of each event: every string-valued key that is not one
	// of SendGrid's own fields, plus a nested "unique_args" or "custom_args"
	// object from older webhook versions.
	CustomArgs map[string]string
}

// MessageID returns the X-Message-Id that Client.Send returned for the
// message this event belongs to: sg_message_id up to ".filter" (or the first
// "." of "recvd-" style IDs).
func (e Event) MessageID() string {
	id := e.SGMessageID
	if i := strings.Index(id, ".filter"); i >= 0 {
		return id[:i]
	}
	if i := strings.Index(id, ".recvd-"); i >= 0 {
		return id[:i]
	}
	return id
}

// sendgridFields are SendGrid's own top-level event keys; any other
// string-valued key is a custom arg.
var sendgridFields = map[string]bool{
	"email": true, "timestamp": true, "event": true, "sg_event_id": true,
	"sg_message_id": true, "smtp-id": true, "category": true, "type": true,
	"bounce_classification": true, "reason": true, "status": true,
	"response": true, "attempt": true, "url": true, "url_offset": true,
	"useragent": true, "ip": true, "tls": true, "cert_err": true,
	"asm_group_id": true, "sg_machine_open": true, "sg_content_type": true,
	"sg_template_id": true, "sg_template_name": true, "sg_user_id": true,
	"marketing_campaign_id": true, "marketing_campaign_name": true,
	"marketing_campaign_version": true, "marketing_campaign_split_id": true,
	"singlesend_id": true, "singlesend_name": true, "template_id": true,
	"template_name": true, "template_version_id": true, "post_type": true,
	"send_at": true, "pool": true, "newsletter": true, "mc_stats": true,
	"phase_id": true, "unique_args": true, "custom_args": true,
}

// ParseEvents decodes an Event Webhook body: a JSON array of event objects.
// It fails on anything else, and on SendGrid fields of the wrong type; it
// never panics.
func ParseEvents(raw []byte) ([]Event, error) {
	var objects []map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&objects); err != nil {
		return nil, fmt.Errorf("parse sendgrid events: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("parse sendgrid events: data after the array")
	}
	if objects == nil {
		return nil, errors.New("parse sendgrid events: not an array of events")
	}
	events := make([]Event, 0, len(objects))
	for i, obj := range objects {
		if obj == nil {
			return nil, fmt.Errorf("parse sendgrid events: event %d: not an object", i)
		}
		ev, err := parseEvent(obj)
		if err != nil {
			return nil, fmt.Errorf("parse sendgrid events: event %d: %w", i, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

func parseEvent(obj map[string]json.RawMessage) (Event, error) {
	var ev Event
	strs := []struct {
		key string
		dst *string
	}{
		{"sg_event_id", &ev.SGEventID}, {"sg_message_id", &ev.SGMessageID},
		{"event", &ev.Event}, {"email", &ev.Email}, {"type", &ev.Type},
		{"bounce_classification", &ev.BounceClassification},
		{"reason", &ev.Reason}, {"status", &ev.Status}, {"url", &ev.URL},
	}
	for _, f := range strs {
		if raw, ok := obj[f.key]; ok {
			s, err := stringValue(raw)
			if err != nil {
				return Event{}, fmt.Errorf("field %q: %w", f.key, err)
			}
			*f.dst = s
		}
	}
	if raw, ok := obj["timestamp"]; ok {
		ts, err := intValue(raw)
		if err != nil {
			return Event{}, fmt.Errorf("field %q: %w", "timestamp", err)
		}
		ev.Timestamp = ts
	}
	if raw, ok := obj["asm_group_id"]; ok {
		id, err := intValue(raw)
		if err != nil || id < math.MinInt32 || id > math.MaxInt32 {
			return Event{}, fmt.Errorf("field %q: not a group ID", "asm_group_id")
		}
		ev.ASMGroupID = int(id)
	}
	if raw, ok := obj["category"]; ok {
		cats, err := categories(raw)
		if err != nil {
			return Event{}, fmt.Errorf("field %q: %w", "category", err)
		}
		ev.Categories = cats
	}
	if raw, ok := obj["sg_machine_open"]; ok {
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			ev.MachineOpen = b
		}
	}

	for _, nested := range []string{"unique_args", "custom_args"} {
		raw, ok := obj[nested]
		if !ok {
			continue
		}
		var args map[string]json.RawMessage
		if json.Unmarshal(raw, &args) != nil {
			continue
		}
		for k, v := range args {
			var s string
			if json.Unmarshal(v, &s) == nil {
				ev.setCustomArg(k, s)
			}
		}
	}
	// Top-level keys win over nested ones: they are what SendGrid sends now.
	for k, v := range obj {
		if sendgridFields[k] {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			ev.setCustomArg(k, s)
		}
	}
	return ev, nil
}

func (e *Event) setCustomArg(k, v string) {
	if e.CustomArgs == nil {
		e.CustomArgs = make(map[string]string)
	}
	e.CustomArgs[k] = v
}

// stringValue decodes a JSON string; null is "".
func stringValue(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errors.New("not a string")
	}
	return s, nil
}

// intValue decodes a JSON number (or a string of digits) to int64; null is 0.
func intValue(raw json.RawMessage) (int64, error) {
	if isNull(raw) {
		return 0, nil
	}
	text := strings.TrimSpace(string(raw))
	var quoted string
	if json.Unmarshal(raw, &quoted) == nil {
		text = quoted
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64 {
		return 0, errors.New("not a number")
	}
	return int64(f), nil
}

// categories decodes SendGrid's category: a string or an array of strings.
func categories(raw json.RawMessage) ([]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, errors.New("not a string or an array of strings")
	}
	return many, nil
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}
