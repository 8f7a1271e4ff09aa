package store_test

import (
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// TestUpgradingCataloguesEveryProductAlreadyNamed is an installation from
// before the catalogue: its customers, orders and journeys name products,
// and after the upgrade every one of them is in the catalogue, so nothing
// that worked is refused.
func TestUpgradingCataloguesEveryProductAlreadyNamed(t *testing.T) {
	ctx := t.Context()
	url := storetest.NewDatabase(t)
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, store.Migrations, goose.WithDisableGlobalRegistry(true))
	require.NoError(t, err)
	_, err = provider.UpTo(ctx, 31)
	require.NoError(t, err)

	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `
INSERT INTO owners (id, email) VALUES ('rep-eva', 'eva@seller.example');
INSERT INTO customers (id, name, owner_id) VALUES ('acme', 'Acme GmbH', 'rep-eva');
INSERT INTO customer_products (customer_id, product, since) VALUES ('acme', 'erp-core', '2024-03-01');
INSERT INTO events (id, customer_id, type, product, occurred_at) VALUES ('o-1', 'acme', 'order', 'crm', now());
INSERT INTO journeys (id, latest_version) VALUES ('j', 1);
INSERT INTO journey_versions (journey_id, version, status, definition, published_at) VALUES ('j', 1, 'published',
  '{"id": "j", "offer": {"kind": "upsell", "product": "reporting-edition", "requires": ["erp-core", "hr-suite"]},
    "goal": {"event": "order", "product": "reporting-pro"}}', now());`)
	require.NoError(t, err)

	_, err = provider.Up(ctx)
	require.NoError(t, err)
	rows, _ := conn.Query(ctx, `SELECT id || '=' || name FROM products ORDER BY id`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{"crm=crm", "erp-core=erp-core", "hr-suite=hr-suite", "reporting-edition=reporting-edition", "reporting-pro=reporting-pro"}, got)
}
