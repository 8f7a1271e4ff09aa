package engagement

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// An order reaches a run as engagement that names its product, so a run
// whose goal is that product converts.
func TestOrderReachesRunsWithItsProduct(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	got := engagementOf(store.Event{ID: "o1", CustomerID: "acme", ContactID: "acme-max", Type: store.OrderType, Product: "automation-suite", OccurredAt: at})
	require.Equal(t, workflows.Engagement{EventID: "o1", Kind: workflows.KindOrder, ContactID: "acme-max", Product: "automation-suite", At: at}, got)
}
