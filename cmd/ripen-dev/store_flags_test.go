package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/internal/devtemporal"
)

func TestTemporalStoreFlags(t *testing.T) {
	f, _, err := parseFlags("ripen-dev", nil)
	require.NoError(t, err)
	require.NotEqual(t, devtemporal.StorePostgres, f.temporalStore, "SQLite stays the default")
	require.Zero(t, f.temporalShards, "the store's default")

	f, _, err = parseFlags("ripen-dev", []string{"--temporal-store", "postgres", "--temporal-shards", "8"})
	require.NoError(t, err)
	require.Equal(t, devtemporal.StorePostgres, f.temporalStore)
	require.EqualValues(t, 8, f.temporalShards)

	_, _, err = parseFlags("ripen-dev", []string{"--temporal-store", "cassandra"})
	require.ErrorContains(t, err, "want sqlite or postgres")
	_, _, err = parseFlags("ripen-dev", []string{"--temporal-shards", "0"})
	require.ErrorContains(t, err, "want a number from 1 to 16384")
}

func TestBenchAndChaosRefuseAnUnknownStore(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	require.ErrorContains(t, runBench(ctx, []string{"--temporal-store", "mysql"}, &out), "want sqlite or postgres")
	require.ErrorContains(t, runBench(ctx, []string{"--temporal-shards", "-2"}, &out), "want a number from 1 to 16384")
	require.ErrorContains(t, runChaos(ctx, []string{"--temporal-store", "mysql"}, &out), "want sqlite or postgres")
	require.ErrorContains(t, runChaos(ctx, []string{"--temporal-shards", "x"}, &out), "want a number from 1 to 16384")
}
