package simulate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/journey"
)

// experimentJourney has a holdout of %d percent and splits after the
// checklist: arm a goes on at the case study, arm b at the webinar.
const experimentJourney = `
id: erp-automation-crosssell
name: Automation add-on
offer: {kind: cross-sell, product: automation-suite}
scoring: {points: {click: 10, visit: 5}, topics: [process-automation]}
mqn: {threshold: 20, fast_lane: [demo]}
holdout: %d
steps:
  - {id: checklist, send: automation-checklist}
  - {id: subject-test, split: [{arm: a, weight: 50, goto: case-study}, {arm: b, weight: 50, goto: webinar}]}
  - {id: case-study, send: erp-automation-case-study}
  - {id: wait-a, wait: 14d}
  - {id: done, end: true}
  - {id: webinar, send: automation-webinar}
  - {id: wait-b, wait: 14d}
`

func experiment(t *testing.T, holdout int) *journey.Definition {
	t.Helper()
	def, err := journey.Parse(fmt.Appendf(nil, experimentJourney, holdout))
	require.NoError(t, err)
	return def
}

// customerWith finds a customer the hash sends down arm, held out or not.
func customerWith(t *testing.T, def *journey.Definition, arm string, heldOut bool) string {
	t.Helper()
	for i := range 1000 {
		c := fmt.Sprint("acme-", i)
		if journey.SplitArm(def.ID, c, def.Steps[1]) == arm && journey.HeldOut(def.ID, c, def.Holdout) == heldOut {
			return c
		}
	}
	t.Fatalf("no customer takes arm %s (held out %v)", arm, heldOut)
	return ""
}

func TestTheCustomerDecidesTheArm(t *testing.T) {
	def := experiment(t, 0)
	for arm, step := range map[string]string{"a": "case-study", "b": "webinar"} {
		customer := customerWith(t, def, arm, false)
		rep, err := Run(def, nil, Options{Start: monday, Customer: customer})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"subject-test": arm}, rep.Arms, customer)
		assert.False(t, rep.Holdout)
		require.Len(t, rep.Sends, 2)
		assert.Equal(t, step, rep.Sends[1].Step)
		assert.Contains(t, rep.Text(), "subject-test: arm "+arm+" → "+step)
		assert.Contains(t, rep.Text(), "experiments: subject-test → arm "+arm)
	}
}

func TestWithoutACustomerTheDefaultCustomersArmIsShown(t *testing.T) {
	def := experiment(t, 0)
	rep, err := Run(def, nil, Options{Start: monday})
	require.NoError(t, err)
	assert.Equal(t, DefaultCustomer, rep.Customer)
	assert.Equal(t, map[string]string{"subject-test": journey.SplitArm(def.ID, DefaultCustomer, def.Steps[1])}, rep.Arms)
	require.Len(t, rep.Notes, 1)
	assert.Contains(t, rep.Notes[0], "customer simulated-customer (--customer names another)")
}

func TestAHeldOutCustomerGetsNoEmailButIsHandedOff(t *testing.T) {
	def := experiment(t, 50)
	customer := customerWith(t, def, "b", true)
	evs := []Event{
		{At: journey.Duration(2 * 24 * time.Hour), Type: "visit", Topic: "process-automation"},
		{At: journey.Duration(3 * 24 * time.Hour), Type: "visit", Topic: "process-automation"},
		{At: journey.Duration(3*24*time.Hour + time.Hour), Type: "visit", Topic: "process-automation"},
		{At: journey.Duration(3*24*time.Hour + 2*time.Hour), Type: "visit", Topic: "process-automation"},
		{At: journey.Duration(4 * 24 * time.Hour), Type: "sales-feedback", Outcome: "won"},
	}
	rep, err := Run(def, evs, Options{Start: monday, Customer: customer})
	require.NoError(t, err)
	assert.True(t, rep.Holdout)
	assert.Equal(t, map[string]string{"subject-test": "b"}, rep.Arms)
	assert.Empty(t, rep.Sends)
	assert.Equal(t, "won", rep.Outcome)
	require.Len(t, rep.Handoffs, 1)
	assert.True(t, rep.MQN)

	var kinds []string
	for _, e := range rep.Timeline {
		if e.AtS == 0 && e.Kind != "stage" {
			kinds = append(kinds, e.Kind+" "+e.Step)
		}
	}
	assert.Equal(t, []string{"holdout ", "send-withheld checklist", "split subject-test", "send-withheld webinar"}, kinds)
	text := rep.Text()
	assert.Contains(t, text, "held out: the account gets no email")
	assert.Contains(t, text, "experiments: subject-test → arm b, held out (no email)")
	assert.True(t, strings.Contains(text, "0 emails"), text)
}
