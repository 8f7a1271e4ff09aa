package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/journeys"
	"github.com/ripen/ripen/reports"
	"github.com/ripen/ripen/store"
)

// JourneyRow is one journey of the console's list.
type JourneyRow struct {
	ID, Name string
	Version  int
	// Offer is the offer's kind and product ("cross-sell automation-suite").
	OfferKind, Product string
	Archived           bool
	// Running are the runs in flight; Enrolled every run there was, and
	// MQN those that reached MQN, as the journey's report counts them.
	Running, Enrolled, MQN int
	// MQNRate is MQN / Enrolled (0 without runs).
	MQNRate float64
}

func rowOf(v journeys.Version, st store.JourneyRunStats) JourneyRow {
	r := JourneyRow{ID: v.JourneyID, Name: v.Name, Version: v.Version, Archived: v.ArchivedAt != nil,
		Running: st.Running, Enrolled: st.Enrolled, MQN: st.MQN}
	if v.Definition != nil {
		r.OfferKind, r.Product = v.Definition.Offer.Kind, v.Definition.Offer.Product
	}
	if st.Enrolled > 0 {
		r.MQNRate = float64(st.MQN) / float64(st.Enrolled)
	}
	return r
}

// Journeys lists every journey, archived ones last, each by name.
func (s *Service) Journeys(ctx context.Context, sess Session) ([]JourneyRow, error) {
	if err := sess.need(AreaJourneys); err != nil {
		return nil, err
	}
	list, err := s.journeys.List(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("list journeys for the console: %w", err)
	}
	stats, err := s.store.ListJourneyRunStats(ctx)
	if err != nil {
		return nil, fmt.Errorf("count the runs of journeys: %w", err)
	}
	rows := make([]JourneyRow, 0, len(list))
	for _, v := range list {
		rows = append(rows, rowOf(v, stats[v.JourneyID]))
	}
	slices.SortStableFunc(rows, func(a, b JourneyRow) int {
		if a.Archived != b.Archived {
			if a.Archived {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return rows, nil
}

// JourneyPage is one journey as the console shows it.
type JourneyPage struct {
	JourneyRow
	// Shown is the version whose source the page shows (the newest
	// unless one was asked for).
	Shown journeys.Version
	// Versions are every version, newest first.
	Versions []journeys.Version
	// Report is the journey's report over every version, as GET
	// /v1/journeys/{id}/report answers it.
	Report reports.Report
}

// Journey is one journey with its versions, the source of one of them
// (version 0: the newest) and its report. An unknown journey or version
// is NotFound.
func (s *Service) Journey(ctx context.Context, sess Session, id string, version int) (JourneyPage, error) {
	if err := sess.need(AreaJourneys); err != nil {
		return JourneyPage{}, err
	}
	versions, err := s.journeys.Versions(ctx, id)
	if err != nil {
		return JourneyPage{}, err
	}
	slices.SortFunc(versions, func(a, b journeys.Version) int { return cmp.Compare(b.Version, a.Version) })
	p := JourneyPage{Versions: versions, Shown: versions[0]}
	if version != 0 {
		i := slices.IndexFunc(versions, func(v journeys.Version) bool { return v.Version == version })
		if i < 0 {
			return JourneyPage{}, fault.Newf(fault.NotFound, "journey %s has no version %d", id, version)
		}
		p.Shown = versions[i]
	}
	stats, err := s.store.ListJourneyRunStats(ctx)
	if err != nil {
		return JourneyPage{}, fmt.Errorf("count the runs of journey %s: %w", id, err)
	}
	p.JourneyRow = rowOf(versions[0], stats[id])
	p.Report, err = s.reports.Journey(ctx, id, reports.Filter{})
	if err != nil {
		return JourneyPage{}, fmt.Errorf("report on journey %s: %w", id, err)
	}
	return p, nil
}

// maxSource bounds a journey's source as the console takes it, as the
// console's forms are bounded (64 KiB).
const maxSource = 64 << 10

// Publish publishes a changed journey from its source (YAML or JSON), as
// PUT /v1/journeys/{id} does: a new version when the definition changed,
// else the newest version again (created false). A definition with
// mistakes publishes nothing and answers them as problems, each with its
// line where the parser knows it; err is then nil.
func (s *Service) Publish(ctx context.Context, sess Session, id, source string) (v journeys.Version, created bool, problems journey.Problems, err error) {
	if err := sess.need(AreaJourneys); err != nil {
		return journeys.Version{}, false, nil, err
	}
	if len(source) > maxSource {
		return journeys.Version{}, false, journey.Problems{{Message: fmt.Sprintf("the source is longer than %d KiB", maxSource>>10)}}, nil
	}
	v, created, err = s.journeys.Publish(ctx, id, []byte(source))
	var probs journey.Problems
	if errors.As(err, &probs) {
		return journeys.Version{}, false, probs, nil
	}
	if f, ok := fault.As(err); ok && f.Kind == fault.Invalid {
		for _, fp := range f.Fields {
			probs = append(probs, journey.Problem{Line: fp.Line, Field: fp.Field, Message: fp.Message})
		}
		if len(probs) == 0 {
			probs = journey.Problems{{Message: f.Detail}}
		}
		return journeys.Version{}, false, probs, nil
	}
	if err != nil {
		return journeys.Version{}, false, nil, fmt.Errorf("publish journey %s from the console: %w", id, err)
	}
	return v, created, nil, nil
}
