package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"

	"github.com/pressly/goose/v3"
)

// SchemaStatus compares the database's schema version with the newest
// migration this binary embeds.
type SchemaStatus struct {
	// Database is the newest migration applied to the database (0: none).
	Database int64
	// Binary is the newest migration embedded in this binary.
	Binary int64
}

// Behind says the database misses migrations this binary needs: run
// `ripen migrate`.
func (s SchemaStatus) Behind() bool { return s.Database < s.Binary }

// Ahead says a newer ripen migrated the database: this binary is older than
// the schema (fine during a rolling update, since migrations only add).
func (s SchemaStatus) Ahead() bool { return s.Database > s.Binary }

func (s SchemaStatus) String() string {
	switch {
	case s.Behind():
		return fmt.Sprintf("the database schema is at version %d, this ripen needs %d: run `ripen migrate` (the ripen-migrate Job on Kubernetes) first", s.Database, s.Binary)
	case s.Ahead():
		return fmt.Sprintf("the database schema is at version %d, newer than this ripen's %d: an older release runs against a newer schema", s.Database, s.Binary)
	}
	return fmt.Sprintf("the database schema is at version %d, as this ripen expects", s.Database)
}

// SchemaStatus reads the database's schema version without changing
// anything (unlike goose, it creates no version table), so a role without
// DDL rights can call it.
func (s *Store) SchemaStatus(ctx context.Context) (SchemaStatus, error) {
	st := SchemaStatus{Binary: embeddedSchemaVersion()}
	var table *string
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('goose_db_version')::text`).Scan(&table); err != nil {
		return st, fmt.Errorf("store: read schema version of %s: %w", where(s.pool.Config().ConnConfig), err)
	}
	if table == nil {
		return st, nil // never migrated
	}
	var v *int64
	if err := s.pool.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&v); err != nil {
		return st, fmt.Errorf("store: read schema version of %s: %w", where(s.pool.Config().ConnConfig), err)
	}
	if v != nil {
		st.Database = *v
	}
	return st, nil
}

// embeddedSchemaVersion is the version of the newest embedded migration.
func embeddedSchemaVersion() int64 {
	var newest int64
	names, _ := fs.Glob(Migrations, "*.sql")
	for _, name := range names {
		if v, err := goose.NumericComponent(path.Base(name)); err == nil && v > newest {
			newest = v
		}
	}
	return newest
}
