package store

import (
	"context"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/ripen/ripen/journey"
)

// CatalogueProduct is a product the company sells. Journeys offer, require
// and aim at products of the catalogue, customers own them and orders add
// them, so a misspelt product ID is an error where it is written instead of
// a cross-sell that every account qualifies for.
type CatalogueProduct struct {
	ID          string `json:"id" db:"id"`
	Name        string `json:"name" db:"name"`
	Description string `json:"description" db:"description"`
}

// Bounds of a catalogue entry's texts, as the schema checks them.
const (
	maxProductName        = 200
	maxProductDescription = 2000
)

const sqlPutProduct = `
INSERT INTO products (id, name, description)
VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET
    name        = EXCLUDED.name,
    description = EXCLUDED.description,
    updated_at  = now()`

// PutProduct creates or replaces a catalogue entry. Every mistake is
// reported at once as FieldErrors (ErrInvalid).
func (s *Store) PutProduct(ctx context.Context, p CatalogueProduct) error {
	check := &fieldCheck{record: "product", recordID: p.ID}
	check.id("id", p.ID)
	check.required("name", p.Name)
	if utf8.RuneCountInString(p.Name) > maxProductName {
		check.add("name", fmt.Sprintf("at most %d characters", maxProductName))
	}
	if utf8.RuneCountInString(p.Description) > maxProductDescription {
		check.add("description", fmt.Sprintf("at most %d characters", maxProductDescription))
	}
	if err := check.err(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, sqlPutProduct, p.ID, p.Name, p.Description)
	return pgErr("put", "product", p.ID, err)
}

const sqlGetProduct = `
SELECT id, name, description
FROM products
WHERE id = $1`

// GetProduct returns the catalogue entry with id, or ErrNotFound.
func (s *Store) GetProduct(ctx context.Context, id string) (CatalogueProduct, error) {
	rows, _ := s.pool.Query(ctx, sqlGetProduct, id)
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[CatalogueProduct])
	return p, pgErr("get", "product", id, err)
}

const sqlListProducts = `
SELECT id, name, description
FROM products
WHERE id > $1
ORDER BY id
LIMIT $2`

// ListProducts returns one page of the catalogue ordered by ID.
func (s *Store) ListProducts(ctx context.Context, page Page) ([]CatalogueProduct, error) {
	rows, _ := s.pool.Query(ctx, sqlListProducts, page.After, page.limit())
	ps, err := pgx.CollectRows(rows, pgx.RowToStructByName[CatalogueProduct])
	return ps, pgErr("list", "products", "", err)
}

const sqlMissingProducts = `
SELECT DISTINCT ON (id) id
FROM unnest($1::text[]) AS wanted (id)
WHERE NOT EXISTS (SELECT FROM products p WHERE p.id = wanted.id)
ORDER BY id`

// MissingProducts returns those of ids that are not in the catalogue,
// sorted and without repeats, so a journey or a batch of orders is checked
// in one query.
func (s *Store) MissingProducts(ctx context.Context, ids []string) ([]string, error) {
	rows, _ := s.pool.Query(ctx, sqlMissingProducts, nonNil(ids))
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return missing, pgErr("check", "products", "", err)
}

// checkCatalogued names each of a customer's products that the catalogue
// lacks, at its own field (products[2].product), in the customer's
// transaction.
func checkCatalogued(ctx context.Context, tx pgx.Tx, check *fieldCheck, products []Product) error {
	if len(products) == 0 {
		return nil
	}
	ids := make([]string, 0, len(products))
	for _, p := range products {
		ids = append(ids, p.Product)
	}
	rows, _ := tx.Query(ctx, sqlMissingProducts, ids)
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("check customer products: %w", err)
	}
	for i, p := range products {
		// A malformed ID is named by its own rule already.
		if isID(p.Product) && slices.Contains(missing, p.Product) {
			check.add(fmt.Sprintf("products[%d].product", i), journey.UnknownProduct(p.Product))
		}
	}
	return nil
}

// MissingSet asks missing (MissingContent, MissingPersonas, MissingProducts,
// MissingCustomers) which of ids the store lacks, as a set; no IDs ask
// nothing. A use case checks every reference of a request with one query
// per kind, then names each missing one at its own field.
func MissingSet(ctx context.Context, missing func(context.Context, []string) ([]string, error), ids []string) (map[string]bool, error) {
	set := map[string]bool{}
	if len(ids) == 0 {
		return set, nil
	}
	gone, err := missing(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range gone {
		set[id] = true
	}
	return set, nil
}
