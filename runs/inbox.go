package runs

import (
	"context"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/store"
)

// Handoffs lists one page of hand-offs that match f, newest first, and the
// cursor of the next page (nil when no more match). A caller of an owner
// lists the hand-offs made to that owner only: f's owner is set to it, and
// naming another is Forbidden.
func (s *Service) Handoffs(ctx context.Context, c Caller, f store.HandoffFilter) ([]store.Handoff, *store.HandoffCursor, error) {
	if err := c.ownerFilter("owner", &f.OwnerID); err != nil {
		return nil, nil, err
	}
	return s.store.ListHandoffsPage(ctx, f)
}

// Handoff reads a hand-off; one made to another owner than the caller's is
// not found.
func (s *Service) Handoff(ctx context.Context, c Caller, id string) (store.Handoff, error) {
	h, err := s.store.GetHandoff(ctx, id)
	if err != nil {
		return store.Handoff{}, err
	}
	if !c.seesHandoff(h) {
		return store.Handoff{}, fault.Newf(fault.NotFound, "hand-off %q not found", id)
	}
	return h, nil
}
