package console

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Stages are a run's stages, for the runs filter.
var Stages = []string{workflows.StageNurturing, workflows.StageHandoff, workflows.StageCooldown, workflows.StagePaused, workflows.StageDone}

// maxRuns bounds the runs one page lists; the filter narrows a longer list.
const maxRuns = 200

// Runs lists runs newest first, as Temporal's visibility has them, with
// the filter of GET /v1/runs (journey, stage, owner, mqn, status), a page
// of at most maxRuns at a time (f.PageToken: visibility's token of the
// page). A session bound to an owner lists that owner's runs only.
func (s *Service) Runs(ctx context.Context, sess Session, f runs.Filter) (runs.Page, error) {
	if err := sess.need(AreaRuns); err != nil {
		return runs.Page{}, err
	}
	if f.Limit <= 0 || f.Limit > maxRuns {
		f.Limit = maxRuns
	}
	return s.runs.List(ctx, sess.Caller(), f)
}

// Moment is one entry of a run's timeline.
type Moment struct {
	At time.Time
	// Kind is "send", an engagement's kind (open, click, visit, …,
	// fast_lane) or "handoff".
	Kind string
	// What: the step and content of a send, the topic or content of an
	// engagement, the reason of a hand-off.
	What      string
	ContactID string
	Points    float64
	// Status is a hand-off's status.
	Status string
}

// RunPage is one run as the console shows it.
type RunPage struct {
	runs.View
	JourneyName string
	Threshold   float64
	// Timeline is what happened in the run's current cycle (sends and
	// engagement, as the run's state keeps them) and all its hand-offs,
	// oldest first.
	Timeline []Moment
	Handoffs []store.Handoff
}

// Run is one run (the newest of journey id for the customer) with its
// timeline. A run the session may not see is NotFound, as in the API.
func (s *Service) Run(ctx context.Context, sess Session, journeyID, customerID string) (RunPage, error) {
	if err := sess.need(AreaRuns); err != nil {
		return RunPage{}, err
	}
	v, err := s.runs.Get(ctx, sess.Caller(), journeyID, customerID)
	if err != nil {
		return RunPage{}, err
	}
	p := RunPage{View: v}
	def, err := s.journeys.Definition(ctx, journeyID, v.Version)
	if err != nil {
		return RunPage{}, fmt.Errorf("load journey %s v%d of a run: %w", journeyID, v.Version, err)
	}
	if def != nil {
		p.JourneyName, p.Threshold = def.Name, def.MQN.Threshold
	}
	hs, _, err := s.runs.Handoffs(ctx, sess.Caller(), store.HandoffFilter{CustomerID: customerID, JourneyID: journeyID, Limit: 100})
	if err != nil {
		return RunPage{}, fmt.Errorf("list the hand-offs of run %s: %w", v.WorkflowID, err)
	}
	for _, h := range hs {
		if h.WorkflowID == v.WorkflowID {
			p.Handoffs = append(p.Handoffs, h)
		}
	}
	for _, sent := range v.Sent {
		p.Timeline = append(p.Timeline, Moment{At: sent.At, Kind: "send", What: sent.StepID + ": " + sent.ContentID})
	}
	for _, e := range v.Engagements {
		what := cmp.Or(e.ContentID, e.Topic, e.Product, e.StepID)
		p.Timeline = append(p.Timeline, Moment{At: e.At, Kind: e.Kind, What: what, ContactID: e.ContactID, Points: e.Points})
	}
	for _, h := range p.Handoffs {
		p.Timeline = append(p.Timeline, Moment{At: h.CreatedAt, Kind: "handoff", What: h.Reason, Status: h.Status})
	}
	slices.SortStableFunc(p.Timeline, func(a, b Moment) int { return a.At.Compare(b.At) })
	return p, nil
}
