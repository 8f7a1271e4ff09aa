// Package capacity sizes ripen for a population of accounts from what
// `ripen-dev bench` measured: Temporal Cloud actions and their price, a
// self-hosted cluster's shards and writes, worker replicas, Postgres
// growth, SendGrid volume and webhook rates. Every figure comes from a
// measured input of the bench's JSON report or from a named assumption
// (Assumptions, each a flag of `ripen-dev capacity`); the model lists both.
//
// It is arithmetic only: no I/O besides reading the report, no Temporal,
// no Postgres.
package capacity

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ripen/ripen/engagement"
)

// Calendar constants (not assumptions).
const (
	daysPerYear    = 365.0
	monthsPerYear  = 12.0
	daysPerMonth   = daysPerYear / monthsPerYear
	secondsPerYear = daysPerYear * 24 * 3600
	// gbhPerGBMonth converts GB held for a month to GBh as Temporal
	// Cloud's pricing page does ("1GB equals 744GBh").
	gbhPerGBMonth = 744.0
	gib           = 1 << 30
	// webhookKeptDays is how long a SendGrid event ID stays: the webhook's
	// replay window, after which the API's hourly pruning forgets it.
	webhookKeptDays = float64(engagement.WebhookReplayWindow) / float64(24*time.Hour)
	// tupleOverhead is what Postgres adds to each row's data on its page:
	// a 23-byte tuple header padded to 24, and a 4-byte line pointer
	// (PostgreSQL documentation, "Database Page Layout").
	tupleOverhead = 28
)

// Model is the sized deployment: inputs, assumptions and figures.
type Model struct {
	Scenario    Scenario
	Bench       Provenance
	Inputs      []Input
	Assumptions []Assumption
	// Missing names optional inputs the report lacked and what the model
	// assumed instead.
	Missing  []string
	Sections []Section
	// Figures holds the headline numbers by key, for tests and callers.
	Figures map[string]float64
}

// Provenance says where the measured inputs come from.
type Provenance struct {
	StartedAt, Mode, Machine, Temporal, Settings string
}

// Input is one measured figure the model uses.
type Input struct {
	Name, Path string
	Value      float64
}

// Section is one part of the model: figures and what to do about them.
type Section struct {
	Title  string
	Rows   []Row
	Advice []string
}

// Row is one figure: its value and how it was computed.
type Row struct {
	Figure, Value, How string
}

