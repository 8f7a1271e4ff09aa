package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
)

// productProblems lists the field and message of each mistake err reports.
func productProblems(t *testing.T, err error) map[string]string {
	t.Helper()
	require.ErrorIs(t, err, store.ErrInvalid, "error: %v", err)
	var fe store.FieldErrors
	require.True(t, errors.As(err, &fe), "error: %v", err)
	out := map[string]string{}
	for _, e := range fe {
		out[e.Field] = e.Msg
	}
	return out
}

func TestCustomerProducts(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	owned := []store.Product{
		{Product: "erp-core", Since: "2024-03-01", RenewsAt: "2027-03-01"},
		{Product: "automation-suite", Since: "2025-01-15"},
	}

	t.Run("products round trip with the customer, in the order written", func(t *testing.T) {
		c := f.customer
		c.Products = owned
		require.NoError(t, f.s.PutCustomer(ctx, c))
		got, err := f.s.GetCustomer(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, owned, got.Products)
		list, err := f.s.ListCustomers(ctx, store.Page{})
		require.NoError(t, err)
		require.Equal(t, owned, list[0].Products)
		byCustomer, err := f.s.OwnedProducts(ctx, []string{c.ID, "nobody"})
		require.NoError(t, err)
		require.Equal(t, map[string][]string{c.ID: {"automation-suite", "erp-core"}}, byCustomer)
	})
	t.Run("a write without products keeps them; an empty list clears them", func(t *testing.T) {
		c := f.customer
		c.Products = nil
		c.Name = "Acme AG"
		require.NoError(t, f.s.PutCustomer(ctx, c))
		got, err := f.s.GetCustomer(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, owned, got.Products)

		c.Products = []store.Product{}
		require.NoError(t, f.s.PutCustomer(ctx, c))
		got, err = f.s.GetCustomer(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, []store.Product{}, got.Products)
	})
	t.Run("a list replaces the products", func(t *testing.T) {
		c := f.customer
		c.Products = owned
		require.NoError(t, f.s.PutCustomer(ctx, c))
		c.Products = []store.Product{{Product: "reporting-edition", Since: "2026-01-01"}}
		require.NoError(t, f.s.PutCustomer(ctx, c))
		got, err := f.s.GetCustomer(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, c.Products, got.Products)
	})
	t.Run("every bad field is named at its product, and nothing is written", func(t *testing.T) {
		c := f.customer
		c.Name = "Changed"
		c.Products = []store.Product{
			{Product: "erp-core", Since: "2024-03-01"},
			{Product: "erp core", Since: "01.03.2024"},
			{Product: "erp-core", Since: "2024-03-01", RenewsAt: "2023-03-01"},
			{Product: "crm", RenewsAt: "soon"},
		}
		probs := productProblems(t, f.s.PutCustomer(ctx, c))
		require.Equal(t, map[string]string{
			"products[1].product":   "must be 1 to 200 characters without '/' or whitespace",
			"products[1].since":     `"01.03.2024" is not a date: want YYYY-MM-DD`,
			"products[2].product":   `product "erp-core" is listed twice`,
			"products[2].renews_at": "must not be before since (2024-03-01)",
			"products[3].since":     "is required: the date the account bought it (YYYY-MM-DD)",
			"products[3].renews_at": `"soon" is not a date: want YYYY-MM-DD`,
		}, probs)
		got, err := f.s.GetCustomer(ctx, c.ID)
		require.NoError(t, err)
		require.NotEqual(t, "Changed", got.Name)
	})
}

