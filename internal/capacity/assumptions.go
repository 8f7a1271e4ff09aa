package capacity

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// Scenario is what is being sized.
type Scenario struct {
	Accounts        float64
	Contacts        float64 // per account
	JourneysPerYear float64 // runs per account and year
}

// DefaultScenario is issue 20's: 10 million accounts, three contacts
// each, four journeys a year.
func DefaultScenario() Scenario {
	return Scenario{Accounts: 10_000_000, Contacts: 3, JourneysPerYear: 4}
}

// Assumptions are every figure the model needs that the bench does not
// measure. Each is a flag of `ripen-dev capacity`; the model lists them
// with their values and why the defaults were chosen.
type Assumptions struct {
	EmailsPerJourney          float64
	JourneyDays               float64
	EngagementPerContactMonth float64
	HandoffRate               float64
	QueriesPerRunMonth        float64
	HeartbeatsPerSend         float64
	SendGridEventsPerEmail    float64
	CampaignShare             float64
	CampaignHours             float64
	Utilisation               float64
	WritesPerWorkflowTask     float64
	WritesPerActivity         float64
	ShardWriteMs              float64
	ShardGrowth               float64
	WorkerMemoryMiB           float64
	EventsRetentionDays       float64
	ClosedRetentionDays       float64
	MinSampleRows             float64
	KiBPerCachedRun           float64

	// Temporal Cloud list prices (pay-as-you-go, Business plan).
	PriceTiers         string // "upto:price,…" in millions of actions and USD per million
	PlanMinUSD         float64
	PlanPercent        float64
	ActiveGBhUSD       float64
	RetainedGBhUSD     float64
	IncludedActions    float64
	IncludedActiveGB   float64
	IncludedRetainedGB float64
	PriceSource        string
}

// DefaultAssumptions are the defaults the flags show.
func DefaultAssumptions() Assumptions {
	return Assumptions{
		EmailsPerJourney: 6, JourneyDays: 90, EngagementPerContactMonth: 2, HandoffRate: 0.05, QueriesPerRunMonth: 1,
		HeartbeatsPerSend: 1, SendGridEventsPerEmail: 3, CampaignShare: 0.25, CampaignHours: 8, Utilisation: 0.5,
		WritesPerWorkflowTask: 3, WritesPerActivity: 2, ShardWriteMs: 5, ShardGrowth: 4, WorkerMemoryMiB: 2048,
		EventsRetentionDays: 400, ClosedRetentionDays: 30, MinSampleRows: 1000,
		PriceTiers: "5:50,10:45,20:40,50:35,100:30,200:25", PlanMinUSD: 500, PlanPercent: 10,
		ActiveGBhUSD: 0.042, RetainedGBhUSD: 0.00105, IncludedActions: 2.5e6, IncludedActiveGB: 2.5, IncludedRetainedGB: 100,
		PriceSource: "https://docs.temporal.io/cloud/pricing (pay-as-you-go, Business plan), read 7 December 2026",
	}
}

// Assumption is one named assumption as the model lists it.
type Assumption struct {
	Flag  string
	Value string
	Why   string
}

type spec struct {
	flag string
	num  *float64
	str  *string
	why  string
}

func (a *Assumptions) specs() []spec {
	return []spec{
		{"emails-per-journey", &a.EmailsPerJourney, nil, "email steps a run sends to each contact of its audience (every contact by default): DESIGN.md's example journey sends a checklist, a reminder and a case study, and loops back to the case study while the score stays low in the first 90 days"},
		{"journey-days", &a.JourneyDays, nil, "how long a run stays open: the example journey nurtures for 90 days (days_in_journey < 90); hand-offs and cool-downs are rarer and shorter"},
		{"engagement-per-contact-month", &a.EngagementPerContactMonth, nil, "engagement events (opens, clicks, known web visits) per contact and month: about one open of the two nurture emails a contact gets a month and one click or visit; B2B nurture emails see opens of 20-40 %"},
		{"handoff-rate", &a.HandoffRate, nil, "share of runs handed off to sales (MQN or fast lane): thresholds are set so sales sees the few ripe accounts"},
		{"queries-per-run-month", &a.QueriesPerRunMonth, nil, "state queries per open run and month (a rep or marketer opening the run; lists use visibility, not queries); the bench's own polling is not counted"},
		{"heartbeats-per-send", &a.HeartbeatsPerSend, nil, "activity heartbeats that reach the server per send: the send heartbeats after each contact, the SDK sends the first at once and throttles the rest to 80 % of the 30 s heartbeat timeout, and a send to three contacts takes far less"},
		{"sendgrid-events-per-email", &a.SendGridEventsPerEmail, nil, "SendGrid Event Webhook events per email: processed and delivered for every email, plus about one open or click (machine opens included)"},
		{"campaign-share", &a.CampaignShare, nil, "share of all accounts one campaign enrols at once: each account gets four journeys a year, so a journey launched to every eligible account reaches about a quarter of them"},
		{"campaign-hours", &a.CampaignHours, nil, "hours over which a campaign's enrolments (and first emails) go out: one working day's send window"},
		{"utilisation", &a.Utilisation, nil, "how busy workers and history shards may be at the campaign peak: half, so a lost replica or a retry storm does not tip them over"},
		{"writes-per-workflow-task", &a.WritesPerWorkflowTask, nil, "persistence writes per workflow task on a self-hosted cluster: the input that schedules it, its start, its completion with the commands; the events of one transition go in one write"},
		{"writes-per-activity", &a.WritesPerActivity, nil, "persistence writes per activity besides the task that scheduled it: its start and its completion"},
		{"shard-write-ms", &a.ShardWriteMs, nil, "time one persistence write holds its history shard on the production database (a shard writes one at a time: history.shardIOConcurrency defaults to 1); a few ms for a Postgres primary on SSD"},
		{"shard-growth", &a.ShardGrowth, nil, "growth factor for the shard count, which is fixed when the cluster is created and cannot change"},
		{"worker-memory-mib", &a.WorkerMemoryMiB, nil, "memory limit of one worker replica (a 2 GiB container)"},
		{"events-retention-days", &a.EventsRetentionDays, nil, "RIPEN_EVENTS_RETENTION's default: the events table keeps this many days"},
		{"closed-retention-days", &a.ClosedRetentionDays, nil, "Temporal namespace retention of closed runs' histories, set per namespace (at most 90 days on Temporal Cloud): a month to debug a run that ended"},
		{"kib-per-cached-run", &a.KiBPerCachedRun, nil, "memory of one run in a worker's workflow cache, KiB; 0 takes the bench's scale phase (the whole process, server included: an upper bound, and noise with a few hundred runs); BENCHMARKS.md measured about 55 KiB for a worker process alone"},
		{"min-sample-rows", &a.MinSampleRows, nil, "a table measured with fewer rows is sized by its rows' own data plus Postgres's 28-byte tuple overhead, without indexes (a floor): its measured size is mostly the empty pages of its indexes"},
		{"price-tiers", nil, &a.PriceTiers, "Temporal Cloud pay-as-you-go action prices (Business plan and up): up to N million actions a month at USD P per million, as UPTO:P,...; above the last tier (where the page says 'contact Sales') the last price is used"},
		{"plan-min-usd", &a.PlanMinUSD, nil, "Business plan: the greater of this a month or plan-percent of usage spend"},
		{"plan-percent", &a.PlanPercent, nil, "Business plan: percent of usage spend, when more than plan-min-usd"},
		{"active-gbh-usd", &a.ActiveGBhUSD, nil, "Temporal Cloud active storage (histories of open runs), USD per GBh; 1 GB for a month is 744 GBh"},
		{"retained-gbh-usd", &a.RetainedGBhUSD, nil, "Temporal Cloud retained storage (closed runs within retention), USD per GBh"},
		{"included-actions", &a.IncludedActions, nil, "actions a month included in the Business plan"},
		{"included-active-gb", &a.IncludedActiveGB, nil, "active storage included in the Business plan, GB"},
		{"included-retained-gb", &a.IncludedRetainedGB, nil, "retained storage included in the Business plan, GB"},
		{"price-source", nil, &a.PriceSource, "where and when the prices were read"},
	}
}

