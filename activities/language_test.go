package activities_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
)

// A contact's locale comes from a CRM, written however it was written there:
// regional variants, POSIX locales and related languages take the language
// they belong to, which the first two letters alone do not tell.
func TestTheFooterSpeaksTheLanguageOfTheContactsLocale(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	german := []string{"Demo vereinbaren", "Preisindikation anfragen", "Abmelden"}
	english := []string{"Book a demo", "Get a price indication", "Unsubscribe"}
	for i, c := range []struct {
		locale string
		want   []string
	}{
		{"de", german},
		{"de-AT", german},
		{"de_CH", german},
		{"de_DE.UTF-8", german},
		{" de-AT ", german},
		{"gsw", german},  // Swiss German
		{"dsb", english}, // Lower Sorbian: not German for starting with "d", "e"
		{"en-GB", english},
		{"", english},
		{"fr", english},
		{"not a locale", english},
	} {
		t.Run(fmt.Sprintf("%q", c.locale), func(t *testing.T) {
			require.NoError(t, f.st.PutCustomer(ctx, store.Customer{ID: "acme", Name: "Acme GmbH",
				Owner:    store.Owner{ID: "rep-eva", Name: "Eva Berger", Email: "eva@seller.example"},
				Contacts: []store.Contact{{ID: "acme-max", Email: "max@acme.example", FirstName: "Max", Timezone: "Europe/Berlin", Locale: c.locale}}}))
			_, err := f.acts.SendContent(ctx, sendReq(fmt.Sprintf("step-%d", i), "checklist", 1))
			require.NoError(t, err)
			msgs := f.sg.Messages()
			m := msgs[len(msgs)-1]
			for _, w := range c.want {
				require.Contains(t, m.HTML, w)
				require.Contains(t, m.Text, w+": https://ripen.example/")
			}
		})
	}
}