// Compute builds the model.
func Compute(b Bench, sc Scenario, a Assumptions) (*Model, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	if sc.Accounts <= 0 || sc.Contacts <= 0 || sc.JourneysPerYear <= 0 {
		return nil, errors.New("capacity: --accounts, --contacts and --journeys-per-year must be positive")
	}
	if err := required(b); err != nil {
		return nil, err
	}
	tiers, _ := parseTiers(a.PriceTiers)
	m := &Model{Scenario: sc, Assumptions: a.List(), Figures: map[string]float64{}}
	m.provenance(b)
	y := b.Year
	in := func(name, path string, v float64) float64 {
		m.Inputs = append(m.Inputs, Input{Name: name, Path: path, Value: v})
		return v
	}
	in("billable actions per run start (with its first email and wait)", "simulated_year.per_start.billable_actions", y.PerStart.Actions)
	in("billable actions per later week (one email step and its wait)", "simulated_year.per_week.billable_actions", y.PerWeek.Actions)
	in("billable actions per engagement signal", "simulated_year.per_engagement.billable_actions", y.PerEngagement.Actions)
	in("billable actions per fast-lane hand-off", "simulated_year.handoff.per_fast_lane.billable_actions", y.Handoff.PerFastLane.Actions)
	in("billable actions per sales answer", "simulated_year.handoff.per_sales_feedback.billable_actions", y.Handoff.PerSalesFeedback.Actions)
	in("history bytes per start / week / engagement", "simulated_year.per_*.history_bytes", y.PerStart.Bytes+y.PerWeek.Bytes+y.PerEngagement.Bytes)
	in("workflow tasks per start / week / engagement", "simulated_year.per_*.workflow_tasks", y.PerStart.WorkflowTasks+y.PerWeek.WorkflowTasks+y.PerEngagement.WorkflowTasks)
	in("billable actions per run-year of the simulated year (check)", "simulated_year.billable_actions_per_run_year", y.ActionsPerRunYear)
	in("history events per sleeping run (check)", "scale.history_events_per_run", b.Scale.HistoryPerRun)

	// The population.
	A, C, J := sc.Accounts, sc.Contacts, sc.JourneysPerYear
	E, D, G, H := a.EmailsPerJourney, a.JourneyDays, a.EngagementPerContactMonth, a.HandoffRate
	runsYear := A * J
	runsMonth := runsYear / monthsPerYear
	openRuns := runsYear * D / daysPerYear
	runsPerAccount := J * D / daysPerYear // running runs an account has on average
	eventsMonth := A * C * G              // engagement events stored
	signalsMonth := eventsMonth * runsPerAccount
	signalsPerRun := C * G * D / daysPerMonth

	// One run, as its history and its actions.
	handoff := y.Handoff.PerFastLane.plus(y.Handoff.PerSalesFeedback)
	// per_start includes the first email step; each further one is a week.
	runU := y.PerStart.plus(y.PerWeek.times(E - 1)).plus(handoff.times(H))
	lifeU := runU.plus(y.PerEngagement.times(signalsPerRun))
	heartbeats := a.HeartbeatsPerSend * E
	queries := a.QueriesPerRunMonth * D / daysPerMonth
	actionsPerRun := runU.Actions + heartbeats + queries

	// Temporal actions.
	actStarts := runsMonth * y.PerStart.Actions
	actSteps := runsMonth * (E - 1) * y.PerWeek.Actions
	actHandoffs := runsMonth * H * handoff.Actions
	actEngagement := signalsMonth * y.PerEngagement.Actions
	actHeartbeats := runsMonth * heartbeats
	actQueries := openRuns * a.QueriesPerRunMonth
	actionsMonth := actStarts + actSteps + actHandoffs + actEngagement + actHeartbeats + actQueries
	perAccountMonth := actionsMonth / A
	m.Figures["actions_per_month"] = actionsMonth
	m.Figures["actions_per_account_month"] = perAccountMonth
	m.Figures["actions_per_run"] = actionsPerRun + signalsPerRun*y.PerEngagement.Actions
	m.add(Section{Title: "Temporal actions", Rows: []Row{
		{"runs started a month", num(runsMonth), fmt.Sprintf("accounts %s × journeys a year %s ÷ 12", num(A), num(J))},
		{"runs open at a time", num(openRuns), fmt.Sprintf("runs a year × journey-days %s ÷ 365", num(D))},
		{"engagement signals a month", num(signalsMonth), fmt.Sprintf("accounts × contacts %s × engagement-per-contact-month %s × running runs per account %s (journeys a year × journey-days ÷ 365): each event signals every running run of its account", num(C), num(G), num2(runsPerAccount))},
		{"actions per run (its life)", num2(m.Figures["actions_per_run"]), fmt.Sprintf("start with the first email %s + (emails %s − 1) × week %s + hand-off-rate %s × (fast lane %s + sales answer %s) + heartbeats %s + queries %s + engagement signals %s × %s",
			num2(y.PerStart.Actions), num(E), num2(y.PerWeek.Actions), num2(H), num2(y.Handoff.PerFastLane.Actions), num2(y.Handoff.PerSalesFeedback.Actions), num2(heartbeats), num2(queries), num2(signalsPerRun), num2(y.PerEngagement.Actions))},
		{"  starts", num(actStarts), "runs a month × actions per start"},
		{"  email steps after the first", num(actSteps), "runs a month × (emails per journey − 1) × actions per week"},
		{"  engagement", num(actEngagement), "engagement signals a month × actions per engagement"},
		{"  hand-offs", num(actHandoffs), "runs a month × hand-off-rate × (fast lane + sales answer)"},
		{"  activity heartbeats", num(actHeartbeats), "runs a month × emails per journey × heartbeats-per-send (not in history)"},
		{"  queries", num(actQueries), "runs open × queries-per-run-month (not in history)"},
		{"actions a month", num(actionsMonth), "the sum"},
		{"actions per account-month", num2(perAccountMonth), "actions a month ÷ accounts"},
	}, Advice: []string{
		fmt.Sprintf("Engagement is %s of the actions: each signal is a signal action, plus a search-attribute upsert for the workflow task it causes (a run upserts once per task, so signals that arrive together share one). Routing only events that can change a run (its scoring topics) would cut it further.", pct(actEngagement/actionsMonth)),
	}})

	// Temporal Cloud.
	billable := max(0, actionsMonth-a.IncludedActions)
	usdActions := actionsUSD(billable, tiers)
	// A run's history grows through its life: an open run holds half of
	// its final history on average.
	activeGB := openRuns * lifeU.Bytes / 2 / 1e9
	retainedGB := runsMonth * (a.ClosedRetentionDays / daysPerMonth) * lifeU.Bytes / 1e9
	usdActive := max(0, activeGB-a.IncludedActiveGB) * gbhPerGBMonth * a.ActiveGBhUSD
	usdRetained := max(0, retainedGB-a.IncludedRetainedGB) * gbhPerGBMonth * a.RetainedGBhUSD
	usage := usdActions + usdActive + usdRetained
	plan := max(a.PlanMinUSD, a.PlanPercent/100*usage)
	total := usage + plan
	m.Figures["cloud_usd_per_month"] = total
	m.Figures["cloud_actions_usd_per_month"] = usdActions
	m.add(Section{Title: "Temporal Cloud at list prices", Rows: []Row{
		{"actions billed a month", num(billable), fmt.Sprintf("actions a month − included-actions %s", num(a.IncludedActions))},
		{"actions", usd(usdActions), "through --price-tiers " + a.PriceTiers + " (millions: USD per million)"},
		{"history per run (its life)", bytesText(lifeU.Bytes), fmt.Sprintf("start + %s more weeks + hand-off share + %s engagement signals, bytes as measured", num(E-1), num2(signalsPerRun))},
		{"active storage", fmt.Sprintf("%s GB, %s", num2(activeGB), usd(usdActive)), fmt.Sprintf("runs open × half the history per run (it grows through the run's life); above %s GB included, × 744 GBh × %s", num(a.IncludedActiveGB), usdPrice(a.ActiveGBhUSD))},
		{"retained storage", fmt.Sprintf("%s GB, %s", num2(retainedGB), usd(usdRetained)), fmt.Sprintf("runs closed within closed-retention-days %s × history per run; above %s GB included, × 744 GBh × %s", num(a.ClosedRetentionDays), num(a.IncludedRetainedGB), usdPrice(a.RetainedGBhUSD))},
		{"plan", usd(plan), fmt.Sprintf("greater of %s and %s %% of usage", usd(a.PlanMinUSD), num(a.PlanPercent))},
		{"total a month", usd(total), "actions + storage + plan"},
		{"per account-month", usdPrice(total / A), "total ÷ accounts"},
		{"per account-year", usdPrice(total * 12 / A), ""},
	}, Advice: []string{
		"Prices: " + a.PriceSource + ". Above 200 million actions a month the page says to contact Sales (commitments discount further); the model keeps the last listed price, so the figure is an upper bound at list prices.",
	}})

	// Self-hosted Temporal.
	startsAvg := runsYear / secondsPerYear
	signalsAvg := signalsMonth * monthsPerYear / secondsPerYear
	peakStarts := A * a.CampaignShare / (a.CampaignHours * 3600)
	emailsPerContactMonth := J * E / monthsPerYear
	engagementPerEmail := G / emailsPerContactMonth
	peakEmails := peakStarts*C + startsAvg*E*C
	campaignEvents := peakStarts * C * engagementPerEmail
	eventsAvg := eventsMonth * monthsPerYear / secondsPerYear
	peakSignals := signalsAvg + campaignEvents
	writes := func(u Unit) float64 {
		return u.WorkflowTasks*a.WritesPerWorkflowTask + u.Activities*a.WritesPerActivity
	}
	runWrites := writes(runU)
	avgWrites := startsAvg*runWrites + signalsAvg*writes(y.PerEngagement)
	peakWrites := avgWrites + peakStarts*writes(y.PerStart) + (peakSignals-signalsAvg)*writes(y.PerEngagement)
	avgEvents := startsAvg*runU.Events + signalsAvg*y.PerEngagement.Events
	peakEvents := avgEvents + peakStarts*y.PerStart.Events + (peakSignals-signalsAvg)*y.PerEngagement.Events
	shardsBusy := peakWrites * a.ShardWriteMs / 1000 / a.Utilisation
	shards := nextPow2(math.Ceil(shardsBusy * a.ShardGrowth))
	visAvg := startsAvg*(2+runU.Upserts) + signalsAvg*y.PerEngagement.Upserts
	visPeak := visAvg + peakStarts*(1+y.PerStart.Upserts) + (peakSignals-signalsAvg)*y.PerEngagement.Upserts
	m.Figures["peak_starts_per_s"] = peakStarts
	m.Figures["peak_writes_per_s"] = peakWrites
	m.Figures["avg_writes_per_s"] = avgWrites
	m.Figures["history_shards"] = shards
	rows := []Row{
		{"run starts per second: average / campaign peak", num2(startsAvg) + " / " + num2(peakStarts), fmt.Sprintf("runs a year ÷ seconds a year; peak: accounts × campaign-share %s ÷ campaign-hours %s", num2(a.CampaignShare), num(a.CampaignHours))},
		{"engagement signals per second: average / peak", num2(signalsAvg) + " / " + num2(peakSignals), fmt.Sprintf("peak adds the campaign's first emails × engagement per email %s (engagement-per-contact-month ÷ emails per contact-month %s)", num2(engagementPerEmail), num2(emailsPerContactMonth))},
		{"history events per second: average / peak", num(avgEvents) + " / " + num(peakEvents), "per start, week, engagement as measured"},
		{"persistence writes per second: average / peak", num(avgWrites) + " / " + num(peakWrites), fmt.Sprintf("workflow tasks × writes-per-workflow-task %s + activities × writes-per-activity %s", num(a.WritesPerWorkflowTask), num(a.WritesPerActivity))},
		{"visibility writes per second: average / peak", num2(visAvg) + " / " + num2(visPeak), "a run's start and close, and every search-attribute upsert"},
		{"shards busy at peak", num2(shardsBusy), fmt.Sprintf("peak writes × shard-write-ms %s ÷ 1000 ÷ utilisation %s", num(a.ShardWriteMs), num2(a.Utilisation))},
		{"history shards", num(shards), fmt.Sprintf("shards busy × shard-growth %s, to the next power of two", num(a.ShardGrowth))},
	}
	if b.Raw.Signals.ProcessedPerS > 0 {
		v := in("raw ceiling: signals handled per second on one shard (dev store)", "raw_ceiling.signals.processed_per_s", b.Raw.Signals.ProcessedPerS)
		rows = append(rows, Row{"check: one shard in the bench", fmt.Sprintf("%s workflow tasks/s ≈ %s writes/s (%s ms a write)", num(v), num(v*a.WritesPerWorkflowTask), num2(1000/(v*a.WritesPerWorkflowTask))),
			"the raw ceiling's signals handled per second, one workflow task each, on the bench's dev store: a floor for a production database"})
	}
	m.add(Section{Title: "Self-hosted Temporal", Rows: rows, Advice: []string{
		fmt.Sprintf("Create the cluster with numHistoryShards = %s: it cannot change later. Watch the history service's shard lock latency (semaphore_latency) and persistence latency; if a write takes longer than shard-write-ms, rerun with the measured figure.", num(shards)),
		"Size the persistence database for the peak writes above plus their indexes, and the visibility store for its writes; SQL visibility serves the console's run lists.",
	}})

	// Workers.
	workers := float64(b.Workers())
	if workers <= 0 {
		workers = 1
		m.Missing = append(m.Missing, "workers: the report does not say how many worker processes ran; the model assumes one")
	}
	enrolPerWorker := in("enrolment: runs per second to their first email", "enrolment.runs_per_s", b.Enrolment.RunsPerS) / workers
	eventsPerWorker := in("saturation: engagement events processed per second", "event_reaction.saturation.processed_per_s", b.Events.Saturation.ProcessedPerS) / workers
	load := func(starts, signals float64) float64 { return starts/enrolPerWorker + signals/eventsPerWorker }
	peakLoad := load(startsAvg+peakStarts, peakSignals)
	avgLoad := load(startsAvg, signalsAvg)
	replicasPeak := math.Ceil(peakLoad / a.Utilisation)
	replicasAvg := math.Ceil(avgLoad / a.Utilisation)
	m.Figures["worker_replicas_peak"] = replicasPeak
	wrows := []Row{
		{"one worker: runs started per second / events per second", num2(enrolPerWorker) + " / " + num2(eventsPerWorker), fmt.Sprintf("bench figures ÷ %s worker(s); the bench's worker shares its cores with the server and the API, so a worker alone does more", num(workers))},
		{"replicas at the campaign peak", num(replicasPeak), "peak starts ÷ runs per worker + peak signals ÷ events per worker, ÷ utilisation"},
		{"replicas on an average day", num(replicasAvg), "the same at the average rates"},
	}
	kib, cached := cachedRunKiB(b)
	if a.KiBPerCachedRun > 0 {
		kib = a.KiBPerCachedRun
	} else if kib > 0 {
		in("memory per cached run, KiB (process RSS the first half of the sleeping runs added, per run the cache holds)",
			fmt.Sprintf("(scale.memory_half.rss_mib − scale.memory_before.rss_mib) × 1024 ÷ %s", num(cached)), kib)
	}
	if kib > 0 {
		cache := math.Floor(a.WorkerMemoryMiB * 1024 * a.Utilisation / kib)
		cacheNow := float64(max(b.Settings.StickyCacheSize, 1))
		m.Figures["sticky_cache"] = cache
		wrows = append(wrows,
			Row{"memory of the workflow cache now", fmt.Sprintf("%s MiB for %s runs", num(cacheNow*kib/1024), num(cacheNow)), "sticky cache size × memory per cached run (measured, or --kib-per-cached-run)"},
			Row{"workflow cache that fits a replica", num(cache) + " runs", fmt.Sprintf("worker-memory-mib %s × utilisation ÷ memory per cached run", num(a.WorkerMemoryMiB))},
			Row{"runs a campaign hour wakes, per replica", num(peakStarts * 3600 / max(replicasPeak, 1)), "peak starts × 3600 ÷ replicas: more than the cache means those runs replay when they wake (short histories: cheap)"})
	} else {
		m.Missing = append(m.Missing, "scale.memory_half: no memory per sleeping run was measured (nor --kib-per-cached-run given); the workflow cache is not sized")
	}
	if len(b.Growth) >= 2 {
		first, last := b.Growth[0], b.Growth[len(b.Growth)-1]
		wrows = append(wrows, Row{"growth: event→state p99", fmt.Sprintf("%s ms at %s sleeping runs → %s ms at %s", num2(first.EventStateP99Ms), num(float64(first.SleepingRuns)), num2(last.EventStateP99Ms), num(float64(last.SleepingRuns))), "growth phase"})
	} else {
		m.Missing = append(m.Missing, "growth: no growth phase in the report; the model assumes throughput per worker does not fall with the number of sleeping runs")
	}
	if b.Raw.LikeForLike.RunsPerS > 0 {
		v := in("like-for-like raw ceiling: runs per second", "raw_ceiling.like_for_like.runs_per_s", b.Raw.LikeForLike.RunsPerS)
		wrows = append(wrows, Row{"enrolment vs like-for-like raw ceiling", num2(b.Enrolment.RunsPerS / v), "how close the worker's enrolment is to what the server allows"})
	} else {
		m.Missing = append(m.Missing, "raw_ceiling.like_for_like: not in the report; the enrolment rate is not compared with the server's")
	}
	m.add(Section{Title: "Worker replicas", Rows: wrows, Advice: []string{
		fmt.Sprintf("Run %s worker replicas through a campaign launch (%s on an average day), or spread the launch over more hours: replicas at the peak scale with 1 ÷ campaign-hours.", num(replicasPeak), num(replicasAvg)),
		"Set RIPEN_WORKER_STICKY_CACHE_SIZE to the cache that fits; sleeping runs need no cache.",
	}})

	// Postgres.
	emailsYear := runsYear * (E*C + H)
	sgEventsYear := runsYear * E * C * a.SendGridEventsPerEmail
	touchesPerRun := min(2*E*C, signalsPerRun)
	drivers := map[string]struct {
		perYear float64
		kept    float64
		how     string
	}{
		"events":         {eventsMonth * monthsPerYear, eventsMonth * monthsPerYear * a.EventsRetentionDays / daysPerYear, "accounts × contacts × engagement-per-contact-month × 12; kept: events-retention-days"},
		"outbox":         {emailsYear, emailsYear, "runs a year × (emails per journey × contacts + hand-off-rate: the owner's email)"},
		"runs":           {runsYear, runsYear, "runs a year"},
		"ended_runs":     {runsYear, runsYear, "runs a year (each run ends once)"},
		"run_touches":    {runsYear * touchesPerRun, runsYear * touchesPerRun, "runs a year × min(2 × emails × contacts, engagement signals per run): first open and click per content and contact"},
		"handoffs":       {runsYear * H, runsYear * H, "runs a year × hand-off-rate"},
		"webhook_events": {sgEventsYear, sgEventsYear * webhookKeptDays / daysPerYear, fmt.Sprintf("emails a year × sendgrid-events-per-email (SendGrid event IDs kept for dedup); kept: %s days, the webhook's replay window, then pruned hourly", num(webhookKeptDays))},
		"customers":      {0, A, "accounts (not growing with time)"},
		"contacts":       {0, A * C, "accounts × contacts (not growing with time)"},
	}
	var prow []Row
	var totalYear, totalKept float64
	type growth struct {
		table string
		gib   float64
	}
	var largest []growth
	eventsBPR := 0.0
	if rows := max(b.EventRows.TableRows, b.EventRows.Rows); rows > 0 && b.EventRows.TableMiB > 0 {
		eventsBPR = in("events table bytes per row at scale", "event_rows.table_mib ÷ event_rows.table_rows", b.EventRows.TableMiB*(1<<20)/float64(rows))
	} else {
		m.Missing = append(m.Missing, "event_rows: no large events table measured; the events table's bytes per row come from table_sizes (a small table: pages and indexes weigh more)")
	}
	var unmodelled []string
	for _, t := range b.TableSizes {
		d, ok := drivers[t.Table]
		if !ok {
			if t.Rows > 0 {
				unmodelled = append(unmodelled, fmt.Sprintf("%s (%s rows, %s)", t.Table, num(float64(t.Rows)), bytesText(float64(t.Bytes))))
			}
			continue
		}
		bpr, path := t.BytesPerRow, "table_sizes[].bytes_per_row"
		switch {
		case t.Table == "events" && eventsBPR > 0:
			bpr = eventsBPR
		case t.Rows < int64(a.MinSampleRows) && t.AvgRowBytes > 0:
			bpr, path = t.AvgRowBytes+tupleOverhead, "table_sizes[].avg_row_bytes + 28 (few rows: no indexes)"
		}
		if t.Rows == 0 || bpr <= 0 {
			prow = append(prow, Row{t.Table, "no rows measured", d.how})
			continue
		}
		in("bytes per row: "+t.Table, path, bpr)
		totalYear += d.perYear * bpr
		totalKept += d.kept * bpr
		largest = append(largest, growth{t.Table, d.kept * bpr / gib})
		prow = append(prow, Row{t.Table, fmt.Sprintf("%s rows a year, %s GiB a year; %s rows, %s GiB kept", num(d.perYear), num2(d.perYear*bpr/gib), num(d.kept), num2(d.kept*bpr/gib)),
			fmt.Sprintf("%s; × %s bytes per row", d.how, num(bpr))})
	}
	if len(b.TableSizes) == 0 {
		m.Missing = append(m.Missing, "table_sizes: not in the report; Postgres is not sized")
	}
	m.Figures["postgres_gib_per_year"] = totalYear / gib
	m.Figures["postgres_gib_kept_after_year"] = totalKept / gib
	prow = append(prow, Row{"total of these tables", fmt.Sprintf("%s GiB a year; %s GiB after a year", num2(totalYear/gib), num2(totalKept/gib)), "the sum; tables not listed grow with configuration, not accounts"})
	slices.SortStableFunc(largest, func(x, y growth) int { return cmp.Compare(y.gib, x.gib) })
	var top []string
	for _, g := range largest[:min(3, len(largest))] {
		top = append(top, fmt.Sprintf("%s (%s GiB)", g.table, num2(g.gib)))
	}
	padvice := []string{
		"Largest after a year (what is kept): " + strings.Join(top, ", ") + ".",
		"Partition events by month so RIPEN_EVENTS_RETENTION drops a month at a time instead of deleting rows, and keep the retention as short as reports need.",
		"outbox, runs and ended_runs grow without bound today: a retention for ended runs' rows (and their emails) older than the reports need would bound them. webhook_events is written as fast as SendGrid posts, but kept only for the replay window.",
	}
	if len(unmodelled) > 0 {
		padvice = append(padvice, "Not modelled (configuration, sessions or bounded): "+strings.Join(unmodelled, ", ")+".")
	}
	m.add(Section{Title: "Postgres", Rows: prow, Advice: padvice})

	// SendGrid and webhooks.
	emailsMonth := emailsYear / monthsPerYear
	m.Figures["emails_per_month"] = emailsMonth
	m.Figures["peak_emails_per_s"] = peakEmails
	m.Figures["peak_webhook_events_per_s"] = peakEmails * a.SendGridEventsPerEmail
	m.add(Section{Title: "SendGrid", Rows: []Row{
		{"emails a month", num(emailsMonth), "runs a month × (emails per journey × contacts + hand-off-rate)"},
		{"emails per second: average / campaign peak", num2(emailsYear/secondsPerYear) + " / " + num2(peakEmails), "peak: campaign starts × contacts (each run's first email) + the average flow"},
	}, Advice: []string{
		"This volume needs a high-volume SendGrid plan with dedicated IPs, warmed up over weeks before the first full campaign; spread launches so the peak stays within the plan's send rate.",
	}})
	m.add(Section{Title: "Webhooks at campaign peaks", Rows: []Row{
		{"SendGrid Event Webhook events per second: average / peak", num2(emailsYear/secondsPerYear*a.SendGridEventsPerEmail) + " / " + num2(peakEmails*a.SendGridEventsPerEmail), "emails per second × sendgrid-events-per-email (SendGrid batches them into fewer posts)"},
		{"engagement events in per second: average / peak", num2(eventsAvg) + " / " + num2(eventsAvg+campaignEvents), "engagement events a month ÷ seconds; peak adds the campaign's (each signals the run just enrolled)"},
	}, Advice: []string{
		"Run enough API replicas for the peak webhook rate: each post is verified (ECDSA) and deduplicated by sg_event_id in Postgres.",
	}})
	return m, nil
}

