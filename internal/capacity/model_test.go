package capacity

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// small is a population and a bench whose figures are easy to follow by
// hand: 1,200 accounts of one contact, twelve journeys a year (1,200 runs
// a month), each run open 36.5 days (a tenth of a year: 1.2 running runs
// per account, 1,440 open runs), two emails per journey, one engagement
// event per contact and month, half the runs handed off.
func small() (Bench, Scenario, Assumptions) {
	var b Bench
	b.Enrolment.RunsPerS = 0.05
	b.Events.Saturation.ProcessedPerS = 0.1
	b.WorkersRaw = []byte(`{"count": 1}`)
	y := &b.Year
	y.Weeks, y.ShapeRuns = 52, 1
	y.PerStart = Unit{Actions: 5, WorkflowTasks: 2, Upserts: 1, Bytes: 1000}
	y.PerWeek = Unit{Actions: 3, WorkflowTasks: 1, Bytes: 500}
	y.PerEngagement = Unit{Actions: 2, WorkflowTasks: 1, Upserts: 1, Bytes: 250}
	y.Handoff.Runs = 1
	y.Handoff.PerFastLane = Unit{Actions: 10}
	y.Handoff.PerSalesFeedback = Unit{Actions: 4}
	b.Scale.Runs, b.Scale.Before.RSSMiB, b.Scale.Half.RSSMiB = 40, 100, 101.25 // 1.25 MiB for 20 runs: 64 KiB each
	b.Settings.StickyCacheSize = 10000
	b.TableSizes = []TableSize{
		{Table: "events", Rows: 10, Bytes: 1000, BytesPerRow: 100},
		{Table: "runs", Rows: 2, Bytes: 2000, BytesPerRow: 1000},
		{Table: "personas", Rows: 1, Bytes: 8192, BytesPerRow: 8192},
		{Table: "handoffs", Rows: 5, Bytes: 65536, BytesPerRow: 13107.2, AvgRowBytes: 72},
	}
	a := DefaultAssumptions()
	a.EmailsPerJourney, a.JourneyDays, a.EngagementPerContactMonth, a.HandoffRate = 2, 36.5, 1, 0.5
	a.QueriesPerRunMonth, a.HeartbeatsPerSend, a.SendGridEventsPerEmail = 0, 1, 3
	a.CampaignShare, a.CampaignHours, a.Utilisation = 0.3, 1, 0.5
	a.WritesPerWorkflowTask, a.WritesPerActivity, a.ShardWriteMs, a.ShardGrowth = 1, 0, 1000, 4
	a.WorkerMemoryMiB, a.MinSampleRows = 1, 6
	a.IncludedActions, a.IncludedActiveGB, a.IncludedRetainedGB = 0, 1, 1
	a.PriceTiers, a.PlanMinUSD, a.PlanPercent = "0.01:100,0.02:50", 10, 10
	return b, Scenario{Accounts: 1200, Contacts: 1, JourneysPerYear: 12}, a
}

