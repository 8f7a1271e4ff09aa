package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const sampleBench = "../../internal/capacity/testdata/bench.json"

func TestCapacityPrintsEverySectionFromASampleReport(t *testing.T) {
	sections := []string{"Temporal actions", "Temporal Cloud at list prices", "Self-hosted Temporal", "Worker replicas",
		"Postgres", "SendGrid", "Webhooks at campaign peaks", "Measured inputs", "Assumptions"}
	var text strings.Builder
	require.NoError(t, run(context.Background(), []string{"capacity", "--from", sampleBench}, &text))
	for _, s := range sections {
		require.Contains(t, text.String(), "== "+s)
	}
	require.Contains(t, text.String(), "10,000,000 accounts × 3 contacts, 4 journeys a year")

	var md strings.Builder
	require.NoError(t, run(context.Background(), []string{"capacity", "--from", sampleBench, "--markdown",
		"--accounts", "1000", "--emails-per-journey", "8"}, &md))
	for _, s := range sections {
		require.Contains(t, md.String(), "### "+s)
	}
	require.Contains(t, md.String(), "**1,000 accounts")
	require.Contains(t, md.String(), "| `--emails-per-journey` | 8 |", "a flag's value is listed with it")
}

func TestCapacityNeedsAReport(t *testing.T) {
	require.ErrorContains(t, run(context.Background(), []string{"capacity"}, &strings.Builder{}), "usage: ripen-dev capacity --from bench.json")
	require.ErrorContains(t, run(context.Background(), []string{"capacity", "--from", sampleBench, "--utilisation", "0"}, &strings.Builder{}),
		"--utilisation must be positive")
}
