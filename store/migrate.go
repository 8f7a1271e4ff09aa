package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var embedded embed.FS

// Migrations are the schema migrations, versioned SQL files applied by goose.
var Migrations, _ = fs.Sub(embedded, "migrations")

// Migrate brings the database at url up to the newest schema. It is
// idempotent, and safe to run from several processes at once: a Postgres
// advisory lock lets one of them migrate while the others wait, then find
// nothing left to do.
func Migrate(ctx context.Context, url string) error {
	_, _, err := ApplyMigrations(ctx, url)
	return err
}

// ApplyMigrations is Migrate that also reports the migrations it applied (file
// names, in order) and the schema version the database is at afterwards.
func ApplyMigrations(ctx context.Context, url string) (applied []string, version int64, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, 0, fmt.Errorf("store: parse database URL: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return nil, 0, unreachable(cfg, err)
	}

	// Waiting for another migrator: retry the lock every second, up to 5 minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, 0, fmt.Errorf("store: migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, Migrations,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	)
	if err != nil {
		return nil, 0, fmt.Errorf("store: load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			applied = append(applied, path.Base(r.Source.Path))
		}
	}
	if err != nil {
		return applied, 0, fmt.Errorf("store: migrate %s: %w", where(cfg), err)
	}
	version, err = provider.GetDBVersion(ctx)
	if err != nil {
		return applied, 0, fmt.Errorf("store: read schema version of %s: %w", where(cfg), err)
	}
	return applied, version, nil
}