func TestTheModelsArithmetic(t *testing.T) {
	b, sc, a := small()
	m, err := Compute(b, sc, a)
	require.NoError(t, err)
	f := m.Figures

	// Actions a month: starts (with the first email) 1,200 × 5 = 6,000;
	// the second email step 1,200 × (2 − 1) × 3 = 3,600; hand-offs 1,200 ×
	// 0.5 × (10 + 4) = 8,400; engagement: 1,200 events × 1.2 running runs
	// = 1,440 signals × 2 = 2,880; heartbeats 1,200 × 2 emails × 1 =
	// 2,400; queries 0. Sum 23,280; per account 23,280 ÷ 1,200 = 19.4.
	require.InDelta(t, 23280, f["actions_per_month"], 1e-6)
	require.InDelta(t, 19.4, f["actions_per_account_month"], 1e-9)
	// A run's life: 5 + 1 × 3 + 0.5 × 14 + 2 heartbeats + 1.2 signals × 2
	// = 19.4 as well (one run per account-month here).
	require.InDelta(t, 19.4, f["actions_per_run"], 1e-9)

	// Cloud: 10,000 actions at $100/M = $1, 10,000 at $50/M = $0.50, the
	// last 3,280 at the last price $50/M = $0.164: $1.664. Storage: a run's
	// history 1,000 + 1 × 500 + 1.2 × 250 = 1,800 bytes; 1,440 open runs
	// hold half of it, 0.0013 GB, under the 1 GB included; retained
	// likewise. Plan: the greater of $10 and 10 % of $1.664. Total $11.664.
	require.InDelta(t, 1.664, f["cloud_actions_usd_per_month"], 1e-9)
	require.InDelta(t, 11.664, f["cloud_usd_per_month"], 1e-9)

	// Peak: 1,200 × 0.3 accounts in one hour = 0.1 starts/s. Writes (one
	// per workflow task): average = 14,400 runs/year × 3 tasks (2 + 1 × 1)
	// + 17,280 signals/year × 1, over 31,536,000 s = 0.0019178/s; the
	// campaign adds 0.1 × 2 tasks and 0.1 × 1 contact × 0.5 engagement per
	// email (1 event a month ÷ 2 emails a month) × 1 task = 0.25.
	avg := (14400*3 + 17280) / 31536000.0
	require.InDelta(t, 0.1, f["peak_starts_per_s"], 1e-12)
	require.InDelta(t, avg, f["avg_writes_per_s"], 1e-12)
	require.InDelta(t, avg+0.25, f["peak_writes_per_s"], 1e-12)
	// Shards: 0.2519 writes/s × 1 s a write ÷ 0.5 = 0.504 busy, × 4 growth
	// = 2.02 → 3 → the next power of two, 4.
	require.Equal(t, 4.0, f["history_shards"])

	// Workers: (average starts 0.000457 + 0.1) ÷ 0.05 runs/s + (average
	// signals 0.000548 + 0.05) ÷ 0.1 events/s = 2.515 busy, ÷ 0.5 = 5.03:
	// six replicas. Cache: 1 MiB × 1024 × 0.5 ÷ 64 KiB = 8 runs.
	require.Equal(t, 6.0, f["worker_replicas_peak"])
	require.Equal(t, 8.0, f["sticky_cache"])

	// Postgres: events 1,200 × 1 × 1 × 12 = 14,400 rows × 100 B, runs
	// 14,400 × 1,000 B (two rows, under min-sample-rows 6, but the runs
	// have no avg_row_bytes), hand-offs 14,400 × 0.5 = 7,200 × (72 + 28) B
	// (five rows, under 6: the rows' data and the tuple overhead):
	// 16,560,000 B a year. personas is not modelled.
	require.InDelta(t, 16560000.0/(1<<30), f["postgres_gib_per_year"], 1e-12)

	// SendGrid: 14,400 runs × (2 emails + 0.5 owner emails) ÷ 12 = 3,000
	// a month; peak 0.1 starts × 1 contact + 14,400 × 2 ÷ 31,536,000.
	require.InDelta(t, 3000, f["emails_per_month"], 1e-9)
	peak := 0.1 + 14400*2/31536000.0
	require.InDelta(t, peak, f["peak_emails_per_s"], 1e-12)
	require.InDelta(t, 3*peak, f["peak_webhook_events_per_s"], 1e-12)

	require.Contains(t, strings.Join(m.Missing, "\n"), "growth", "an optional input the bench lacked is named")
}

