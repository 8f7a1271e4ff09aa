// Package reports answers what marketing ops ask of a journey: how far its
// runs came (the funnel), which arm of a split ripens more accounts, what
// nurturing adds over the holdout, which content blocks precede MQN, and
// how long ripening takes. It reads Postgres only (the runs projection,
// outbox, events, hand-offs and the arms accounts took), never Temporal,
// so a report costs the engine nothing.
package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
)

// Filter chooses the runs reported: a version (0: all) and runs started
// in [From, To).
type Filter = store.ReportFilter

// Funnel counts runs by how far they came. Each stage counts runs, so a
// stage never exceeds the one before it in a healthy journey; accepted
// counts hand-offs sales accepted or won.
type Funnel struct {
	Enrolled  int `json:"enrolled"`
	Emailed   int `json:"emailed"`
	Engaged   int `json:"engaged"`
	MQN       int `json:"mqn"`
	HandedOff int `json:"handed_off"`
	Accepted  int `json:"accepted"`
	Won       int `json:"won"`
	Converted int `json:"converted"`
}

// Group is a funnel with its MQN rate (MQN / enrolled; 0 with no runs).
type Group struct {
	Funnel
	MQNRate float64 `json:"mqn_rate"`
}

// Split is one split step's arms and the p-value of the test that their
// MQN rates differ (nil with fewer than two arms that have runs).
type Split struct {
	Arms   map[string]Group
	PValue *float64
}

// MarshalJSON writes the arms beside "p_value", as the contract has it:
// {"a": {...}, "b": {...}, "p_value": 0.03}.
func (s Split) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(s.Arms)+1)
	for arm, g := range s.Arms {
		m[arm] = g
	}
	m["p_value"] = s.PValue
	return json.Marshal(m)
}

// Holdout compares the accounts held out (no email) with the treated ones.
type Holdout struct {
	Group
	Treated Group    `json:"treated"`
	PValue  *float64 `json:"p_value"`
}

// Content is what one content block did among the reported runs. Opened
// and clicked count (run, contact) pairs; MQNWithin30d counts runs that
// reached MQN within 30 days after one of their contacts first opened or
// clicked the block.
type Content struct {
	ContentID    string `json:"content_id"`
	Sent         int    `json:"sent"`
	Opened       int    `json:"opened"`
	Clicked      int    `json:"clicked"`
	MQNWithin30d int    `json:"mqn_within_30d"`
}

// TimeToMQN is how long runs that reached MQN took, from enrolment to
// their first hand-off, in days (nearest-rank percentiles).
type TimeToMQN struct {
	Runs    int     `json:"runs"`
	P50Days float64 `json:"p50_days"`
	P90Days float64 `json:"p90_days"`
}

// Report is a journey's report.
type Report struct {
	JourneyID string           `json:"journey_id"`
	Version   int              `json:"version,omitempty"`
	From      *time.Time       `json:"from,omitempty"`
	To        *time.Time       `json:"to,omitempty"`
	Funnel    Funnel           `json:"funnel"`
	Arms      map[string]Split `json:"arms"`
	Holdout   *Holdout         `json:"holdout"`
	Content   []Content        `json:"content"`
	TimeToMQN *TimeToMQN       `json:"time_to_mqn"`
}

// Service builds reports from the store.
type Service struct {
	store *store.Store
}

// New returns the reports of st.
func New(st *store.Store) *Service { return &Service{store: st} }

// Journey reports on the runs of journey id that f chooses. An unknown
// journey or version is NotFound; a filter that makes no sense is Invalid.
func (s *Service) Journey(ctx context.Context, id string, f Filter) (Report, error) {
	if f.Version < 0 {
		return Report{}, fault.InvalidField("version", "must be a positive version number")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return Report{}, fault.InvalidField("to", "must be after from")
	}
	versions, err := s.store.ListJourneyVersions(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Report{}, fmt.Errorf("versions of journey %s: %w", id, err)
	}
	if len(versions) == 0 {
		return Report{}, fault.Newf(fault.NotFound, "journey %s does not exist", id)
	}
	// Content is named per version: a step may send another block in
	// another version.
	stepContent := map[int]map[string]string{}
	for _, v := range versions {
		if f.Version != 0 && v.Version != f.Version {
			continue
		}
		var def journey.Definition
		if err := json.Unmarshal(v.Definition, &def); err != nil {
			return Report{}, fmt.Errorf("read journey %s v%d: %w", id, v.Version, err)
		}
		steps := map[string]string{}
		for _, st := range def.Steps {
			if st.Send != "" {
				steps[st.ID] = st.Send
			}
		}
		stepContent[v.Version] = steps
	}
	if f.Version != 0 && stepContent[f.Version] == nil {
		return Report{}, fault.Newf(fault.NotFound, "journey %s has no version %d", id, f.Version)
	}
	d, err := s.store.Report(ctx, id, f)
	if err != nil {
		return Report{}, err
	}
	r := Build(d, stepContent)
	r.JourneyID, r.Version = id, f.Version
	if !f.From.IsZero() {
		r.From = &f.From
	}
	if !f.To.IsZero() {
		r.To = &f.To
	}
	return r, nil
}

