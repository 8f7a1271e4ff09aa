package devtemporal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence"
	"go.temporal.io/server/common/persistence/serialization"
	sqlpersistence "go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/common/resolver"
	postgresschema "go.temporal.io/server/schema/postgresql/v12"
	schematool "go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

// Store names where the embedded server keeps its state.
type Store string

const (
	// StoreSQLite is one SQLite file (or memory): the one-command start.
	StoreSQLite Store = "sqlite"
	// StorePostgres is two databases on a PostgreSQL server, as a
	// self-hosted production cluster keeps them.
	StorePostgres Store = "postgres"
)

// ParseStore reads the --temporal-store flag; "" is SQLite.
func ParseStore(s string) (Store, error) {
	switch Store(s) {
	case "", StoreSQLite:
		return StoreSQLite, nil
	case StorePostgres:
		return StorePostgres, nil
	}
	return "", fmt.Errorf("temporal store %q: want sqlite or postgres", s)
}

// ParseShards reads the --temporal-shards flag: a history shard count from
// 1 to 16384 (production clusters use 512 to 4096).
func ParseShards(s string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 1 || n > 16384 {
		return 0, fmt.Errorf("temporal shards %q: want a number from 1 to 16384", s)
	}
	return int32(n), nil
}

// Postgres keeps the server's persistence in database Database and its
// (SQL) visibility in Database+"_visibility" on a PostgreSQL server. Both
// are created when missing; their schemas are set up and upgraded with
// the server's own schema tool, so a database made by an older server is
// brought up to date as temporal-sql-tool would.
type Postgres struct {
	// URL names the server and its credentials, as a URL or a key=value
	// DSN; its database is not used (e.g. config.DefaultDatabaseURL). It
	// must name a TCP host: the server's plugin cannot use a socket path.
	URL string
	// Database is the persistence database, e.g. ripen_temporal.
	Database string
	// MaxConns bounds each connection pool (default 10). The server opens
	// one pool per service and store: up to 8 × MaxConns connections, and
	// Postgres allows 100 by default.
	MaxConns int
}

// PostgresFor is the Temporal store that goes with ripen's database: on
// the same server, in <database>_temporal and <database>_temporal_visibility,
// so a fresh ripen database (a benchmark's, a chaos run's) gets a fresh
// Temporal too, and the names say what belongs together. A database name
// longer than 43 bytes is shortened, with a hash of it.
func PostgresFor(databaseURL string) (Postgres, error) {
	pc, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return Postgres{}, fmt.Errorf("temporal on postgres: database URL: %w", err)
	}
	name := pc.Database
	if len(name) > 43 {
		// Postgres cuts names at 63 bytes, and <name>_temporal_visibility
		// must stay apart from another long name's: keep a hash of the rest.
		sum := sha256.Sum256([]byte(name))
		name = name[:34] + "_" + hex.EncodeToString(sum[:4])
	}
	p := Postgres{URL: databaseURL, Database: name + "_temporal"}
	return p, p.check()
}

// VisibilityDatabase is the database of the visibility store.
func (p Postgres) VisibilityDatabase() string { return p.Database + "_visibility" }

// DefaultPostgresShards is the history shard count of a new Postgres
// cluster: more than one lets history work proceed in parallel on a store
// that takes concurrent writes (SQLite, with its one connection, gains
// nothing from more); Temporal's own docker-compose setups use 4.
const DefaultPostgresShards = 4