func TestAnOrderAddsItsProductToTheAccount(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.customer
	c.Products = []store.Product{{Product: "erp-core", Since: "2024-03-01", RenewsAt: "2027-03-01"}}
	require.NoError(t, f.s.PutCustomer(ctx, c))

	at := time.Date(2026, 5, 4, 23, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	order := store.Event{ID: "order-1", CustomerID: c.ID, Type: store.OrderType, Product: "automation-suite", OccurredAt: at}
	_, _, err := f.s.InsertEvents(ctx, []store.Event{order})
	require.NoError(t, err)
	stored, err := f.s.GetEvent(ctx, "order-1")
	require.NoError(t, err)
	require.Equal(t, "automation-suite", stored.Product)

	orders := []store.Order{
		{CustomerID: c.ID, Product: "automation-suite", At: at},
		{CustomerID: c.ID, Product: "erp-core", At: at}, // a renewal: the first purchase stays
	}
	require.NoError(t, f.s.AddOrders(ctx, orders))
	require.NoError(t, f.s.AddOrders(ctx, orders), "adding an order again changes nothing")
	got, err := f.s.GetCustomer(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Product{
		{Product: "erp-core", Since: "2024-03-01", RenewsAt: "2027-03-01"},
		{Product: "automation-suite", Since: "2026-05-04"},
	}, got.Products)
}

func TestAnOrderNamesItsProduct(t *testing.T) {
	at := time.Now()
	for name, tc := range map[string]struct {
		event store.Event
		want  string
	}{
		"an order without a product": {store.Event{ID: "o", CustomerID: "acme", Type: store.OrderType, OccurredAt: at},
			"is required for an order: the product ordered"},
		"an order of a product with a space": {store.Event{ID: "o", CustomerID: "acme", Type: store.OrderType, Product: "erp core", OccurredAt: at},
			"a product ID must be 1 to 200 characters without '/' or whitespace"},
		"a click with a product": {store.Event{ID: "o", CustomerID: "acme", Type: "click", Product: "erp-core", OccurredAt: at},
			"only an order names a product"},
	} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, []store.EventProblem{{Field: "product", Msg: tc.want}}, store.EventProblems(tc.event))
		})
	}
}

func TestTheProductCatalogue(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()

	t.Run("a product is put, read and listed in ID order", func(t *testing.T) {
		p := store.CatalogueProduct{ID: "automation-suite", Name: "Automation Suite", Description: "Order entry on autopilot"}
		require.NoError(t, f.s.PutProduct(ctx, p))
		got, err := f.s.GetProduct(ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)
		list, err := f.s.ListProducts(ctx, store.Page{After: "b", Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []string{"crm", "erp-core"}, []string{list[0].ID, list[1].ID})
	})

	t.Run("every bad field of a product is named at once", func(t *testing.T) {
		probs := productProblems(t, f.s.PutProduct(ctx, store.CatalogueProduct{ID: "erp core", Description: strings.Repeat("x", 2001)}))
		require.Equal(t, map[string]string{
			"id":          "must be 1 to 200 characters without '/' or whitespace",
			"name":        "is required",
			"description": "at most 2000 characters",
		}, probs)
		_, err := f.s.GetProduct(ctx, "ghost")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("which products the catalogue lacks, each once", func(t *testing.T) {
		missing, err := f.s.MissingProducts(ctx, []string{"erp-cor", "erp-core", "erp-cor", "hr"})
		require.NoError(t, err)
		require.Equal(t, []string{"erp-cor", "hr"}, missing)
	})

	t.Run("a customer owning an uncatalogued product is refused at that product, and nothing is written", func(t *testing.T) {
		c := f.customer
		c.Name = "Changed"
		c.Products = []store.Product{{Product: "erp-core", Since: "2024-03-01"}, {Product: "erp-cor", Since: "2024-03-01"}}
		probs := productProblems(t, f.s.PutCustomer(ctx, c))
		require.Equal(t, map[string]string{
			"products[1].product": `unknown product "erp-cor": add it to the catalogue first (PUT /v1/products/erp-cor)`,
		}, probs)
		got, err := f.s.GetCustomer(ctx, c.ID)
		require.NoError(t, err)
		require.NotEqual(t, "Changed", got.Name)
	})
}
