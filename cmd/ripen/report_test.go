package main

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

// `ripen report` reads the journey's runs from Postgres and prints the
// funnel per arm as a table, or the API's JSON with --json.
func TestReportPrintsTheFunnelPerArm(t *testing.T) {
	url := storetest.NewDatabase(t)
	ctx := context.Background()
	require.NoError(t, store.Migrate(ctx, url))
	t.Setenv("DATABASE_URL", url)
	st, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	_, err = st.PublishJourney(ctx, store.JourneyVersion{JourneyID: "exp", Name: "Experiment", Definition: json.RawMessage(
		`{"id": "exp", "offer": {"kind": "cross-sell", "product": "x"}, "steps": [{"id": "intro", "send": "checklist"}]}`)})
	require.NoError(t, err)
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i, c := range []string{"c1", "c2", "c3"} {
		require.NoError(t, st.PutCustomer(ctx, store.Customer{ID: c, Name: c, Owner: store.Owner{ID: "rep", Name: "Rep", Email: "rep@seller.example"},
			Contacts: []store.Contact{{ID: c + "-max", Email: "max@" + c + ".example"}}}))
		require.NoError(t, st.UpsertRun(ctx, store.Run{WorkflowID: "ripen/exp/" + c, RunKey: "ripen/exp/" + c + "/1", JourneyID: "exp", Version: 1,
			CustomerID: c, OwnerID: "rep", Status: store.RunRunning, Stage: "nurturing", MQN: i == 0, StartedAt: start, UpdatedAt: start}))
		arm := map[bool]string{true: "a", false: "b"}[i == 0]
		_, _, err := st.TakeArm(ctx, store.ArmChoice{JourneyID: "exp", Version: 1, CustomerID: c, StepID: "subject", Arm: arm})
		require.NoError(t, err)
	}

	out, errOut, code := runCLI(t, "report", "exp")
	require.Equal(t, 0, code, errOut)
	t.Log("\n" + out)
	require.Regexp(t, regexp.MustCompile(`(?m)^\s*all runs\s+3\s+0\s+0\s+1\s+0\s+0\s+0\s+0\s+33\.3%`), out, out)
	require.Regexp(t, regexp.MustCompile(`(?m)^\s*subject a\s+1\s+0\s+0\s+1\s.*100\.0%`), out, out)
	require.Regexp(t, regexp.MustCompile(`(?m)^\s*subject b\s+2\s+0\s+0\s+0\s.*0\.0%\s+0\.0833`), out, out)

	out, errOut, code = runCLI(t, "report", "exp", "--json", "--from", "2026-03-03")
	require.Equal(t, 0, code, errOut)
	var r struct {
		Funnel struct {
			Enrolled int `json:"enrolled"`
		} `json:"funnel"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	require.Equal(t, 0, r.Funnel.Enrolled, "every run started before 3 March")

	_, errOut, code = runCLI(t, "report", "exp", "--version", "two")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "version")
	_, errOut, code = runCLI(t, "report", "nope")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "journey nope does not exist")
}