// Register adds a flag per assumption to fs, the why as its usage.
func (a *Assumptions) Register(fs *flag.FlagSet) {
	for _, s := range a.specs() {
		if s.num != nil {
			fs.Float64Var(s.num, s.flag, *s.num, s.why)
		} else {
			fs.StringVar(s.str, s.flag, *s.str, s.why)
		}
	}
}

// List is every assumption with its value and why.
func (a *Assumptions) List() []Assumption {
	var out []Assumption
	for _, s := range a.specs() {
		v := ""
		if s.num != nil {
			v = strconv.FormatFloat(*s.num, 'g', -1, 64)
		} else {
			v = *s.str
		}
		out = append(out, Assumption{Flag: "--" + s.flag, Value: v, Why: s.why})
	}
	return out
}

// tier is one price step: actions up to UpTo (a month, cumulative) cost
// USDPerMillion each million.
type tier struct {
	UpTo          float64
	USDPerMillion float64
}

func parseTiers(s string) ([]tier, error) {
	var out []tier
	prev := 0.0
	for _, part := range strings.Split(s, ",") {
		upto, price, ok := strings.Cut(strings.TrimSpace(part), ":")
		u, err1 := strconv.ParseFloat(upto, 64)
		p, err2 := strconv.ParseFloat(price, 64)
		if !ok || err1 != nil || err2 != nil || u <= prev || p < 0 {
			return nil, fmt.Errorf("price tiers %q: want ascending UPTO:PRICE pairs (millions of actions, USD per million), e.g. 5:50,10:45", s)
		}
		out = append(out, tier{UpTo: u * 1e6, USDPerMillion: p})
		prev = u
	}
	return out, nil
}

// actionsUSD prices actions a month through the tiers; above the last
// tier the last price holds.
func actionsUSD(actions float64, tiers []tier) float64 {
	usd, from := 0.0, 0.0
	for i, t := range tiers {
		upto := t.UpTo
		if i == len(tiers)-1 {
			upto = max(upto, actions)
		}
		if actions <= from {
			break
		}
		n := min(actions, upto) - from
		usd += n / 1e6 * t.USDPerMillion
		from = upto
	}
	return usd
}

func (a *Assumptions) check() error {
	var probs []string
	for _, s := range a.specs() {
		if s.num != nil && *s.num < 0 {
			probs = append(probs, "--"+s.flag+" must not be negative")
		}
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"emails-per-journey", a.EmailsPerJourney}, {"journey-days", a.JourneyDays}, {"campaign-hours", a.CampaignHours},
		{"utilisation", a.Utilisation}, {"worker-memory-mib", a.WorkerMemoryMiB}, {"shard-growth", a.ShardGrowth}} {
		if p.v <= 0 {
			probs = append(probs, "--"+p.name+" must be positive")
		}
	}
	if a.Utilisation > 1 || a.CampaignShare > 1 || a.HandoffRate > 1 {
		probs = append(probs, "--utilisation, --campaign-share and --handoff-rate are shares (0 to 1)")
	}
	if _, err := parseTiers(a.PriceTiers); err != nil {
		probs = append(probs, err.Error())
	}
	if len(probs) > 0 {
		return fmt.Errorf("capacity: %s", strings.Join(probs, "; "))
	}
	return nil
}