func (m *Model) add(s Section) { m.Sections = append(m.Sections, s) }

func (m *Model) provenance(b Bench) {
	m.Bench = Provenance{
		StartedAt: b.StartedAt.UTC().Format("2006-01-02 15:04 UTC"),
		Mode:      b.Mode,
		Machine:   fmt.Sprintf("%d cores, %s MiB, load %s → %s", b.Machine.Cores, num(b.Machine.MemTotalMiB), b.Machine.LoadAvgStart, b.Machine.LoadAvgEnd),
		Temporal:  b.Settings.Temporal,
		Settings: fmt.Sprintf("%d customers, %d sleeping runs, simulated year of %d weeks over %d API run(s), %d hand-off run(s)",
			b.Settings.Customers, b.Settings.SleepingRuns, b.Year.Weeks, b.Year.ShapeRuns, b.Year.Handoff.Runs),
	}
}

// required names the measured inputs without which there is no model.
func required(b Bench) error {
	var miss []string
	y := b.Year
	if y.ShapeRuns == 0 || y.PerStart.Actions <= 0 || y.PerWeek.Actions <= 0 {
		miss = append(miss, "simulated_year.per_start and per_week (the simulated year's shape)")
	}
	if y.PerEngagement.Actions <= 0 {
		miss = append(miss, "simulated_year.per_engagement")
	}
	if y.Handoff.Runs == 0 {
		miss = append(miss, "simulated_year.handoff")
	}
	if b.Enrolment.RunsPerS <= 0 {
		miss = append(miss, "enrolment.runs_per_s")
	}
	if b.Events.Saturation.ProcessedPerS <= 0 {
		miss = append(miss, "event_reaction.saturation.processed_per_s")
	}
	if len(miss) > 0 {
		return fmt.Errorf("capacity: the bench report lacks %s; run `ripen-dev bench` of 7 December 2026 or later", strings.Join(miss, ", "))
	}
	return nil
}

// cachedRunKiB is the memory a run in the worker's workflow cache costs:
// what the scale phase's first half of sleeping runs added to the
// process's RSS, per run of them the cache holds (the cache is full after
// min(half, cache size) runs). It includes the embedded server's caches,
// which a worker process does not have: an upper bound.
func cachedRunKiB(b Bench) (kib, cached float64) {
	half := float64(b.Scale.Runs / 2)
	cached = min(half, float64(max(b.Settings.StickyCacheSize, 1)))
	grew := b.Scale.Half.RSSMiB - b.Scale.Before.RSSMiB
	if cached < 1 || grew <= 0 {
		return 0, cached
	}
	return grew * 1024 / cached, cached
}

// nextPow2 is the smallest power of two ≥ v (at least 1).
func nextPow2(v float64) float64 {
	p := 1.0
	for p < v {
		p *= 2
	}
	return p
}
