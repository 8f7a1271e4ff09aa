package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// What is kept of an anonymous visitor is bounded (the first views are
// kept), read back oldest first, and pruned by age; an identity names a
// contact until a later one replaces it.
func TestAnonymousViewsAreBoundedAndPruned(t *testing.T) {
	s := storetest.NewDB(t)
	ctx := t.Context()
	require.NoError(t, s.PutPersona(ctx, store.Persona{ID: "ops-lead", Name: "Head of Operations"}))
	require.NoError(t, s.PutCustomer(ctx, customer("acme")))
	_, err := s.PutSite(ctx, store.SiteRecord{ID: "www", Origins: []string{"https://www.example.com"}, Topics: json.RawMessage(`[]`), Consent: "required"})
	require.NoError(t, err)

	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	const visitor = "v-0123456789abcdef"
	for i := range 5 {
		_, known, kept, err := s.TakeWebView(ctx, store.WebView{SiteID: "www", VisitorID: visitor, Kind: "visit",
			Page: "https://www.example.com/p", OccurredAt: t0.Add(time.Duration(i) * 24 * time.Hour)}, 3)
		require.NoError(t, err)
		require.False(t, known)
		require.Equal(t, i < 3, kept, "view %d", i)
	}
	views, err := s.WebViewsOf(ctx, "www", visitor, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, views, 2, "the first three are kept; two of them after the first hour")
	require.True(t, views[0].OccurredAt.Before(views[1].OccurredAt))

	n, err := s.PruneWebViews(ctx, t0.Add(36*time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 2, n)

	_, known, err := s.VisitorContact(ctx, "www", visitor)
	require.NoError(t, err)
	require.False(t, known)
	require.NoError(t, s.IdentifyVisitor(ctx, "www", visitor, store.ContactRef{CustomerID: "acme", ContactID: "acme-max"}))
	require.NoError(t, s.IdentifyVisitor(ctx, "www", visitor, store.ContactRef{CustomerID: "acme", ContactID: "acme-ina"}))
	ref, known, err := s.VisitorContact(ctx, "www", visitor)
	require.NoError(t, err)
	require.True(t, known)
	require.Equal(t, "acme-ina", ref.ContactID, "a later identity replaces an earlier one")
	ref, known, kept, err := s.TakeWebView(ctx, store.WebView{SiteID: "www", VisitorID: visitor, Kind: "visit",
		Page: "https://www.example.com/q", OccurredAt: t0.Add(40 * time.Hour)}, 3)
	require.NoError(t, err)
	require.True(t, known)
	require.False(t, kept, "a known visitor's view is not kept: it is engagement")
	require.Equal(t, "acme-ina", ref.ContactID)

	require.NoError(t, s.DeleteSite(ctx, "www"))
	_, known, err = s.VisitorContact(ctx, "www", visitor)
	require.NoError(t, err)
	require.False(t, known, "deleting a site forgets its visitors")
}
