package devtemporal

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/ripen/ripen/internal/freeport"
)

func TestDefaultDynamicConfigIsReadByTheServer(t *testing.T) {
	for k, v := range DefaultDynamicConfig() {
		require.NoError(t, CheckDynamicConfig(k, v))
	}
}

func TestParseDynamicConfig(t *testing.T) {
	for _, c := range []struct {
		in   string
		key  string
		want any
	}{
		{"history.eventsCacheMaxSizeBytes=8388608", "history.eventsCacheMaxSizeBytes", 8388608},
		{" history.hostLevelCacheMaxSize = 2048 ", "history.hostLevelCacheMaxSize", 2048},
		{"system.operatorRPSRatio=0.5", "system.operatorRPSRatio", 0.5},
		{"system.operatorRPSRatio=1", "system.operatorRPSRatio", 1}, // the server reads an int as a float
		{"admin.enableListHistoryTasks=false", "admin.enableListHistoryTasks", false},
		{"matching.longPollExpirationInterval=30s", "matching.longPollExpirationInterval", 30 * time.Second},
		{"matching.longPollExpirationInterval=20", "matching.longPollExpirationInterval", 20}, // seconds, as in YAML
		{"system.secondaryVisibilityWritingMode=5s", "system.secondaryVisibilityWritingMode", "5s"},
		{"system.secondaryVisibilityWritingMode=42", "system.secondaryVisibilityWritingMode", "42"},
	} {
		key, v, err := ParseDynamicConfig(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.key, key, c.in)
		require.Equal(t, c.want, v, c.in)
	}
	for in, msg := range map[string]string{
		"history.eventsCacheMaxSizeBytes":        "want key=value",
		"=5":                                     "want key=value",
		"history.noSuchKey=5":                    "not a dynamic config key",
		"history.eventsCacheMaxSizeBytes=8MiB":   "cannot read",
		"history.eventsCacheMaxSizeBytes=0.5":    "cannot read",
		"admin.enableListHistoryTasks=sometimes": "cannot read",
	} {
		_, _, err := ParseDynamicConfig(in)
		require.ErrorContains(t, err, msg, in)
	}
	require.ErrorContains(t, CheckDynamicConfig("system.secondaryVisibilityWritingMode", time.Second), "wants a string")
	require.ErrorContains(t, CheckDynamicConfig("history.eventsCacheMaxSizeBytes", "big"), "cannot read")
	require.NoError(t, CheckDynamicConfig("HISTORY.EVENTSCACHEMAXSIZEBYTES", int64(1<<20)))
}

func TestEffectiveDynamicConfigOverridesWhateverTheCase(t *testing.T) {
	eff := Tuning{DynamicConfig: map[string]any{"HISTORY.hostLevelCacheMaxSize": 2048, "history.eventsCacheMaxSizeBytes": 1 << 23}}.EffectiveDynamicConfig()
	require.Equal(t, 2048, eff["HISTORY.hostLevelCacheMaxSize"])
	require.NotContains(t, eff, "history.hostLevelCacheMaxSize")
	require.Equal(t, 1<<23, eff["history.eventsCacheMaxSizeBytes"])
	require.Equal(t, 200, eff["history.transferProcessorMaxPollRPS"])
	require.Len(t, DefaultDynamicConfig(), len(eff)-1)
}

func TestParsePragma(t *testing.T) {
	name, value, err := ParsePragma("Cache_Size=-65536")
	require.NoError(t, err)
	require.Equal(t, "cache_size", name)
	require.Equal(t, "-65536", value)
	for _, bad := range []string{"cache_size", "mode=memory", "cache_size=1;drop", "journal mode=wal", "=1"} {
		_, _, err := ParsePragma(bad)
		require.Error(t, err, bad)
	}
}

func TestTuningReachesTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	file := filepath.Join(t.TempDir(), "temporal.sqlite")
	_, err := Start(context.Background(), Options{DataFile: file, Tuning: Tuning{DynamicConfig: map[string]any{"history.noSuchKey": 1}}})
	require.ErrorContains(t, err, "not a dynamic config key")

	port, err := freeport.Take("127.0.0.1")
	require.NoError(t, err)
	s, err := Start(context.Background(), Options{
		DataFile: file, Port: port, Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel),
		Tuning: Tuning{
			DynamicConfig:  map[string]any{"history.eventsCacheMaxSizeBytes": 8 << 20, "history.hostLevelCacheMaxSize": 2048},
			SQLitePragmas:  map[string]string{"journal_mode": "wal", "synchronous": "normal", "cache_size": "-16384"},
			SQLiteMaxConns: 2,
		},
	})
	require.NoError(t, err)
	s.Stop()

	db, err := sql.Open("sqlite", file)
	require.NoError(t, err)
	defer db.Close()
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "wal", strings.ToLower(mode), "journal_mode is kept in the file")
}
