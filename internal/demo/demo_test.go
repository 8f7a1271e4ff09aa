package demo_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/internal/demo"
	"github.com/ripen/ripen/internal/demosite"
	"github.com/ripen/ripen/sites"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// The demo is a buying group per account whose people get different
// emails: every record must be valid, and seeding twice changes nothing.
func TestDemoSeedsBuyingGroupsWithVariants(t *testing.T) {
	st := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, demo.Seed(ctx, st, demo.Website))
	require.NoError(t, demo.Seed(ctx, st, demo.Website), "seeding again")

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

// The demo content links to the demo company's website wherever it is
// served, each link to a page about the content's topic, and the website
// is registered so that a click on one carries the reader's identity.
func TestDemoContentLeadsToTheRegisteredWebsite(t *testing.T) {
	st := storetest.NewDB(t)
	ctx := t.Context()
	const website = "http://127.0.0.1:18090"
	require.NoError(t, demo.Seed(ctx, st, website))

	site, err := sites.New(st).Get(ctx, demosite.SiteID)
	require.NoError(t, err)
	require.Equal(t, []string{website}, site.Origins)
	require.Equal(t, sites.ConsentRequired, site.Consent)
	registered, err := sites.New(st).Registered(ctx, website)
	require.NoError(t, err)
	require.True(t, registered)

	srv := httptest.NewServer(demosite.Handler("http://127.0.0.1:18080"))
	defer srv.Close()
	content, err := st.ListContent(ctx, store.Page{Limit: store.MaxLimit})
	require.NoError(t, err)
	require.NotEmpty(t, content)
	for _, c := range content {
		path, ok := strings.CutPrefix(c.URL, website)
		require.True(t, ok, "%s links to %s, not to the website", c.ID, c.URL)
		require.Equal(t, c.Topic, site.TopicOf(path), "%s links to a page about another topic", c.ID)
		resp, err := srv.Client().Get(srv.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s links to %s", c.ID, path)
	}

	// Without a website the links stay where ripen-dev serves it by default.
	st = storetest.NewDB(t)
	require.NoError(t, demo.Seed(ctx, st, ""))
	c, err := st.GetContent(ctx, "automation-checklist")
	require.NoError(t, err)
	require.Equal(t, demo.Website+"/automation/checklist", c.URL)
	_, err = sites.New(st).Get(ctx, demosite.SiteID)
	require.ErrorIs(t, err, store.ErrNotFound)
}
