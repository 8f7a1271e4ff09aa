package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"golang.org/x/sync/errgroup"
)

// journeyID is the journey every customer of the run is enrolled in.
const journeyID = "chaos-nurture"

// journeyYAML passes in seconds what a real journey passes in weeks: three
// emails with waits between them; a fast lane or four clicks hand the
// customer to sales, whose SLA runs out after 15 s (reminders); "not ready"
// cools down for 5 s and starts a second cycle, the last one.
const journeyYAML = `id: chaos-nurture
name: "Chaos: a nurture journey in seconds"
offer: {kind: upsell, product: chaos-suite}
persona: chaos-buyer
scoring: {points: {open: 1, click: 10, visit: 5, download: 15}, half_life: 30d}
mqn: {threshold: 40, fast_lane: [demo, consultation, price-indication]}
handoff: {sla: 15s, recycle_after: 5s, max_recycles: 1}
steps:
  - {id: welcome, send: chaos-welcome}
  - {id: wait-1, wait: 6s, until: click}
  - {id: case-study, send: chaos-case-study}
  - {id: wait-2, wait: 8s, until: fast_lane}
  - {id: offer, send: chaos-offer}
  - {id: wait-3, wait: 10s}
`

var contents = []struct{ id, subject string }{
	{"chaos-welcome", "welcome to the chaos suite"},
	{"chaos-case-study", "how Initech cut lead time by a third"},
	{"chaos-offer", "your upgrade, ready when you are"},
}

// Roles customers play in the run; each customer has one.
const (
	rolePlain    = "plain"     // nurtured, no action of their own
	roleFastLane = "fast-lane" // asks for sales through an email's fast-lane link (and the API)
	roleClicker  = "clicker"   // clicks tracked links until the score qualifies
	roleLooker   = "looker"    // only opens fast-lane and unsubscribe pages (GET): must change nothing
)

// customer is one customer of the run and what the suite will do with it.
type customer struct {
	ID       string
	Wave     int
	Role     string
	Contacts []contact
}

type contact struct {
	ID    string
	Email string
	// Unsub is how this contact unsubscribes ("" never): one-click POST,
	// the page's form, or at SendGrid (an event posted to the webhook).
	Unsub string
}

const (
	unsubOneClick = "one-click"
	unsubForm     = "form"
	unsubWebhook  = "webhook"
)

// population draws the customers: 30 % with two contacts; 15 % ask for
// sales through the fast lane, 15 % click their way to MQN, 5 % only look;
// 10 % of all contacts (never of fast-lane or looking customers, so that
// each invariant has a clean population) unsubscribe.
func population(rng *rand.Rand, n, waves int) []customer {
	cs := make([]customer, n)
	contacts := 0
	for i := range cs {
		c := &cs[i]
		c.ID = fmt.Sprintf("cust-%04d", i+1)
		c.Wave = i * waves / n
		switch r := rng.Float64(); {
		case r < 0.15:
			c.Role = roleFastLane
		case r < 0.30:
			c.Role = roleClicker
		case r < 0.35:
			c.Role = roleLooker
		default:
			c.Role = rolePlain
		}
		k := 1
		if rng.Float64() < 0.3 {
			k = 2
		}
		for j := 0; j < k; j++ {
			id := fmt.Sprintf("%s-c%d", c.ID, j+1)
			c.Contacts = append(c.Contacts, contact{ID: id, Email: id + "@chaos.example"})
		}
		contacts += k
	}
	// 10 % of all contacts unsubscribe, drawn from plain and clicking
	// customers.
	var eligible []*contact
	for i := range cs {
		if cs[i].Role == rolePlain || cs[i].Role == roleClicker {
			for j := range cs[i].Contacts {
				eligible = append(eligible, &cs[i].Contacts[j])
			}
		}
	}
	rng.Shuffle(len(eligible), func(i, j int) { eligible[i], eligible[j] = eligible[j], eligible[i] })
	want := (contacts + 5) / 10
	for i := 0; i < want && i < len(eligible); i++ {
		switch {
		case i%4 == 0:
			eligible[i].Unsub = unsubWebhook
		case i%4 == 1:
			eligible[i].Unsub = unsubForm
		default:
			eligible[i].Unsub = unsubOneClick
		}
	}
	return cs
}

