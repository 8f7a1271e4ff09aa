package journey

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// ValidateOptions are the checks that need knowledge from outside the
// definition.
type ValidateOptions struct {
	// Content, when set, reports whether a content id exists; a `send` of an
	// unknown id is then a problem.
	Content func(id string) bool

	// Persona, when set, reports whether a persona id exists; an audience
	// naming an unknown one is then a problem.
	Persona func(id string) bool

	// Product, when set, reports whether a product is in the catalogue; an
	// offer, requires or goal naming another is then a problem.
	Product func(id string) bool

	// lines are the lines Parse noted; nil for a Definition that did not
	// come from Parse (its problems have Line 0).
	lines Lines
}

// MaxIDLength bounds journey and step ids (they end up in workflow ids and
// search attributes).
const MaxIDLength = 64

var slugRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// IsSlug reports whether s is a valid journey or step id: lowercase letters,
// digits and inner hyphens, at most MaxIDLength characters.
func IsSlug(s string) bool { return len(s) <= MaxIDLength && slugRE.MatchString(s) }

// OfferKinds are the valid offer kinds.
var OfferKinds = []string{OfferRepeat, OfferUpsell, OfferCrossSell}

// EngagementKinds are the kinds that score points.
var EngagementKinds = []string{EngagementOpen, EngagementClick, EngagementVisit, EngagementDownload}

// UntilKinds are the signal kinds a wait's `until` may name.
var UntilKinds = []string{EngagementOpen, EngagementClick, EngagementVisit, EngagementDownload, UntilFastLane}

// Validate checks a definition against every rule of the format and returns
// all problems found, sorted by line (nil when there are none). It does not
// stop at the first problem.
func Validate(d *Definition, opt ValidateOptions) Problems {
	if d == nil {
		return Problems{{Message: "no journey definition"}}
	}
	c := &checker{d: d, opt: opt}
	if !c.withinLimits() {
		// What is over a limit is not checked further: validating it would
		// cost what the limits are there to bound (the step graph checks
		// take time quadratic in the steps).
		return c.probs.sorted()
	}
	c.header()
	c.audience()
	c.detector()
	c.scoring()
	c.handoff()
	c.goal()
	c.holdout()
	c.sendWindow()
	c.steps()
	return c.probs.sorted()
}

type checker struct {
	d     *Definition
	opt   ValidateOptions
	probs Problems
}