func TestWebhookEventIDsAreKeptOnlyForTheReplayWindow(t *testing.T) {
	b, sc, a := small()
	b.TableSizes = []TableSize{{Table: "webhook_events", Rows: 10, Bytes: 2000, BytesPerRow: 200}}
	m, err := Compute(b, sc, a)
	require.NoError(t, err)
	// 14,400 runs × 2 emails × 1 contact × 3 SendGrid events = 86,400 IDs
	// a year × 200 B written; the API prunes them after 72 hours, so 3 of
	// 365 days' worth stay.
	written := 86400 * 200.0 / (1 << 30)
	require.InDelta(t, written, m.Figures["postgres_gib_per_year"], 1e-12)
	require.InDelta(t, written*3/365, m.Figures["postgres_gib_kept_after_year"], 1e-12)
}

func TestTheWorkerCountIsReadInEitherShape(t *testing.T) {
	for raw, want := range map[string]int{`2`: 2, `{"count": 3}`: 3, ``: 0} {
		var b Bench
		b.WorkersRaw = []byte(raw)
		require.Equal(t, want, b.Workers(), raw)
	}
	var b Bench
	b.Settings.Workers = 4
	require.Equal(t, 4, b.Workers(), "from the settings when the section is missing")
}

func TestThePricingPagesExampleIsPricedAsThePageSays(t *testing.T) {
	// docs.temporal.io/cloud/pricing: 11.25M actions on the Business plan
	// = 5M × $50 + 5M × $45 + 1.25M × $40 = $525.
	tiers, err := parseTiers(DefaultAssumptions().PriceTiers)
	require.NoError(t, err)
	require.InDelta(t, 525, actionsUSD(11.25e6, tiers), 1e-9)
	// Beyond the last tier (200M) the last price, $25/M: the first 200M
	// cost 250 + 225 + 400 + 1,050 + 1,500 + 2,500 = $5,925.
	require.InDelta(t, 5925+25, actionsUSD(201e6, tiers), 1e-9)
	require.Zero(t, actionsUSD(0, tiers))
}

func TestBadAssumptionsAreRefused(t *testing.T) {
	b, sc, a := small()
	a.Utilisation, a.PriceTiers, a.HandoffRate = 0, "10:5,5:1", -1
	_, err := Compute(b, sc, a)
	require.ErrorContains(t, err, "--utilisation must be positive")
	require.ErrorContains(t, err, "ascending")
	require.ErrorContains(t, err, "--handoff-rate must not be negative")
}

func TestAReportWithoutTheYearsShapeIsRefusedByName(t *testing.T) {
	b, sc, a := small()
	b.Year = Year{}
	_, err := Compute(b, sc, a)
	require.ErrorContains(t, err, "simulated_year.per_start")
	require.ErrorContains(t, err, "simulated_year.handoff")
}

func TestTheSampleReportGivesEverySection(t *testing.T) {
	f, err := os.Open("testdata/bench.json")
	require.NoError(t, err)
	defer f.Close()
	b, err := ReadBench(f)
	require.NoError(t, err)
	m, err := Compute(b, DefaultScenario(), DefaultAssumptions())
	require.NoError(t, err)
	for k, v := range m.Figures {
		require.False(t, math.IsNaN(v) || math.IsInf(v, 0) || v < 0, "%s = %v", k, v)
	}
	// The sample predates the bench's workers, growth, like-for-like and
	// event-rows sections: the model says so, and what it assumed.
	missing := strings.Join(m.Missing, "\n")
	for _, s := range []string{"workers: ", "growth: ", "event_rows: ", "raw_ceiling.like_for_like: "} {
		require.Contains(t, missing, s)
	}
	var text, md bytes.Buffer
	require.NoError(t, m.WriteText(&text))
	t.Log("\n" + text.String())
	require.NoError(t, m.WriteMarkdown(&md))
	for _, s := range []string{"### Temporal actions", "### Temporal Cloud at list prices", "### Self-hosted Temporal", "### Worker replicas",
		"### Postgres", "### SendGrid", "### Webhooks at campaign peaks", "### Measured inputs", "### Assumptions", "`--emails-per-journey`",
		"### Missing from the report", "workflow cache that fits a replica"} {
		require.Contains(t, md.String(), s)
	}
}
