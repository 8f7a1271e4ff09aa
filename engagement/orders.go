package engagement

import (
	"context"
	"fmt"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
)

// addOrders adds the product of every order among the events to what its
// account owns, since the order's time, before the detectors read what the
// accounts own. It runs for repeats of stored orders too: adding an order
// is idempotent, so a retried batch finishes what a failed one began.
func (s *Service) addOrders(ctx context.Context, byCustomer map[string][]store.Event) error {
	var orders []store.Order
	for _, evs := range byCustomer {
		for _, e := range evs {
			if e.Type == store.OrderType {
				orders = append(orders, store.Order{CustomerID: e.CustomerID, Product: e.Product, At: e.OccurredAt})
			}
		}
	}
	if err := s.store.AddOrders(ctx, orders); err != nil {
		return fmt.Errorf("add ordered products: %w", err)
	}
	return nil
}

// eligible keeps the detector candidates whose journey's offer fits what
// their account owns, with one read for all their accounts.
func (s *Service) eligible(ctx context.Context, candidates []candidate) ([]candidate, error) {
	if len(candidates) == 0 {
		return nil, nil
	}
	ids := make([]string, len(candidates))
	for i, c := range candidates {
		ids[i] = c.customerID
	}
	owned, err := s.store.OwnedProducts(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read what detected accounts own: %w", err)
	}
	out := candidates[:0]
	for _, c := range candidates {
		if ok, _ := journey.Eligible(c.def.Offer, owned[c.customerID]); ok {
			out = append(out, c)
		}
	}
	return out, nil
}
