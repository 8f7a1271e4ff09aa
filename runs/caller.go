package runs

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/store"
)

// Caller is who asks, as the rules of runs and hand-offs need to know it.
// Every channel passes it explicitly, so a sales page or the console gets
// the same rules as the HTTP API.
type Caller struct {
	// Role is the caller's role (store.RoleMarketing, RoleSales,
	// RoleAdmin): it decides which signals they may send.
	Role string
	// OwnerID, when set, keeps the caller to one account owner's book: they
	// list, read, signal and answer only the runs of that owner's
	// customers and the hand-offs made to that owner. Another owner's are
	// not found, as if they did not exist.
	OwnerID string
}

// signalRoles are who may send each signal besides admin: sales' answer to
// a hand-off is sales' alone; steering a run is for both.
var signalRoles = map[string][]string{
	SignalSalesFeedback: {store.RoleSales},
	SignalFastLane:      {store.RoleSales, store.RoleMarketing},
	SignalPause:         {store.RoleSales, store.RoleMarketing},
	SignalResume:        {store.RoleSales, store.RoleMarketing},
	SignalStop:          {store.RoleSales, store.RoleMarketing},
}

// maySend refuses a signal type the caller's role may not send (Forbidden,
// naming "type"); the type itself is known.
func (c Caller) maySend(signal string) error {
	roles := signalRoles[signal]
	if c.Role == store.RoleAdmin || slices.Contains(roles, c.Role) {
		return nil
	}
	role := c.Role
	if role == "" {
		role = "no role"
	}
	msg := signal + " may be sent by " + strings.Join(roles, " or ") + ", not " + role
	return &fault.Error{Kind: fault.Forbidden, Detail: "the role " + role + " may not send " + signal,
		Fields: []fault.Field{{Field: "type", Message: msg}}}
}

// seesCustomer refuses a customer outside the caller's book with notFound,
// checked against the store's customer and owner (one read, no Temporal).
// A caller of no owner sees every customer.
func (s *Service) seesCustomer(ctx context.Context, c Caller, customerID string, notFound error) error {
	if c.OwnerID == "" {
		return nil
	}
	owner, err := s.store.OwnerOfCustomer(ctx, customerID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound
	case err != nil:
		return err
	case owner != c.OwnerID:
		return notFound
	}
	return nil
}

// seesHandoff: a caller of an owner sees the hand-offs made to that owner.
func (c Caller) seesHandoff(h store.Handoff) bool {
	return c.OwnerID == "" || h.OwnerID == c.OwnerID
}

// ownerFilter keeps a list to the caller's owner: an owner filter naming
// another is Forbidden (field name), none is set to the caller's.
func (c Caller) ownerFilter(name string, owner *string) error {
	if c.OwnerID == "" {
		return nil
	}
	if *owner != "" && *owner != c.OwnerID {
		return &fault.Error{Kind: fault.Forbidden, Detail: "this key sees only account owner " + c.OwnerID + "'s book",
			Fields: []fault.Field{{Field: name, Message: "must be " + c.OwnerID + " (or left out) with this key"}}}
	}
	*owner = c.OwnerID
	return nil
}
