package runs

import (
	"testing"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/store"
)

// Who may send what: sales' answer is sales' (and admin's); steering a run
// is for marketing and sales; a caller without a role sends nothing.
func TestEachSignalTypeNamesTheRolesThatMaySendIt(t *testing.T) {
	for _, tc := range []struct {
		role, signal string
		may          bool
	}{
		{store.RoleSales, SignalSalesFeedback, true},
		{store.RoleAdmin, SignalSalesFeedback, true},
		{store.RoleMarketing, SignalSalesFeedback, false},
		{store.RoleMarketing, SignalPause, true},
		{store.RoleMarketing, SignalFastLane, true},
		{store.RoleSales, SignalStop, true},
		{"", SignalPause, false},
	} {
		err := Caller{Role: tc.role}.maySend(tc.signal)
		if tc.may != (err == nil) {
			t.Errorf("%q sending %s: %v", tc.role, tc.signal, err)
			continue
		}
		if err != nil {
			f, ok := fault.As(err)
			if !ok || f.Kind != fault.Forbidden || len(f.Fields) != 1 || f.Fields[0].Field != "type" {
				t.Errorf("%q sending %s: want a forbidden fault naming type, got %#v", tc.role, tc.signal, err)
			}
		}
	}
}

// A caller of an owner lists that owner's book whatever the filter left
// out, and is refused another owner's.
func TestAnOwnersCallerListsThatOwnerOnly(t *testing.T) {
	eva := Caller{Role: store.RoleSales, OwnerID: "rep-eva"}
	for _, given := range []string{"", "rep-eva"} {
		owner := given
		if err := eva.ownerFilter("owner", &owner); err != nil || owner != "rep-eva" {
			t.Errorf("owner %q: got %q, %v", given, owner, err)
		}
	}
	owner := "rep-tom"
	if err := eva.ownerFilter("owner", &owner); !fault.Is(err, fault.Forbidden) {
		t.Errorf("another owner: want forbidden, got %v", err)
	}
	owner = "rep-tom"
	if err := (Caller{Role: store.RoleSales}).ownerFilter("owner", &owner); err != nil || owner != "rep-tom" {
		t.Errorf("a caller of no owner filters as asked: %q, %v", owner, err)
	}
}
