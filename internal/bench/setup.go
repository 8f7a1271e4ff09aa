package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ripen/ripen/journey"
)

// The benchmark's journeys.
const (
	nurtureJourney = "bench-nurture" // enrolment, fast lane, events
	yearJourney    = "bench-year"    // a year of weekly emails
	sleepJourney   = "bench-sleep"   // the scale figure: runs asleep in a long wait
	benchTopic     = "bench"
	visitPoints    = 5
)

// nurtureYAML sends a welcome and waits a year; events only move the score
// (the threshold is out of reach), a fast lane hands off.
const nurtureYAML = `id: bench-nurture
name: "Benchmark: welcome, then a long wait"
offer: {kind: upsell, product: bench-suite}
persona: bench-buyer
scoring: {points: {open: 1, click: 10, visit: 5, download: 15}, half_life: 30d}
mqn: {threshold: 1000000, fast_lane: [demo, consultation]}
handoff: {sla: 2d, recycle_after: 60d, max_recycles: 2}
steps:
  - {id: welcome, send: bench-welcome}
  - {id: rest, wait: 52w}
`

// sleepYAML waits first: the scale figure is about runs asleep, not mail.
const sleepYAML = `id: bench-sleep
name: "Benchmark: asleep for a year"
offer: {kind: cross-sell, product: bench-suite}
persona: bench-buyer
scoring: {points: {open: 1, click: 10, visit: 5}, half_life: 30d}
mqn: {threshold: 1000000, fast_lane: [demo]}
handoff: {sla: 2d, recycle_after: 60d, max_recycles: 2}
steps:
  - {id: nap, wait: 52w}
  - {id: hello, send: bench-welcome}
`

// yearYAML is a year of weekly emails with a week of one second: each week
// is its own step, since a step is sent once per cycle.
func yearYAML(weeks int) string {
	var b strings.Builder
	b.WriteString(`id: bench-year
name: "Benchmark: a year of weekly emails, a week a second"
offer: {kind: cross-sell, product: bench-suite}
persona: bench-buyer
scoring: {points: {open: 1, click: 10, visit: 5}, half_life: 30d}
mqn: {threshold: 1000000, fast_lane: [demo]}
handoff: {sla: 2d, recycle_after: 60d, max_recycles: 2}
steps:
`)
	for w := 1; w <= weeks; w++ {
		fmt.Fprintf(&b, "  - {id: w%02d, send: bench-digest}\n  - {id: w%02d-wait, wait: 1s}\n", w, w)
	}
	b.WriteString("  - {id: rest, wait: 52w}\n")
	return b.String()
}

func content(id, subject string) map[string]any {
	return map[string]any{
		"title": subject, "topic": benchTopic, "stage": "awareness", "personas": []string{"bench-buyer"},
		"url": "https://example.com/" + id,
		"email": map[string]any{
			"subject": "{{.Contact.FirstName}}, " + subject,
			"html":    `<p>Hello {{.Contact.FirstName}},</p><p><a href="{{.Content.URL}}">` + subject + `</a></p>`,
			"text":    "{{.Content.URL}}",
		},
	}
}

// customer is a benchmark customer with one English-speaking contact and
// one of ten account owners.
func customer(id string, i int) map[string]any {
	rep := fmt.Sprintf("bench-rep-%02d", i%10)
	return map[string]any{
		"name": "Customer " + id, "persona": "bench-buyer",
		"owner": map[string]any{"id": rep, "name": "Rep " + rep[len(rep)-2:], "email": rep + "@seller.example"},
		"contacts": []map[string]any{{
			"id": id + "-c", "email": contactEmail(id), "first_name": "Pat", "last_name": "Bench",
			"timezone": "UTC", "locale": "en",
		}},
	}
}

func contactEmail(customerID string) string { return customerID + "@buyer.example" }

func ownerEmail(ownerID string) string { return ownerID + "@seller.example" }

// putCustomers creates customers prefix-00001… through the API.
func (b *bench) putCustomers(ctx context.Context, prefix string, n int) ([]string, error) {
	ids := make([]string, n)
	paths := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%06d", prefix, i+1)
		paths[i] = "/v1/customers/" + ids[i]
	}
	err := b.api.putAll(ctx, b.cfg.Clients, paths, func(i int) any { return customer(ids[i], i) })
	return ids, err
}

// publish PUTs a journey and returns the published definition.
func (b *bench) publish(ctx context.Context, yaml string) (*journey.Definition, error) {
	var view struct {
		Version    int             `json:"version"`
		Definition json.RawMessage `json:"definition"`
	}
	id := strings.TrimPrefix(strings.SplitN(yaml, "\n", 2)[0], "id: ")
	if err := b.api.call(ctx, "PUT", "/v1/journeys/"+id, yaml, &view); err != nil {
		return nil, err
	}
	var def journey.Definition
	if err := json.Unmarshal(view.Definition, &def); err != nil {
		return nil, fmt.Errorf("journey %s as published: %w", id, err)
	}
	def.Version = view.Version
	return &def, nil
}

// setUp publishes the persona, content and the nurture journey, and creates
// the enrolment's customers, all through the API.
func (b *bench) setUp(ctx context.Context) error {
	b.progress("setup: persona, content, journey %s and %d customers through the API", nurtureJourney, b.cfg.Customers)
	if err := b.api.call(ctx, "PUT", "/v1/products/bench-suite", map[string]any{"name": "Benchmark Suite"}, nil); err != nil {
		return err
	}
	if err := b.api.call(ctx, "PUT", "/v1/personas/bench-buyer", map[string]any{
		"name": "Benchmark buyer", "pains": []string{"slow answers"}, "goals": []string{"fast answers"}, "topics": []string{benchTopic},
	}, nil); err != nil {
		return err
	}
	for id, subject := range map[string]string{"bench-welcome": "welcome to the benchmark", "bench-digest": "this week's digest"} {
		if err := b.api.call(ctx, "PUT", "/v1/content/"+id, content(id, subject), nil); err != nil {
			return err
		}
	}
	// Only this journey is published now: /v1/events routes each event to
	// every published journey, so the others come after the event phase.
	if _, err := b.publish(ctx, nurtureYAML); err != nil {
		return err
	}
	start := time.Now()
	ids, err := b.putCustomers(ctx, "n", b.cfg.Customers)
	if err != nil {
		return err
	}
	b.nurture, b.points = ids, make([]float64, len(ids))
	b.progress("setup: %d customers in %.1fs", len(ids), time.Since(start).Seconds())
	return nil
}
