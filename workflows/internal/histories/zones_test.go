package histories_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/workflows"
)

// zonesJourney has the account rules, a checklist asset and a send window
// on one weekday (%s), which is today in UTC+12 and tomorrow in UTC-12.
const zonesJourney = `
id: erp-automation-crosssell
version: 3
name: Automation add-on for ERP customers
offer: {kind: cross-sell, product: automation-suite}
scoring: {points: {click: 10}, topics: [process-automation]}
mqn: {threshold: 40, fast_lane: [demo], assets: {checklist: automation-checklist-pdf}}
send_window: {days: [%s]}
steps:
  - {id: checklist, send: automation-checklist}
  - {id: wait-1, wait: 14d}
`

// TestContactZonesOnTheEmbeddedServer runs a journey with the account
// rules on the embedded Temporal server for an account with contacts in
// UTC+12 and UTC-12: the step goes to the zone whose window is open, the
// run sleeps until the other's opens, a checklist request meanwhile sends
// the asset, and a stop ends the run and its timer. With
// RIPEN_RECORD_HISTORY set it records the history:
//
//	RIPEN_RECORD_HISTORY=$PWD/workflows/testdata/zones-history.json go test ./workflows/internal/histories -run ContactZones
func TestContactZonesOnTheEmbeddedServer(t *testing.T) {
	ctx, c, acts := onTheEmbeddedServer(t, &fakeActivities{timezones: []string{"Etc/GMT+12", "Etc/GMT-12"}})
	// Etc/GMT-12 is UTC+12: its weekday is the window's, UTC-12's is the day before.
	day := strings.ToLower(time.Now().In(time.FixedZone("UTC+12", 12*3600)).Format("Mon"))
	r, def := startJourney(ctx, t, c, fmt.Sprintf(zonesJourney, day), workflows.Input{})

	r.until("UTC+12 sent, waiting for UTC-12's window", func(st workflows.State) bool {
		return st.Step == "checklist" && st.ZoneSend != nil && len(st.ZoneSend.Done) == 1 && st.NextWakeAt != nil
	})
	r.signal(workflows.SignalFastLane, workflows.FastLane{EventID: "fl-1", Offer: "checklist", ContactID: "acme-ina"})
	r.until("the asset went", func(st workflows.State) bool {
		return st.Seq == 1 && len(st.PendingAssets) == 0 && st.NextWakeAt != nil
	})
	r.signal(workflows.SignalStop, workflows.Control{Reason: "test"})

	var res workflows.Result
	require.NoError(t, c.GetWorkflow(ctx, r.id, "").Get(ctx, &res))
	require.Equal(t, workflows.OutcomeStopped, res.Outcome)
	require.Equal(t, []string{"Etc/GMT-12"}, acts.zones)
	require.Equal(t, []workflows.FastLaneAssetRequest{{EventID: "fl-1", JourneyID: def.ID, Version: def.Version}}, acts.assets)

	checkAndRecord(ctx, t, c, r.id)
}
