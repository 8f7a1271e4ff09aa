package demo_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/internal/demo"
	"github.com/ripen/ripen/store/storetest"
)

// The demo is a buying group per account whose people get different
// emails: every record must be valid, and seeding twice changes nothing.
func TestDemoSeedsBuyingGroupsWithVariants(t *testing.T) {
	st := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, demo.Seed(ctx, st))
	require.NoError(t, demo.Seed(ctx, st), "seeding again")

	acme, err := st.GetCustomer(ctx, "acme")
	require.NoError(t, err)
	personas := map[string]string{}
	for _, ct := range acme.Contacts {
		personas[ct.ID] = acme.PersonaOf(ct)
	}
	require.Equal(t, map[string]string{"acme-max": "ops-lead", "acme-ina": "it-lead", "acme-fiona": "finance-lead"}, personas)

	checklist, err := st.GetContent(ctx, "automation-checklist")
	require.NoError(t, err)
	choose := func(contact string) string {
		for _, ct := range acme.Contacts {
			if ct.ID == contact {
				_, label := checklist.EmailFor(acme.PersonaOf(ct), ct.Locale)
				return label
			}
		}
		t.Fatalf("no contact %s", contact)
		return ""
	}
	require.Equal(t, "it-lead/de", choose("acme-ina"), "Ina, an Austrian IT lead")
	require.Equal(t, "de", choose("acme-max"), "Max, a German operations lead")
	require.Equal(t, "base", choose("acme-fiona"))
}
