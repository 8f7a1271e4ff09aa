package runs

import (
	"testing"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
)

// A run starts only where its journey can mail someone: without an audience
// any reachable contact will do; with one, a contact of its personas must
// exist (else the account is ineligible) and be reachable (else suppressed).
func TestARunStartsOnlyWhereItsAudienceCanBeMailed(t *testing.T) {
	itLead := &journey.Audience{Personas: []string{"it-lead", "cfo"}}
	for _, tc := range []struct {
		name            string
		audience        *journey.Audience
		rc              store.RunContext
		status, wantWhy string
	}{
		{"no audience, a reachable contact", nil, store.RunContext{Reachable: true}, "", ""},
		{"no audience, every address suppressed", nil, store.RunContext{}, EnrolSuppressed, ""},
		{"audience met", itLead, store.RunContext{Reachable: true, Personas: []string{"it-lead", "ops-lead"}, ReachablePersonas: []string{"it-lead"}}, "", ""},
		{"no contact of the audience", itLead, store.RunContext{Reachable: true, Personas: []string{"ops-lead"}, ReachablePersonas: []string{"ops-lead"}},
			EnrolIneligible, "no contact of the audience (it-lead, cfo)"},
		{"no contact with any persona", itLead, store.RunContext{Reachable: true}, EnrolIneligible, "no contact of the audience (it-lead, cfo)"},
		{"the audience's contacts are all suppressed", itLead, store.RunContext{Reachable: true, Personas: []string{"cfo", "ops-lead"}, ReachablePersonas: []string{"ops-lead"}},
			EnrolSuppressed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, why := audienceStatus(tc.audience, tc.rc)
			if status != tc.status || why != tc.wantWhy {
				t.Fatalf("audienceStatus = %q, %q; want %q, %q", status, why, tc.status, tc.wantWhy)
			}
		})
	}
}