func (c *checker) problem(field, format string, args ...any) {
	c.probs = append(c.probs, Problem{Line: c.opt.lines.Line(field), Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) slug(field, value, what string) {
	switch {
	case value == "":
		c.problem(field, "%s is required", what)
	case !IsSlug(value):
		c.problem(field, "%q is not a valid %s: use lowercase letters, digits and hyphens (at most %d characters)", value, what, MaxIDLength)
	}
}

func (c *checker) nonNegative(field string, v Span) {
	if v.Std() < 0 {
		c.problem(field, "must not be negative")
	}
}

// withinLimits reports the lists of a definition that exceed the limits
// and whether there were none. Parse refuses such lists before decoding
// them; a Definition decoded from JSON meets them here.
func (c *checker) withinLimits() bool {
	d := c.d
	list := func(field string, n, limit int, what string) {
		if n > limit {
			c.problem(field, "%s", tooMany(n, limit, what))
		}
	}
	list("steps", len(d.Steps), MaxSteps, "steps")
	if d.Detector != nil {
		list("detector.topics", len(d.Detector.Topics), MaxListItems, "topics")
	}
	list("scoring.points", len(d.Scoring.Points), MaxListItems, "entries")
	list("scoring.topics", len(d.Scoring.Topics), MaxListItems, "topics")
	list("mqn.fast_lane", len(d.MQN.FastLane), MaxListItems, "offers")
	if d.Audience != nil {
		list("audience.personas", len(d.Audience.Personas), MaxListItems, "personas")
	}
	list("offer.requires", len(d.Offer.Requires), MaxListItems, "products")
	if d.SendWindow != nil {
		list("send_window.days", len(d.SendWindow.Days), MaxListItems, "days")
	}
	if len(d.Steps) <= MaxSteps {
		for i, s := range d.Steps {
			list(joinField(indexField("steps", i), "until"), len(s.Until), MaxListItems, "signal kinds")
			list(joinField(indexField("steps", i), "split"), len(s.Split), MaxListItems, "arms")
		}
	}
	return len(c.probs) == 0
}

func (c *checker) header() {
	d := c.d
	c.slug("id", d.ID, "journey id")
	if strings.TrimSpace(d.Name) == "" {
		c.problem("name", "name is required")
	}
	if d.Version < 0 {
		c.problem("version", "must not be negative")
	}
	switch {
	case d.Offer.Kind == "":
		c.problem("offer.kind", "offer kind is required: one of %s", orList(OfferKinds))
	case !slices.Contains(OfferKinds, d.Offer.Kind):
		c.problem("offer.kind", "unknown offer kind %q: want %s", d.Offer.Kind, orList(OfferKinds))
	}
	switch p := d.Offer.Product; {
	case strings.TrimSpace(p) == "":
		c.problem("offer.product", "offer product is required")
	case !c.catalogued(p):
		c.problem("offer.product", "%s", UnknownProduct(p))
	}
	c.requires()
}

// requires checks offer.requires: product IDs as customers' products are
// written (else no account could ever own them), each once, and never the
// product a cross-sell offers, which only accounts without it may get.
func (c *checker) requires() {
	o := c.d.Offer
	seen := map[string]bool{}
	for i, p := range o.Requires {
		field := indexField("offer.requires", i)
		switch {
		case !IsProductID(p):
			c.problem(field, "%q is not a product ID: 1 to %d characters without '/' or whitespace", p, MaxProductIDLength)
		case seen[p]:
			c.problem(field, "%q is listed twice", p)
		case o.Kind == OfferCrossSell && p == o.Product:
			c.problem(field, "a cross-sell of %s cannot require it: it is offered only to accounts that do not own it", p)
		case !c.catalogued(p):
			c.problem(field, "%s", UnknownProduct(p))
		}
		seen[p] = true
	}
}

func (c *checker) detector() {
	det := c.d.Detector
	if det == nil {
		return
	}
	if !det.RenewsWithin.IsZero() {
		c.renewalDetector(det)
		return
	}
	if len(det.Topics) == 0 {
		c.problem("detector.topics", "at least one topic is required")
	}
	for i, t := range det.Topics {
		if strings.TrimSpace(t) == "" {
			c.problem(indexField("detector.topics", i), "topic must not be empty")
		}
	}
	if det.MinEvents < 1 {
		c.problem("detector.min_events", "must be at least 1")
	}
	if det.Within.Std() <= 0 {
		c.problem("detector.within", "must be longer than 0")
	}
}

// renewalDetector checks a detector by renewal: a positive span, none of
// the engagement detector's fields (a detector is one kind or the other),
// and an offer whose renewal can open it (RenewalProducts).
func (c *checker) renewalDetector(det *Detector) {
	if det.RenewsWithin.Std() <= 0 {
		c.problem("detector.renews_within", "must be longer than 0")
	}
	set := []struct {
		field string
		set   bool
	}{{"topics", len(det.Topics) > 0}, {"min_events", det.MinEvents != 0}, {"within", !det.Within.IsZero()}}
	for _, f := range set {
		if f.set {
			c.problem("detector."+f.field, "a detector either counts engagement (topics, min_events, within) or watches renewals (renews_within), not both")
		}
	}
	switch o := c.d.Offer; {
	case o.Kind == OfferCrossSell:
		c.problem("detector.renews_within", "only repeat and upsell offers may enrol on renewal: a cross-sell goes to accounts that do not own %s, so it has no renewal to watch", o.Product)
	case o.Kind == OfferUpsell && len(o.Requires) == 0:
		c.problem("detector.renews_within", "an upsell enrols on the renewal of the products it requires: set offer.requires")
	}
}

func (c *checker) scoring() {
	s := c.d.Scoring
	positive := false
	for _, kind := range sortedKeys(s.Points) {
		field := joinField("scoring.points", kind)
		v := s.Points[kind]
		if !slices.Contains(EngagementKinds, kind) {
			c.problem(field, "unknown engagement kind %q: want %s", kind, orList(EngagementKinds))
			continue
		}
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			c.problem(field, "must be a finite number")
		case v < 0:
			c.problem(field, "must not be negative")
		case v > 0:
			positive = true
		}
	}
	c.nonNegative("scoring.half_life", s.HalfLife)
	topics := map[string]bool{}
	for i, t := range s.Topics {
		field := indexField("scoring.topics", i)
		switch {
		case !IsSlug(t):
			c.problem(field, "%q is not a topic: use lowercase letters, digits and hyphens (at most %d characters)", t, MaxIDLength)
		case topics[t]:
			c.problem(field, "%q is listed twice", t)
		}
		topics[t] = true
	}

	m := c.d.MQN
	switch {
	case math.IsNaN(m.Threshold) || math.IsInf(m.Threshold, 0):
		c.problem("mqn.threshold", "must be a finite number")
	case m.Threshold <= 0:
		c.problem("mqn.threshold", "must be greater than 0")
	case !positive:
		c.problem("mqn.threshold", "can never be reached: no engagement kind in scoring.points is worth any points")
	}
	if _, written := c.opt.lines["mqn.min_contacts"]; m.MinContacts < 0 || (m.MinContacts == 0 && written) {
		c.problem("mqn.min_contacts", "must be at least 1")
	}
	seen := map[string]bool{}
	for i, o := range m.FastLane {
		field := indexField("mqn.fast_lane", i)
		switch {
		case !slices.Contains(FastLaneOffers, o):
			c.problem(field, "unknown fast-lane offer %q: want %s", o, orList(FastLaneOffers))
		case seen[o]:
			c.problem(field, "%q is listed twice", o)
		}
		seen[o] = true
	}
	c.assets()
}

// assets checks mqn.assets: each key an asset offer (AssetOffers), each
// value a content ID that exists (when the content is known, as at
// publish). Offers are checked in order, so the problems come out the same
// every time.
func (c *checker) assets() {
	offers := make([]string, 0, len(c.d.MQN.Assets))
	for o := range c.d.MQN.Assets {
		offers = append(offers, o)
	}
	slices.Sort(offers)
	for _, o := range offers {
		field := joinField("mqn.assets", o)
		id := c.d.MQN.Assets[o]
		switch {
		case !IsAssetOffer(o):
			c.problem(field, "unknown asset offer %q: want %s", o, orList(AssetOffers))
		case strings.TrimSpace(id) == "":
			c.problem(field, "the content ID of the %s is required", o)
		case c.opt.Content != nil && !c.opt.Content(id):
			c.problem(field, "unknown content %q", id)
		}
	}
}

func (c *checker) handoff() {
	h := c.d.Handoff
	c.nonNegative("handoff.sla", h.SLA)
	c.nonNegative("handoff.recycle_after", h.RecycleAfter)
	if h.MaxRecycles < 0 {
		c.problem("handoff.max_recycles", "must not be negative")
	}
}

// goal checks the goal: an order of a product within a time after the
// run's start.
func (c *checker) goal() {
	g := c.d.Goal
	if g == nil {
		return
	}
	switch {
	case g.Event == "":
		c.problem("goal.event", "goal event is required: %q", GoalOrder)
	case g.Event != GoalOrder:
		c.problem("goal.event", "unknown goal event %q: want %q", g.Event, GoalOrder)
	}
	switch {
	case g.Product == "":
		c.problem("goal.product", "goal product is required")
	case !IsProductID(g.Product):
		c.problem("goal.product", "%q is not a product ID: 1 to %d characters without '/' or whitespace", g.Product, MaxProductIDLength)
	case !c.catalogued(g.Product):
		c.problem("goal.product", "%s", UnknownProduct(g.Product))
	}
	if g.Within.Std() <= 0 {
		c.problem("goal.within", "must be longer than 0")
	}
}

func (c *checker) sendWindow() {
	w := c.d.SendWindow
	if w == nil {
		return
	}
	seen := map[string]bool{}
	for i, day := range w.Days {
		field := indexField("send_window.days", i)
		switch _, ok := weekdays[day]; {
		case !ok:
			c.problem(field, "unknown day %q: want mon, tue, wed, thu, fri, sat or sun", day)
		case seen[day]:
			c.problem(field, "%q is listed twice", day)
		}
		seen[day] = true
	}
	from, fromOK := windowClock(w.From, 0, false)
	if !fromOK {
		c.problem("send_window.from", "%q is not a time of day: want \"HH:MM\", e.g. \"08:00\"", w.From)
	}
	to, toOK := windowClock(w.To, 24*60, true)
	if !toOK {
		c.problem("send_window.to", "%q is not a time of day: want \"HH:MM\", e.g. \"18:00\" (or \"24:00\")", w.To)
	}
	if fromOK && toOK && from >= to {
		c.problem("send_window.to", "must be later than from (%s)", clockString(from))
	}
}

// steps checks every step, then the step graph.
func (c *checker) steps() {
	steps := c.d.Steps
	if len(steps) == 0 {
		c.problem("steps", "at least one step is required")
		return
	}
	firstUse := map[string]int{}
	for i, s := range steps {
		field := indexField("steps", i)
		c.slug(joinField(field, "id"), s.ID, "step id")
		if first, dup := firstUse[s.ID]; dup && s.ID != "" {
			c.problem(joinField(field, "id"), "step id %q is already used by steps[%d]", s.ID, first)
		} else if s.ID != "" {
			firstUse[s.ID] = i
		}
	}
	for i, s := range steps {
		c.step(i, s)
	}
	c.reachability()
	c.loops()
}

// actions lists the actions step i was given. Unlike Step.Kind it counts a
// wait that was written but is not positive, so that such a mistake is
// reported once rather than as a wait that ends the journey.
func (c *checker) actions(i int) []string {
	s := c.d.Steps[i]
	var actions []string
	if s.Send != "" {
		actions = append(actions, StepSend)
	}
	if s.Wait.Std() != 0 || c.opt.lines.Has(joinField(indexField("steps", i), "wait")) {
		actions = append(actions, StepWait)
	}
	if s.Goto != "" {
		actions = append(actions, StepGoto)
	}
	if len(s.Split) > 0 || c.opt.lines.Has(joinField(indexField("steps", i), "split")) {
		actions = append(actions, StepSplit)
	}
	if s.End {
		actions = append(actions, StepEnd)
	}
	return actions
}

// kind is the step's action for the step graph: the first one given, as in
// Step.Kind, or "" for a step with none. Such a step is reported once for
// its missing action; the graph lets it fall through to the next step, so
// that the steps after it are not also reported as unreachable.
func (c *checker) kind(i int) string {
	if a := c.actions(i); len(a) > 0 {
		return a[0]
	}
	return ""
}

func (c *checker) step(i int, s Step) {
	field := indexField("steps", i)
	actions := c.actions(i)
	switch len(actions) {
	case 0:
		c.problem(field, "step %q has no action: give it one of send, wait, goto, split or end", s.ID)
	case 1:
	default:
		c.problem(field, "step %q has %d actions (%s): a step does exactly one thing", s.ID, len(actions), strings.Join(actions, ", "))
	}
	if slices.Contains(actions, StepWait) && s.Wait.Std() <= 0 {
		c.problem(joinField(field, "wait"), "must be longer than 0")
	}
	if c.opt.Content != nil && s.Send != "" && !c.opt.Content(s.Send) {
		c.problem(joinField(field, "send"), "unknown content %q", s.Send)
	}
	if s.Goto != "" && c.d.StepIndex(s.Goto) < 0 {
		c.problem(joinField(field, "goto"), "unknown step %q", s.Goto)
	}
	c.split(i, s)
	if len(s.Until) > 0 && !slices.Contains(actions, StepWait) {
		c.problem(joinField(field, "until"), "until is only allowed on a wait step")
	}
	for j, kind := range s.Until {
		f := joinField(field, "until")
		if len(s.Until) > 1 {
			f = indexField(f, j)
		}
		if !slices.Contains(UntilKinds, kind) {
			c.problem(f, "unknown signal kind %q: want %s", kind, orList(UntilKinds))
		}
	}
	if s.If != "" {
		f := joinField(field, "if")
		if _, refs, err := compileCondition(s.If); err != nil {
			c.problem(f, "%v", err)
		} else {
			for _, ref := range refs {
				if c.d.StepIndex(ref) < 0 {
					c.problem(f, "condition refers to unknown step %q", ref)
				}
			}
		}
	}
}

// next returns the steps that may run after step i: the following one
// (after a send or wait, when an `if` skips the step, or after a step with
// no action, already reported), a goto's target and a split's arms'
// targets. An end step, or the last step, has no successor.
func (c *checker) next(i int) []int {
	s, kind := c.d.Steps[i], c.kind(i)
	var out []int
	if i+1 < len(c.d.Steps) && (s.If != "" || kind == StepSend || kind == StepWait || kind == "") {
		out = append(out, i+1)
	}
	if kind == StepGoto {
		if t := c.d.StepIndex(s.Goto); t >= 0 && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if kind == StepSplit {
		for _, t := range c.splitTargets(s) {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// reachability reports steps that no path from the first step leads to.
func (c *checker) reachability() {
	seen := make([]bool, len(c.d.Steps))
	queue := []int{0}
	seen[0] = true
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, j := range c.next(i) {
			if !seen[j] {
				seen[j] = true
				queue = append(queue, j)
			}
		}
	}
	for i, ok := range seen {
		if !ok {
			c.problem(indexField("steps", i), "step %q is unreachable: no path from the first step leads to it", c.d.Steps[i].ID)
		}
	}
}

// loops reports gotos that close a loop in which no step waits for sure. A
// waitless loop would send or spin without pause. Every loop contains a goto
// back (fallthrough only goes forward), so checking those finds them all. A
// wait with an `if` may be skipped and so does not count.
func (c *checker) loops() {
	waits := func(i int) bool { return c.kind(i) == StepWait && c.d.Steps[i].If == "" }
	for g := range c.d.Steps {
		for _, j := range c.jumps(g) {
			t := c.d.StepIndex(j.target)
			if t < 0 || t > g || waits(t) {
				continue
			}
			if path := c.pathAvoidingWaits(t, g, waits); path != nil {
				ids := make([]string, 0, len(path)+1)
				for _, i := range path {
					ids = append(ids, fmt.Sprintf("%q", c.d.Steps[i].ID))
				}
				ids = append(ids, fmt.Sprintf("%q", j.target))
				c.problem(j.field, "loop without a wait: %s; add a wait step to the loop", strings.Join(ids, " → "))
			}
		}
	}
}

// jump is a goto of step: its own, or one of its split's arms'.
type jump struct{ field, target string }

// jumps are the gotos of step g, with the field each is written in.
func (c *checker) jumps(g int) []jump {
	s, field := c.d.Steps[g], indexField("steps", g)
	switch c.kind(g) {
	case StepGoto:
		return []jump{{joinField(field, "goto"), s.Goto}}
	case StepSplit:
		out := make([]jump, 0, len(s.Split))
		for j, a := range s.Split {
			out = append(out, jump{joinField(indexField(joinField(field, "split"), j), "goto"), a.Goto})
		}
		return out
	}
	return nil
}

// pathAvoidingWaits finds a path of steps from..to that passes no wait step,
// or nil.
func (c *checker) pathAvoidingWaits(from, to int, waits func(int) bool) []int {
	prev := map[int]int{from: -1}
	queue := []int{from}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		if i == to {
			var path []int
			for j := to; j >= 0; j = prev[j] {
				path = append(path, j)
			}
			slices.Reverse(path)
			return path
		}
		for _, j := range c.next(i) {
			if _, ok := prev[j]; ok || waits(j) {
				continue
			}
			prev[j] = i
			queue = append(queue, j)
		}
	}
	return nil
}

func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
