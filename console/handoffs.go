package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
)

// SLA states of a hand-off, as a sales lead reads the list.
const (
	SLAOverdue  = "overdue"  // open past its due time
	SLADueSoon  = "due-soon" // open, due within dueSoon
	SLAOnTime   = "on-time"  // open, with time left
	SLAAnswered = "answered" // sales answered (or it was withdrawn)
)

// dueSoon is when an open hand-off starts to count as due soon: a lead
// looks at the list once or twice a day.
const dueSoon = 12 * time.Hour

// HandoffFilter chooses the hand-offs listed: a status ("" or "open": the
// open ones; "all": every one) and an owner ("": every owner the session
// may see).
type HandoffFilter struct {
	Status, Owner string
	// Limit is the page size (1–500; 0 for 500); After continues the list
	// after an earlier page's Next.
	Limit int
	After *store.HandoffCursor
}

// HandoffRow is one hand-off of the console's list.
type HandoffRow struct {
	runs.HandoffView
	OwnerName string
	SLA       string
}

// Handoffs is the list of hand-offs and the owners a lead may filter by.
type Handoffs struct {
	Rows []HandoffRow
	// Owners are the owners to filter by (none for a session bound to one
	// owner: it sees only its own).
	Owners []store.Owner
	// Next continues the list on the next page (nil: this is the last).
	Next *store.HandoffCursor
}

// maxHandoffs bounds the hand-offs one page lists.
const maxHandoffs = 500

// Handoffs lists hand-offs with their SLA state, a page at a time (the
// newest first, by the store's keyset), each page the most urgent first:
// every owner's for a sales lead or admin, their own for an owner (or an
// owner-bound key).
func (s *Service) Handoffs(ctx context.Context, sess Session, f HandoffFilter) (Handoffs, error) {
	if err := sess.need(AreaHandoffs); err != nil {
		return Handoffs{}, err
	}
	hf := store.HandoffFilter{OwnerID: f.Owner, Limit: maxHandoffs, After: f.After}
	if f.Limit > 0 && f.Limit < maxHandoffs {
		hf.Limit = f.Limit
	}
	switch f.Status {
	case "", store.HandoffOpen:
		hf.Status = store.HandoffOpen
	case "all":
	default:
		if !slices.Contains(store.HandoffStatuses, f.Status) {
			return Handoffs{}, fault.InvalidField("status", "must be open, all or a hand-off status")
		}
		hf.Status = f.Status
	}
	hs, next, err := s.runs.Handoffs(ctx, sess.Caller(), hf)
	if err != nil {
		return Handoffs{}, err
	}
	views, err := s.runs.DescribeHandoffs(ctx, hs)
	if err != nil {
		return Handoffs{}, err
	}
	out := Handoffs{Next: next}
	if sess.OwnerID == "" {
		out.Owners, err = s.store.ListOwners(ctx, store.Page{Limit: store.MaxLimit})
		if err != nil {
			return Handoffs{}, fmt.Errorf("list owners to filter hand-offs by: %w", err)
		}
	}
	names := map[string]string{}
	for _, o := range out.Owners {
		names[o.ID] = cmp.Or(o.Name, o.Email)
	}
	now := s.Now()
	for _, v := range views {
		name, ok := names[v.OwnerID]
		if !ok {
			o, err := s.store.GetOwner(ctx, v.OwnerID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				name = v.OwnerID
			case err != nil:
				return Handoffs{}, fmt.Errorf("load owner %s of hand-off %s: %w", v.OwnerID, v.ID, err)
			default:
				name = cmp.Or(o.Name, o.Email)
			}
			names[v.OwnerID] = name
		}
		out.Rows = append(out.Rows, HandoffRow{HandoffView: v, OwnerName: name, SLA: slaOf(v.Handoff, now)})
	}
	// Open ones first, earliest due first; answered ones after, newest first.
	slices.SortStableFunc(out.Rows, func(a, b HandoffRow) int {
		ao, bo := a.SLA != SLAAnswered, b.SLA != SLAAnswered
		switch {
		case ao && !bo:
			return -1
		case !ao && bo:
			return 1
		case ao:
			return a.SLADueAt.Compare(b.SLADueAt)
		default:
			return b.CreatedAt.Compare(a.CreatedAt)
		}
	})
	return out, nil
}

// slaOf is a hand-off's SLA state at now. A hand-off sales has answered
// but the run has not yet applied counts as answered: the rep did their
// part.
func slaOf(h store.Handoff, now time.Time) string {
	switch {
	case h.Answered() != "":
		return SLAAnswered
	case now.After(h.SLADueAt):
		return SLAOverdue
	case h.SLADueAt.Sub(now) <= dueSoon:
		return SLADueSoon
	default:
		return SLAOnTime
	}
}
