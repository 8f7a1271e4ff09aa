package journeys

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

// TestSimulateShowsTheArmAndHoldoutOfTheCustomer: the result has arms and
// holdout as a run's state does, for the customer posted (else the
// default one).
func TestSimulateShowsTheArmAndHoldoutOfTheCustomer(t *testing.T) {
	def := inline(t, "  - {id: s, send: c}\n  - {id: test, split: [{arm: a, weight: 1, goto: x}, {arm: b, weight: 1, goto: y}]}\n"+
		"  - {id: x, send: c}\n  - {id: done, end: true}\n  - {id: y, send: c}\n")
	def.Holdout = 50
	customer := ""
	for i := range 1000 {
		c := fmt.Sprint("acme-", i)
		if journey.SplitArm(def.ID, c, def.Steps[1]) == "b" && journey.HeldOut(def.ID, c, 50) {
			customer = c
			break
		}
	}
	require.NotEmpty(t, customer)
	rep, err := (&Service{}).Simulate(context.Background(), "j", Simulation{Journey: def, Customer: customer})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"test": "b"}, rep.Arms)
	assert.True(t, rep.Holdout)
	assert.Empty(t, rep.Sends)

	out, err := json.Marshal(rep)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Equal(t, map[string]any{"test": "b"}, got["arms"])
	assert.Equal(t, true, got["holdout"])

	rep, err = (&Service{}).Simulate(context.Background(), "j", Simulation{Journey: def})
	require.NoError(t, err)
	assert.Equal(t, journey.SplitArm(def.ID, "simulated-customer", def.Steps[1]), rep.Arms["test"])
	assert.Equal(t, journey.HeldOut(def.ID, "simulated-customer", 50), rep.Holdout)
}