// Build computes a report from what the store read and each version's
// step → content.
func Build(d store.ReportData, stepContent map[int]map[string]string) Report {
	runs, arms := d.Runs, d.Arms
	r := Report{Arms: map[string]Split{}, Content: []Content{}}
	var days []float64
	splits := map[string]map[string]*Funnel{}
	var holdout, treated Funnel
	for _, run := range runs {
		r.Funnel.add(run)
		if run.FirstHandoff != nil {
			days = append(days, run.FirstHandoff.Sub(run.StartedAt).Hours()/24)
		}
		for step, arm := range arms[run.CustomerID] {
			switch {
			case step == journey.HoldoutStep && arm == journey.ArmHoldout:
				holdout.add(run)
			case step == journey.HoldoutStep:
				treated.add(run)
			default:
				if splits[step] == nil {
					splits[step] = map[string]*Funnel{}
				}
				if splits[step][arm] == nil {
					splits[step][arm] = &Funnel{}
				}
				splits[step][arm].add(run)
			}
		}
	}
	for step, byArm := range splits {
		sp := Split{Arms: map[string]Group{}}
		var groups []Funnel
		for arm, f := range byArm {
			sp.Arms[arm] = group(*f)
			groups = append(groups, *f)
		}
		sp.PValue = pValue(groups)
		r.Arms[step] = sp
	}
	if holdout.Enrolled > 0 {
		r.Holdout = &Holdout{Group: group(holdout), Treated: group(treated), PValue: pValue([]Funnel{holdout, treated})}
	}
	r.Content = contentOf(d.Sends, d.Content, stepContent)
	if len(days) > 0 {
		slices.Sort(days)
		r.TimeToMQN = &TimeToMQN{Runs: len(days), P50Days: round(percentile(days, 50)), P90Days: round(percentile(days, 90))}
	}
	return r
}

func (f *Funnel) add(run store.ReportRun) {
	count := func(n *int, yes bool) {
		if yes {
			*n++
		}
	}
	f.Enrolled++
	count(&f.Emailed, run.Emailed)
	count(&f.Engaged, run.Engaged)
	count(&f.MQN, run.MQN)
	count(&f.HandedOff, run.HandedOff)
	count(&f.Accepted, run.Accepted)
	count(&f.Won, run.Won)
	count(&f.Converted, run.Outcome == "converted")
}

func group(f Funnel) Group {
	g := Group{Funnel: f}
	if f.Enrolled > 0 {
		g.MQNRate = round(float64(f.MQN) / float64(f.Enrolled))
	}
	return g
}

// contentOf names the emails sent per step by their content block (per
// version: a step may send another block in another version) beside what
// the runs did with each block.
func contentOf(sends []store.ReportSend, did []store.ReportContent, stepContent map[int]map[string]string) []Content {
	rows := map[string]*Content{}
	row := func(id string) *Content {
		if rows[id] == nil {
			rows[id] = &Content{ContentID: id}
		}
		return rows[id]
	}
	for _, s := range sends {
		if id := stepContent[s.Version][s.StepID]; id != "" {
			row(id).Sent += s.Sent
		}
	}
	for _, c := range did {
		r := row(c.ContentID)
		r.Opened, r.Clicked, r.MQNWithin30d = c.Opened, c.Clicked, c.MQNWithin30d
	}
	out := make([]Content, 0, len(rows))
	for _, c := range rows {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Content) int {
		if a.Sent != b.Sent {
			return b.Sent - a.Sent
		}
		return strings.Compare(a.ContentID, b.ContentID)
	})
	return out
}

// pValue is the p-value of the test that the groups' MQN rates are equal:
// Pearson's chi-square test of the groups × (MQN, not MQN) table, which for
// two groups is the two-sided two-proportion z-test with a pooled
// proportion (z² = χ²). Nil when fewer than two groups have runs or no
// rate varies (every run or none reached MQN): there is nothing to test.
func pValue(groups []Funnel) *float64 {
	var n, mqn float64
	k := 0
	for _, g := range groups {
		if g.Enrolled > 0 {
			k++
			n += float64(g.Enrolled)
			mqn += float64(g.MQN)
		}
	}
	if k < 2 || mqn == 0 || mqn == n {
		return nil
	}
	pooled := mqn / n
	var chi2 float64
	for _, g := range groups {
		if g.Enrolled == 0 {
			continue
		}
		size := float64(g.Enrolled)
		for _, cell := range []struct{ observed, expected float64 }{
			{float64(g.MQN), size * pooled},
			{size - float64(g.MQN), size * (1 - pooled)},
		} {
			d := cell.observed - cell.expected
			chi2 += d * d / cell.expected
		}
	}
	p := round(distuv.ChiSquared{K: float64(k - 1)}.Survival(chi2))
	return &p
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// round keeps four decimals: enough for rates, days and p-values, and the
// JSON reads cleanly.
func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// ParseFilter reads a filter as people write it: version a number, from
// and to a date (2026-03-01) or an instant (RFC 3339). A date-only to
// includes that day, as "to 31 March" means to a marketer. Empty strings
// leave a bound open.
func ParseFilter(version, from, to string) (Filter, error) {
	var f Filter
	var problems []fault.Field
	if version != "" {
		n, err := strconv.Atoi(version)
		if err != nil || n < 1 {
			problems = append(problems, fault.Field{Field: "version", Message: fmt.Sprintf("must be a version number (1, 2, ...), got %q", version)})
		}
		f.Version = n
	}
	when := func(field, s string, endOfDay bool) time.Time {
		if s == "" {
			return time.Time{}
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC()
		}
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			if endOfDay {
				t = t.AddDate(0, 0, 1)
			}
			return t
		}
		problems = append(problems, fault.Field{Field: field, Message: fmt.Sprintf("must be a date (2026-03-01) or an RFC 3339 time, got %q", s)})
		return time.Time{}
	}
	f.From, f.To = when("from", from, false), when("to", to, true)
	if len(problems) > 0 {
		return Filter{}, fault.InvalidFields(problems...)
	}
	return f, nil
}
