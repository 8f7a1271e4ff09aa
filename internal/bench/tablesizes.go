package bench

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// TableSize is one of ripen's tables at the end of the benchmark: its rows
// and its size on disk with indexes and TOAST (pg_total_relation_size; a
// partitioned table's partitions added up). BytesPerRow is what a capacity
// model multiplies by rows to come: it carries each table's index and
// page overhead, but on tables of a few rows it is mostly empty pages.
// AvgRowBytes is the rows' own data (avg(pg_column_size(row))), without
// tuple headers, pages or indexes: a floor for such small tables.
type TableSize struct {
	Table       string  `json:"table"`
	Rows        int64   `json:"rows"`
	Bytes       int64   `json:"bytes"`
	BytesPerRow float64 `json:"bytes_per_row"`
	AvgRowBytes float64 `json:"avg_row_bytes"`
}

// tableSizes records every table of ripen's schema (not goose's version
// table) with its row count and size.
func (b *bench) tableSizes(ctx context.Context) error {
	pool := b.st.Store.Pool()
	rows, err := pool.Query(ctx, `
		SELECT c.relname,
		       CASE WHEN c.relkind = 'p'
		            THEN (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)::bigint FROM pg_partition_tree(c.oid) t)
		            ELSE pg_total_relation_size(c.oid) END
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND c.relname <> 'goose_db_version'
		ORDER BY c.relname`)
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	sizes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TableSize, error) {
		var t TableSize
		return t, r.Scan(&t.Table, &t.Bytes)
	})
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	for i := range sizes {
		t := &sizes[i]
		name := pgx.Identifier{t.Table}.Sanitize()
		err := pool.QueryRow(ctx, `SELECT count(*), coalesce(avg(pg_column_size(t.*)), 0)::float8 FROM `+name+` t`).Scan(&t.Rows, &t.AvgRowBytes)
		if err != nil {
			return fmt.Errorf("count rows of %s: %w", t.Table, err)
		}
		t.AvgRowBytes = round3(t.AvgRowBytes)
		if t.Rows > 0 {
			t.BytesPerRow = round3(float64(t.Bytes) / float64(t.Rows))
		}
	}
	b.rep.TableSizes = sizes
	var total int64
	for _, t := range sizes {
		total += t.Bytes
	}
	b.progress("table sizes: %d tables, %.1f MiB", len(sizes), mib(total))
	return nil
}