// postgresName keeps database names plain, so they need no quoting in
// any tool and fit Postgres's 63 bytes with the "_visibility" suffix.
var postgresName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,51}$`)

func (p Postgres) check() error {
	if p.URL == "" {
		return errors.New("temporal on postgres: no server URL")
	}
	if !postgresName.MatchString(p.Database) {
		return fmt.Errorf("temporal on postgres: database name %q: want lower-case letters, digits and _, at most 52", p.Database)
	}
	return nil
}

// sqlConfig is the server's configuration for one of the two databases.
func (p Postgres) sqlConfig(database string) (*config.SQL, error) {
	pc, err := pgx.ParseConfig(p.URL)
	if err != nil {
		return nil, fmt.Errorf("temporal on postgres: server URL: %w", err)
	}
	if len(pc.Host) > 0 && pc.Host[0] == '/' {
		return nil, fmt.Errorf("temporal on postgres: %s is a socket; the server's plugin needs a TCP host such as 127.0.0.1", pc.Host)
	}
	sslMode := "disable"
	if pc.TLSConfig != nil {
		sslMode = "require"
		for _, fb := range pc.Fallbacks {
			if fb.TLSConfig == nil {
				sslMode = "prefer"
			}
		}
	}
	maxConns := p.MaxConns
	if maxConns <= 0 {
		maxConns = 10
	}
	return &config.SQL{
		PluginName:        postgresplugin.PluginNamePGX,
		DatabaseName:      database,
		ConnectAddr:       net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port))),
		ConnectProtocol:   "tcp",
		User:              pc.User,
		Password:          pc.Password,
		ConnectAttributes: map[string]string{"sslmode": sslMode},
		MaxConns:          maxConns,
		MaxIdleConns:      maxConns,
		MaxConnLifetime:   time.Hour,
	}, nil
}

// setUp creates both databases when missing and sets up or upgrades their
// schemas. It returns the persistence and visibility configurations.
func (p Postgres) setUp(ctx context.Context, logger log.Logger) (main, visibility *config.SQL, err error) {
	if err := p.check(); err != nil {
		return nil, nil, err
	}
	if main, err = p.sqlConfig(p.Database); err != nil {
		return nil, nil, err
	}
	if visibility, err = p.sqlConfig(p.VisibilityDatabase()); err != nil {
		return nil, nil, err
	}
	for _, s := range []struct {
		conf          *config.SQL
		schema, first string
	}{
		{main, "postgresql/v12/temporal", postgresschema.Version},
		{visibility, "postgresql/v12/visibility", postgresschema.VisibilityVersion},
	} {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if err := setUpSchema(s.conf, s.schema, s.first, logger); err != nil {
			return nil, nil, fmt.Errorf("temporal on postgres: database %s: %w", s.conf.DatabaseName, err)
		}
	}
	return main, visibility, nil
}

// setUpSchema does what `temporal-sql-tool create-database`, `setup-schema`
// and `update-schema` do. A new database gets the current schema at once
// (schema.sql is the sum of the versioned steps, at version current); an
// existing one gets the versioned steps it lacks.
func setUpSchema(conf *config.SQL, schemaName, current string, logger log.Logger) (err error) {
	create := *conf
	if err := sqltool.DoCreateDatabase(&create, "postgres", logger); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	conn, err := sqltool.NewConnection(conf, logger)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	// Connection.Close panics when closing fails; a failed close must not
	// take the process down.
	defer func() {
		if r := recover(); r != nil && err == nil {
			err = fmt.Errorf("close schema tool connection: %v", r)
		}
	}()
	defer conn.Close()
	if _, verr := conn.ReadSchemaVersion(); verr != nil {
		// No schema_version row (or table): a new database.
		setup := &schematool.SetupConfig{SchemaName: schemaName, InitialVersion: current}
		if err := schematool.NewSetupSchemaTask(conn, setup, logger).Run(); err != nil {
			return fmt.Errorf("set up schema %s: %w", schemaName, err)
		}
	}
	update := &schematool.UpdateConfig{DBName: conf.DatabaseName, SchemaName: schemaName}
	if err := schematool.NewUpdateSchemaTask(conn, update, logger).Run(); err != nil {
		return fmt.Errorf("update schema %s: %w", schemaName, err)
	}
	return nil
}

// ErrShardCount says the database was made with another number of history
// shards. A cluster's shard count is fixed when it is created: the server
// would silently keep the stored count.
var ErrShardCount = errors.New("history shard count differs from the database's")

// historyShards decides the shard count: want, or when want is 0 the
// database's own count, or def for a database without a cluster yet.
func historyShards(ctx context.Context, conf *config.SQL, want, def int32, logger log.Logger) (int32, error) {
	stored, err := storedShards(ctx, conf, logger)
	if err != nil {
		return 0, err
	}
	switch {
	case stored == 0 && want == 0:
		return def, nil
	case stored == 0 || want == 0:
		return max(stored, want), nil
	case stored != want:
		return 0, fmt.Errorf("%w: %s was created with %d history shards, asked for %d (a cluster's shard count cannot change: use %d, or a new database)",
			ErrShardCount, conf.DatabaseName, stored, want, stored)
	}
	return stored, nil
}

// storedShards reads the shard count from the cluster metadata the server
// wrote at its first start; 0 when there is none yet.
func storedShards(ctx context.Context, conf *config.SQL, logger log.Logger) (int32, error) {
	db, err := sqlpersistence.NewSQLDB(sqlplugin.DbKindMain, conf, resolver.NewNoopResolver(), logger, metrics.NoopMetricsHandler)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", conf.DatabaseName, err)
	}
	defer func() { _ = db.Close() }()
	row, err := db.GetClusterMetadata(ctx, &sqlplugin.ClusterMetadataFilter{ClusterName: clusterName})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read cluster metadata in %s: %w", conf.DatabaseName, err)
	}
	meta, err := serialization.NewSerializer().DeserializeClusterMetadata(persistence.NewDataBlob(row.Data, row.DataEncoding))
	if err != nil {
		return 0, fmt.Errorf("decode cluster metadata in %s: %w", conf.DatabaseName, err)
	}
	return meta.GetHistoryShardCount(), nil
}

// DropPostgres drops both databases of p, closing the connections still
// open to them (a killed server's).
func DropPostgres(ctx context.Context, p Postgres) error {
	if err := p.check(); err != nil {
		return err
	}
	pc, err := pgx.ParseConfig(p.URL)
	if err != nil {
		return fmt.Errorf("drop temporal databases: server URL: %w", err)
	}
	pc.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		return fmt.Errorf("drop temporal databases: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var errs []error
	for _, name := range []string{p.Database, p.VisibilityDatabase()} {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("drop database %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
