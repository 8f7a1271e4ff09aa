package runs

import (
	"testing"

	"github.com/ripen/ripen/fault"
)

// A run list names every bad filter at once, in the caller's terms.
func TestABadRunFilterNamesEveryField(t *testing.T) {
	err := check(Filter{Stage: "ripe", Status: "open", MQN: "yes", Owner: `eva"`, Limit: -1}, "customer")
	f, ok := fault.As(err)
	if !ok || f.Kind != fault.Invalid {
		t.Fatalf("want an invalid fault, got %v", err)
	}
	got := map[string]bool{}
	for _, p := range f.Fields {
		got[p.Field] = true
	}
	for _, field := range []string{"stage", "status", "mqn", "owner", "limit"} {
		if !got[field] {
			t.Errorf("%s is not named: %+v", field, f.Fields)
		}
	}
	if err := check(Filter{Stage: "handoff", Status: "running", MQN: "true", Limit: 10}, "customer"); err != nil {
		t.Errorf("a good filter is refused: %v", err)
	}
}

// Only the newest execution of a run speaks for it, and values are quoted
// so that a quote in an ID cannot change the query.
func TestTheVisibilityQueryQuotesValuesAndLeavesOutContinuedExecutions(t *testing.T) {
	q := visibilityQuery(Filter{Journey: "j", Customer: "o'brien", MQN: "true", Status: "closed"})
	want := `RipenJourney IS NOT NULL AND RipenJourney = 'j' AND RipenCustomer = 'o\'brien' AND RipenMQN = true AND ExecutionStatus != 'ContinuedAsNew' AND ExecutionStatus != 'Running'`
	if q != want {
		t.Errorf("query\n got %s\nwant %s", q, want)
	}
}
