// Package storetest gives tests a fresh, migrated PostgreSQL database of
// their own on the server named by DATABASE_URL (by default the local
// postgres://postgres@127.0.0.1:5432/postgres), dropped when the test ends.
//
// Database names are random, so any number of test packages may run at once
// against the same server. Runs and Events read back records that ripen
// itself never lists, so tests can check what was stored.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ripen/ripen/store"
)

// DefaultURL is the server used when DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL is DATABASE_URL, or DefaultURL. Only its server and settings
// matter: test databases are created and dropped from the server's
// "postgres" database.
func ServerURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// NewDB creates a fresh database, migrates it and opens a Store on it. The
// store is closed and the database dropped when the test ends.
func NewDB(t testing.TB) *store.Store {
	t.Helper()
	url := NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := store.Migrate(ctx, url); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// NewDatabase creates a fresh, empty database and returns its URL. The
// database is dropped, with any connections still open to it, when the test
// ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	cfg, err := pgx.ParseConfig(ServerURL())
	if err != nil {
		t.Fatalf("storetest: DATABASE_URL: %v", err)
	}
	cfg.Database = "postgres" // create and drop from the maintenance database
	name := databaseName(t.Name())
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("storetest: cannot reach PostgreSQL (set DATABASE_URL): %v", err)
	}
	defer conn.Close(context.Background())
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, create)
		var pe *pgconn.PgError
		// 55006: the template database is briefly busy with another creation.
		if err == nil || !errors.As(err, &pe) || pe.Code != "55006" || attempt == 20 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("storetest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { dropDatabase(t, cfg, name) })

	u, err := withDatabase(ServerURL(), name)
	if err != nil {
		t.Fatalf("storetest: DATABASE_URL: %v", err)
	}
	return u
}

func dropDatabase(t testing.TB, cfg *pgx.ConnConfig, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Errorf("storetest: drop database %s: %v", name, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("storetest: drop database %s: %v", name, err)
	}
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// databaseName is "ripen_test_", a hint of the test's name and random hex,
// within Postgres' 63-byte limit.
func databaseName(testName string) string {
	hint := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(testName), "_"), "_")
	if len(hint) > 32 {
		hint = hint[:32]
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "ripen_test_" + hint + "_" + hex.EncodeToString(b[:])
}

// withDatabase returns the server URL (a URL or a keyword/value DSN) with its
// database replaced by name, keeping every other setting.
func withDatabase(server, name string) (string, error) {
	if strings.HasPrefix(server, "postgres://") || strings.HasPrefix(server, "postgresql://") {
		u, err := url.Parse(server)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	return server + " dbname=" + name, nil // the last keyword wins
}
