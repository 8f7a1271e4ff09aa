package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultURL is the local development database.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/ripen?sslmode=disable"

// Store is ripen's PostgreSQL store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to the database at url (a postgres:// URL or a key=value DSN;
// pool settings such as pool_max_conns may be given in it) and checks that it
// answers. It does not migrate: see Migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse database URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", where(cfg.ConnConfig), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, unreachable(cfg.ConnConfig, err)
	}
	return &Store{pool: pool}, nil
}

// New wraps an existing pool; Close closes it.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Close closes every connection.
func (s *Store) Close() { s.pool.Close() }

// Pool is the underlying connection pool, for callers that need plain SQL.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", where(s.pool.Config().ConnConfig), err)
	}
	return nil
}

// EnsureDatabase creates the database that url names if it does not exist
// yet, connecting to the same server's "postgres" database to do so. Several
// processes may call it at once. An unreachable server is an error that says
// where it looked.
func EnsureDatabase(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("store: parse database URL: %w", err)
	}
	name := cfg.Database
	if name == "" {
		return fmt.Errorf("store: database URL names no database")
	}

	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx) // it exists
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != pgInvalidCatalogName {
		return fmt.Errorf("store: cannot reach PostgreSQL at %s: %w", where(cfg), err)
	}

	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err = pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("store: cannot reach PostgreSQL at %s: %w", where(admin), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if errors.As(err, &pe) && (pe.Code == pgDuplicateDatabase || pe.Code == pgUniqueViolation) {
		return nil // created by someone else meanwhile
	}
	if err != nil {
		return fmt.Errorf("store: create database %q on %s: %w", name, where(admin), err)
	}
	return nil
}

// unreachable says that the database at cfg did not answer, and what to do
// when it does not exist yet.
func unreachable(cfg *pgx.ConnConfig, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == pgInvalidCatalogName {
		return fmt.Errorf("store: database %q does not exist on PostgreSQL at %s: "+
			"create it with `ripen migrate --create-database` (or CREATE DATABASE): %w",
			cfg.Database, where(cfg), err)
	}
	return fmt.Errorf("store: cannot reach PostgreSQL at %s: %w", where(cfg), err)
}

// where describes a connection target without its password.
func where(cfg *pgx.ConnConfig) string {
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))) + "/" + cfg.Database
}

// Page selects one page of a list ordered by ID: the records after After (""
// for the first page), at most Limit of them (0 means DefaultLimit; more than
// MaxLimit is cut to MaxLimit). The next page starts after the last ID seen.
type Page struct {
	After string
	Limit int
}

// Page limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

func (p Page) limit() int { return clampLimit(p.Limit) }

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	default:
		return n
	}
}

// inTx runs fn in a transaction, committing when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// nonNil returns an empty slice for nil, so text[] columns get '{}' not NULL.
func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
