package api

import "github.com/ripen/ripen/store"

// owners are the account owners in sales, admin's to manage: hand-offs are
// emailed to an owner's address, so no other role may change it (a
// customer's write may only create a new owner, store.PutCustomer).
func (s *Server) owners() resource[store.Owner] {
	return resource[store.Owner]{
		id: func(o *store.Owner) *string { return &o.ID }, put: s.store.PutOwner, get: s.store.GetOwner, list: s.store.ListOwners,
	}
}
