package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
)

func TestDueRenewals(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	put := func(id string, products ...store.Product) {
		c := customer(id)
		c.Products = products
		require.NoError(t, f.s.PutCustomer(ctx, c))
	}
	put("soon", store.Product{Product: "erp-core", Since: "2024-01-01", RenewsAt: "2026-03-01"})
	put("today", store.Product{Product: "erp-core", Since: "2024-01-01", RenewsAt: "2026-01-01"})
	put("last-day", store.Product{Product: "erp-core", Since: "2024-01-01", RenewsAt: "2026-03-31"})
	put("later", store.Product{Product: "erp-core", Since: "2024-01-01", RenewsAt: "2026-07-20"})
	put("past", store.Product{Product: "erp-core", Since: "2024-01-01", RenewsAt: "2025-12-31"})
	put("never", store.Product{Product: "erp-core", Since: "2024-01-01"})
	put("other", store.Product{Product: "crm", Since: "2024-01-01", RenewsAt: "2026-02-01"})
	put("both",
		store.Product{Product: "crm", Since: "2024-01-01", RenewsAt: "2026-02-10"},
		store.Product{Product: "erp-core", Since: "2024-01-01", RenewsAt: "2026-02-01"})

	t.Run("accounts whose product renews between the two days, both included", func(t *testing.T) {
		got, err := f.s.DueRenewals(ctx, []string{"erp-core"}, "2026-01-01", "2026-03-31")
		require.NoError(t, err)
		require.Equal(t, []store.Renewal{
			{CustomerID: "both", RenewsAt: "2026-02-01"}, {CustomerID: "last-day", RenewsAt: "2026-03-31"},
			{CustomerID: "soon", RenewsAt: "2026-03-01"}, {CustomerID: "today", RenewsAt: "2026-01-01"},
		}, got)
	})
	t.Run("an account renewing several of the products counts once, at its first renewal", func(t *testing.T) {
		got, err := f.s.DueRenewals(ctx, []string{"crm", "erp-core"}, "2026-02-01", "2026-02-28")
		require.NoError(t, err)
		require.Equal(t, []store.Renewal{{CustomerID: "both", RenewsAt: "2026-02-01"}, {CustomerID: "other", RenewsAt: "2026-02-01"}}, got)
	})
	t.Run("no products, no renewals", func(t *testing.T) {
		got, err := f.s.DueRenewals(ctx, nil, "2026-01-01", "2026-12-31")
		require.NoError(t, err)
		require.Empty(t, got)
	})
}

func TestARenewalIsClaimedOnceUnlessItsEnrolmentDidNotStart(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	for _, id := range []string{"globex", "initech", "umbrella"} {
		require.NoError(t, f.s.PutCustomer(ctx, customer(id)))
	}
	j := f.journey.JourneyID
	acme := store.Renewal{CustomerID: "acme", RenewsAt: "2026-03-01"}
	globex := store.Renewal{CustomerID: "globex", RenewsAt: "2026-03-02"}
	initech := store.Renewal{CustomerID: "initech", RenewsAt: "2026-03-03"}
	umbrella := store.Renewal{CustomerID: "umbrella", RenewsAt: "2026-03-04"}
	all := []store.Renewal{acme, globex, initech, umbrella}

	claimed, err := f.s.ClaimRenewals(ctx, j, all)
	require.NoError(t, err)
	require.ElementsMatch(t, all, claimed, "the first claim takes every renewal")
	// acme started, globex was running already, initech failed, umbrella
	// was claimed and then the process stopped: no answer recorded.
	require.NoError(t, f.s.DecideRenewals(ctx, j, all, map[string]string{"acme": "started", "globex": "already-running", "initech": "failed"}))

	claimed, err = f.s.ClaimRenewals(ctx, j, all)
	require.NoError(t, err)
	require.ElementsMatch(t, []store.Renewal{initech, umbrella}, claimed, "only what did not start is claimed again")

	t.Run("the next renewal of the same account is a claim of its own", func(t *testing.T) {
		next := store.Renewal{CustomerID: "acme", RenewsAt: "2027-03-01"}
		claimed, err := f.s.ClaimRenewals(ctx, j, []store.Renewal{next})
		require.NoError(t, err)
		require.Equal(t, []store.Renewal{next}, claimed)
	})
	t.Run("the records say what happened and how often it was tried", func(t *testing.T) {
		got, err := f.s.RenewalEnrolments(ctx, j)
		require.NoError(t, err)
		require.Equal(t, []store.RenewalEnrolment{
			{Renewal: acme, Status: "started", Attempts: 1},
			{Renewal: store.Renewal{CustomerID: "acme", RenewsAt: "2027-03-01"}, Status: "pending", Attempts: 1},
			{Renewal: globex, Status: "already-running", Attempts: 1},
			{Renewal: initech, Status: "pending", Attempts: 2},
			{Renewal: umbrella, Status: "pending", Attempts: 2},
		}, got)
	})
}