// owners are the account owners the customers are spread over.
var owners = []string{"rep-ada", "rep-ben", "rep-cleo", "rep-dan", "rep-eva"}

// setUp puts the persona, content, customers and journey in place through
// the API, as marketing ops would.
func (r *runner) setUp(ctx context.Context) error {
	c, key := r.st.http, r.st.marketingKey
	put := func(ctx context.Context, path string, v any) error {
		route := "PUT " + path[:strings.LastIndex(path, "/")] + "/{id}"
		resp, err := c.retry(ctx, 5, func() (response, error) { return c.json(ctx, "PUT", path, route, key, v, nil) })
		if err != nil {
			return fmt.Errorf("PUT %s: %w", path, err)
		}
		if !resp.ok() {
			return fmt.Errorf("PUT %s: %d %s", path, resp.Status, truncate(string(resp.Body), 500))
		}
		return nil
	}
	if err := put(ctx, "/v1/products/chaos-suite", map[string]any{"name": "Chaos Suite"}); err != nil {
		return err
	}
	if err := put(ctx, "/v1/personas/chaos-buyer", map[string]any{
		"name": "Chaos buyer", "pains": []string{"flaky systems"}, "goals": []string{"sleep at night"}, "topics": []string{"reliability"},
	}); err != nil {
		return err
	}
	for _, ct := range contents {
		if err := put(ctx, "/v1/content/"+ct.id, map[string]any{
			"title": ct.subject, "topic": "reliability", "stage": "consideration", "personas": []string{"chaos-buyer"},
			"url": "https://example.com/chaos/" + ct.id,
			"email": map[string]any{
				"subject": "{{.Contact.FirstName}}, " + ct.subject,
				"html":    `<p>Hello {{.Contact.FirstName}},</p><p><a href="{{.Content.URL}}">Read it</a> or <a href="https://example.com/chaos/more">see more</a>.</p>`,
				"text":    "{{.Content.URL}}",
			},
		}); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, cu := range r.customers {
		g.Go(func() error {
			owner := owners[i%len(owners)]
			var cts []map[string]any
			for j, ct := range cu.Contacts {
				cts = append(cts, map[string]any{"id": ct.ID, "email": ct.Email, "first_name": fmt.Sprintf("Pat%d", j+1),
					"last_name": cu.ID, "timezone": "Europe/Berlin", "locale": "en"})
			}
			return put(gctx, "/v1/customers/"+cu.ID, map[string]any{
				"name": "Customer " + cu.ID, "persona": "chaos-buyer",
				"owner":    map[string]any{"id": owner, "name": "Rep " + owner, "email": owner + "@seller.example"},
				"contacts": cts,
			})
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	resp, err := c.do(ctx, request{Method: "PUT", Path: "/v1/journeys/" + journeyID, Route: "PUT /v1/journeys/{id}", Key: key,
		Body: []byte(journeyYAML), Type: "application/yaml"})
	if err != nil {
		return err
	}
	if !resp.ok() {
		return fmt.Errorf("publish journey: %d %s", resp.Status, truncate(string(resp.Body), 800))
	}
	return nil
}

// byID indexes customers and contacts.
type index struct {
	customers map[string]*customer
	contacts  map[string]*contact // by contact ID
	byEmail   map[string]*contact
	owner     map[string]string // contact ID → customer ID
}

func newIndex(cs []customer) *index {
	ix := &index{customers: map[string]*customer{}, contacts: map[string]*contact{}, byEmail: map[string]*contact{}, owner: map[string]string{}}
	for i := range cs {
		c := &cs[i]
		ix.customers[c.ID] = c
		for j := range c.Contacts {
			ct := &c.Contacts[j]
			ix.contacts[ct.ID] = ct
			ix.byEmail[ct.Email] = ct
			ix.owner[ct.ID] = c.ID
		}
	}
	return ix
}
