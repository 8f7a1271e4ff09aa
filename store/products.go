package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Product is a product an account owns: since when, and when it renews
// ("" when it does not). Dates are calendar days, "2006-01-02".
type Product struct {
	Product  string `json:"product"`
	Since    string `json:"since"`
	RenewsAt string `json:"renews_at,omitempty"`
}

// dateLayout is how the products' dates are written and read.
const dateLayout = time.DateOnly

// OrderType is the event type of an order: its Product is added to what the
// account owns, since the order's time.
const OrderType = "order"

// checkProducts finds every mistake of a customer's products, each at its
// own field (products[1].since), as the schema would refuse them one at a
// time: product IDs, each listed once, a since date, and a renewal date,
// if any, not before it.
func checkProducts(check *fieldCheck, products []Product) {
	seen := make(map[string]bool, len(products))
	for i, p := range products {
		at := func(field string) string { return fmt.Sprintf("products[%d].%s", i, field) }
		switch {
		case seen[p.Product]:
			check.add(at("product"), fmt.Sprintf("product %q is listed twice", p.Product))
		default:
			check.id(at("product"), p.Product)
		}
		seen[p.Product] = true
		since, sinceErr := time.Parse(dateLayout, p.Since)
		switch {
		case p.Since == "":
			check.add(at("since"), "is required: the date the account bought it (YYYY-MM-DD)")
		case sinceErr != nil:
			check.add(at("since"), fmt.Sprintf("%q is not a date: want YYYY-MM-DD", p.Since))
		}
		if p.RenewsAt == "" {
			continue
		}
		switch renews, err := time.Parse(dateLayout, p.RenewsAt); {
		case err != nil:
			check.add(at("renews_at"), fmt.Sprintf("%q is not a date: want YYYY-MM-DD", p.RenewsAt))
		case sinceErr == nil && renews.Before(since):
			check.add(at("renews_at"), "must not be before since ("+p.Since+")")
		}
	}
}

const sqlDeleteProducts = `DELETE FROM customer_products WHERE customer_id = $1`

const sqlInsertProducts = `
INSERT INTO customer_products (customer_id, product, position, since, renews_at)
SELECT $1, p.product, p.position - 1, p.since::date, NULLIF(p.renews_at, '')::date
FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS p (product, since, renews_at, position)`

// putProducts replaces the customer's products with products, in the
// customer's transaction. A nil list (a write that leaves the field out)
// keeps what the account owns, so clients written before products existed,
// and orders recorded since the last write, lose nothing; an empty one
// clears it.
func putProducts(ctx context.Context, tx pgx.Tx, customerID string, products []Product) error {
	if products == nil {
		return nil
	}
	names := make([]string, len(products))
	since := make([]string, len(products))
	renews := make([]string, len(products))
	for i, p := range products {
		names[i], since[i], renews[i] = p.Product, p.Since, p.RenewsAt
	}
	if _, err := tx.Exec(ctx, sqlDeleteProducts, customerID); err != nil {
		return fmt.Errorf("replace products: %w", err)
	}
	if len(products) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, sqlInsertProducts, customerID, names, since, renews); err != nil {
		return withField(pgErr("put", "products", "", err), "products.", "customer", customerID)
	}
	return nil
}

const sqlCustomerProducts = `
SELECT customer_id, product, to_char(since, 'YYYY-MM-DD'), COALESCE(to_char(renews_at, 'YYYY-MM-DD'), '')
FROM customer_products
WHERE customer_id = ANY($1::text[])
ORDER BY customer_id, position, product`

// customerProducts returns the products of each of customerIDs, in the
// order they were written: an empty list, never nil, for one that owns
// none, so the API answers "products": [].
func (s *Store) customerProducts(ctx context.Context, customerIDs []string) (map[string][]Product, error) {
	rows, _ := s.pool.Query(ctx, sqlCustomerProducts, nonNil(customerIDs))
	out := make(map[string][]Product, len(customerIDs))
	for _, id := range customerIDs {
		out[id] = []Product{}
	}
	var customerID string
	var p Product
	_, err := pgx.ForEachRow(rows, []any{&customerID, &p.Product, &p.Since, &p.RenewsAt}, func() error {
		out[customerID] = append(out[customerID], p)
		return nil
	})
	if err != nil {
		return nil, pgErr("read", "customer products", "", err)
	}
	return out, nil
}

const sqlOwnedProducts = `
SELECT customer_id, array_agg(product ORDER BY product)
FROM customer_products
WHERE customer_id = ANY($1::text[])
GROUP BY customer_id`

// OwnedProducts returns the product IDs each of customerIDs owns, keyed by
// customer; a customer who owns nothing (or does not exist) is absent. It
// is one round trip however many customers are asked for, so an enrolment
// or a batch of events decides every account's eligibility at once.
func (s *Store) OwnedProducts(ctx context.Context, customerIDs []string) (map[string][]string, error) {
	rows, _ := s.pool.Query(ctx, sqlOwnedProducts, nonNil(customerIDs))
	out := map[string][]string{}
	var customerID string
	var products []string
	_, err := pgx.ForEachRow(rows, []any{&customerID, &products}, func() error {
		out[customerID] = products
		return nil
	})
	if err != nil {
		return nil, pgErr("read", "owned products", "", err)
	}
	return out, nil
}

// Order is a product an account ordered, and when.
type Order struct {
	CustomerID string
	Product    string
	At         time.Time
}

const sqlAddOrders = `
INSERT INTO customer_products (customer_id, product, position, since)
SELECT o.customer_id, o.product,
       COALESCE((SELECT max(position) + 1 FROM customer_products cp WHERE cp.customer_id = o.customer_id), 0),
       (min(o.at) AT TIME ZONE 'UTC')::date
FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS o (customer_id, product, at)
GROUP BY o.customer_id, o.product
ON CONFLICT (customer_id, product) DO NOTHING`

// AddOrders adds each ordered product to what its account owns, since the
// day of the order (in UTC). A product the account owns already keeps its
// dates: an order of it is a renewal or more seats, not a first purchase.
// Adding an order again changes nothing, so a retried batch is safe.
func (s *Store) AddOrders(ctx context.Context, orders []Order) error {
	if len(orders) == 0 {
		return nil
	}
	customers := make([]string, len(orders))
	products := make([]string, len(orders))
	at := make([]time.Time, len(orders))
	for i, o := range orders {
		customers[i], products[i], at[i] = o.CustomerID, o.Product, o.At.UTC()
	}
	_, err := s.pool.Exec(ctx, sqlAddOrders, customers, products, at)
	return pgErr("add", "orders", "", err)
}

// productProblem is what the schema would refuse of an event's product
// (events_product_check), or "": an order names the product it ordered,
// other events name none.
func productProblem(e Event) string {
	switch {
	case e.Type != OrderType && e.Product != "":
		return "only an order names a product"
	case e.Type != OrderType:
		return ""
	case e.Product == "":
		return "is required for an order: the product ordered"
	case !cleanText(e.Product) || !isID(e.Product):
		return "a product ID " + idRule
	}
	return ""
}

// isID: the schema's rule for IDs (idRule).
func isID(s string) bool {
	check := &fieldCheck{}
	check.id("", s)
	return check.err() == nil
}
