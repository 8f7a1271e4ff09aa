package bench

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the report's headline figures for a terminal.
func (r *Report) WriteTable(out io.Writer) error {
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	row := func(cells ...any) {
		for i, c := range cells {
			if i > 0 {
				fmt.Fprint(w, "\t")
			}
			fmt.Fprint(w, c)
		}
		fmt.Fprintln(w)
	}
	lat := func(l Latency) string {
		if l.N == 0 {
			return "-"
		}
		return fmt.Sprintf("p50 %.1f  p95 %.1f  p99 %.1f ms  (n=%d)", l.P50Ms, l.P95Ms, l.P99Ms, l.N)
	}
	m := r.Machine
	fmt.Fprintf(out, "\nripen bench (%s) — %d cores, %.0f MiB, load %s → %s; Go %s, Temporal server %s, SDK %s\n",
		r.Mode, m.Cores, m.MemTotalMiB, m.LoadAvgStart, m.LoadAvgEnd, r.Versions.Go, r.Versions.TemporalServer, r.Versions.TemporalSDK)
	for _, l := range r.Settings.settingsLines() {
		fmt.Fprintf(out, "  %s\n", l)
	}
	fmt.Fprintln(out)

	raw, e, ev, sat, fl, sc, y := r.Raw, r.Enrolment, r.Events, r.Events.Saturation, r.FastLane, r.Scale, r.Year
	row("phase", "figure", "value")
	row("raw ceiling", "SignalWithStart (new runs)", fmt.Sprintf("%.1f calls/s, all handled at %.1f/s", raw.SignalWithStart.CallsPerS, raw.SignalWithStart.ProcessedPerS))
	row("", "signals to running runs", fmt.Sprintf("%.1f calls/s, all handled at %.1f/s", raw.Signals.CallsPerS, raw.Signals.ProcessedPerS))
	row("", "signal→query, "+fmt.Sprint(raw.SignalQuery.Clients)+" clients", lat(raw.SignalQuery.Latency))
	row("", "signal→query, 1 client", lat(raw.SignalQueryAlone))
	if l := raw.LikeForLike; l.Runs > 0 {
		row("", fmt.Sprintf("like-for-like: 1 activity, then asleep (%d clients)", l.Clients),
			fmt.Sprintf("%.1f runs/s to every activity done (%d runs, %.1f s); %.1f calls/s", l.RunsPerS, l.Runs, l.AllActivitiesS, l.CallsPerS))
	}
	row("", "worker processes", fmt.Sprint(max(raw.Workers, 1)))
	row("enrolment", fmt.Sprintf("%d customers, %d request(s)", e.Customers, e.Requests), fmt.Sprintf("%.1f runs/s to all first emails (%.1f s); API %.1f starts/s", e.RunsPerS, e.AllFirstSendsS, e.APIStartsPerS))
	row("", "enrolment→first email", lat(e.FirstSend))
	row("event reaction", fmt.Sprintf("%.0f/s offered for %.0f s", ev.OfferedRate, ev.DurationS), fmt.Sprintf("%d offered, %d accepted, %d in state, %d late, %d shed, %d errors", ev.Offered, ev.Accepted, ev.Reflected, ev.Late, ev.Shed, ev.Errors))
	row("", "request→state", lat(ev.ToState))
	row("", "POST /v1/events", lat(ev.Post))
	if worst := ev.worstSeconds(3); worst != "" {
		row("", "slowest seconds (max)", worst)
	}
	if ev.Late > 0 || ev.StateErrors > 0 {
		row("", "overload", fmt.Sprintf("%d events late (> 30 s), %d state reads failed", ev.Late, ev.StateErrors))
	}
	row("", fmt.Sprintf("saturation (%d clients × %d/batch)", sat.Clients, sat.BatchSize), fmt.Sprintf("%.1f events/s accepted, all in state at %.1f/s", sat.CallsPerS, sat.ProcessedPerS))
	row("fast lane", fmt.Sprintf("%d demo requests", fl.Requests), fmt.Sprintf("%d hand-offs, %d owner emails", fl.Handoffs, fl.OwnerEmails))
	row("", "POST→hand-off row", lat(fl.ToHandoff))
	row("", "POST→owner's email", lat(fl.ToEmail))
	row("scale", fmt.Sprintf("%d sleeping runs", sc.Runs), fmt.Sprintf("enrolled at %.1f runs/s", sc.RunsPerS))
	row("", "process RSS", fmt.Sprintf("%.0f → %.0f → %.0f MiB (%.2f KiB/run; %.2f in the second half); peak %.0f MiB",
		sc.Before.RSSMiB, sc.Half.RSSMiB, sc.After.RSSMiB, sc.RSSPerRunKiB, sc.MarginalRSSPerRunKiB, sc.After.PeakRSSMiB))
	row("", "Go heap in use", fmt.Sprintf("%.0f → %.0f MiB (%.2f KiB/run)", sc.Before.HeapInuseMiB, sc.After.HeapInuseMiB, sc.HeapPerRunKiB))
	store := "SQLite"
	if strings.Contains(r.Settings.Temporal, "PostgreSQL") {
		store = "Temporal's Postgres databases"
	}
	row("", store, fmt.Sprintf("%.1f → %.1f MiB (%.2f KiB/run)", mib(sc.SQLiteBefore), mib(sc.SQLiteAfter), sc.SQLitePerRunKiB))
	row("", "history events per sleeping run", fmt.Sprintf("%.1f", sc.HistoryPerRun))
	row("", "at 100,000 runs", fmt.Sprintf("%.0f MiB RSS (%s)", sc.RSSAt100kMiB, sc.RSSAt100kMeasure))
	row("simulated year", fmt.Sprintf("%d weeks, %d runs", y.Weeks, len(y.Runs)), fmt.Sprintf("%.0f events per run-year, at most %d in one history (Temporal suggests continue-as-new at %d)", y.EventsPerYear, y.MaxEventsPerRun, y.SuggestAt))
	for _, yr := range y.Runs {
		row("", yr.WorkflowID+" ("+yr.StartedVia+")", fmt.Sprintf("%d runs in chain, %d events total, max %d, current %d, %d emails", yr.Chain, yr.TotalEvents, yr.MaxEvents, yr.CurrentEvents, yr.Touches))
	}
	if y.ActionsPerRunYear > 0 {
		unit := func(u UnitCost) string {
			return fmt.Sprintf("%.2f actions, %.1f events, %.0f bytes, %.2f upserts", u.Actions, u.Events, u.Bytes, u.Upserts)
		}
		row("", "Temporal per run-year (billable actions)", fmt.Sprintf("%.0f actions, %.0f KiB of history", y.ActionsPerRunYear, y.HistoryBytesPerRunYear/1024))
		row("", "per start (with its first week)", unit(y.PerStart))
		row("", "per later week", unit(y.PerWeek))
		row("", "per engagement event", unit(y.PerEngagement))
		if h := y.Handoff; h.Runs > 0 {
			row("", "per fast lane; per sales answer", fmt.Sprintf("%.2f; %.2f actions", h.PerFastLane.Actions, h.PerSalesFeedback.Actions))
		}
	}
	if rp := r.Reporting; rp.Runs > 0 {
		row("journey report", fmt.Sprintf("%d runs, %d events (seeded in %.1f s)", rp.Runs, rp.Events, rp.SeedS),
			fmt.Sprintf("cold %.0f ms, warm p50 %.0f ms, max %.0f ms", rp.ColdMs, rp.WarmP50, rp.WarmMax))
	}
	if c := r.Collection; c.Offered > 0 {
		row("web collection", fmt.Sprintf("%.0f views/s offered for %.0f s, a tenth known", c.OfferedPerS, c.DurationS),
			fmt.Sprintf("%d/%d accepted at %.0f/s (%d late), answer p50 %.1f ms p99 %.1f ms (known p99 %.1f, anonymous p99 %.1f); stored %d+%d of %d+%d",
				c.Accepted, c.Offered, c.AchievedPerS, c.Late, c.Answer.P50Ms, c.Answer.P99Ms, c.KnownAnswer.P99Ms, c.AnonymousAnswer.P99Ms,
				c.StoredKnown, c.StoredAnonymous, c.Known, c.Anonymous))
	}
	for _, g := range r.Growth {
		row("growth", fmt.Sprintf("%d sleeping runs", g.SleepingRuns),
			fmt.Sprintf("enrolled %d at %.1f runs/s; %.0f/s for %.0f s: %d in state, %d late; event→state p50 %.1f  p99 %.1f ms; RSS %.0f MiB (children %.0f), Temporal store %.0f MiB",
				g.Enrolled, g.EnrolRunsPerS, g.OfferedRate, g.DurationS, g.InState, g.Late, g.EventStateP50Ms, g.EventStateP99Ms, g.RSSMiB, g.ChildrenRSSMiB, g.TemporalMiB))
	}
	if er := r.EventRows; er.Rows > 0 {
		row("event rows", fmt.Sprintf("%d rows of %d accounts", er.TableRows, er.Customers),
			fmt.Sprintf("filled in %.1f s (ANALYZE %.1f s), %.0f MiB with indexes", er.FillS, er.AnalyzeS, er.TableMiB))
		row("", fmt.Sprintf("routing, %.0f/s for %.0f s", er.RouteOfferedRate, er.RouteDurationS),
			fmt.Sprintf("POST→state p50 %.1f  p99 %.1f ms (n=%d, %d late)", er.RouteP50Ms, er.RouteP99Ms, er.RouteEvents, er.RouteLate))
		row("", "detection: count, then qualifying events", fmt.Sprintf("p50 %.2f  p99 %.2f ms over %d accounts (%d met the rule; %s)",
			er.DetectP50Ms, er.DetectP99Ms, er.DetectCalls, er.DetectMatched, er.Detector))
	}
	if w := r.Workers; len(w.Children) > 0 {
		for _, c := range w.Children {
			row("workers", fmt.Sprintf("%s (pid %d)", c.Name, c.PID), fmt.Sprintf("RSS %.0f MiB after enrolment, %.0f MiB at the end, peak %.0f MiB; %s",
				c.RSSAfterEnrolmentMiB, c.RSSEndMiB, c.PeakRSSMiB, c.Exit))
		}
	}
	if largest := r.largestTables(5); largest != "" {
		row("tables", "largest at the end", largest)
	}
	for _, p := range r.Profiles {
		what := p.TopFile
		if p.Error != "" {
			what += " (" + p.Error + ")"
		}
		if len(p.CPUByPart) > 0 {
			what = partsText(p.CPUByPart, 3) + "; " + what
		}
		row("profile", p.Process+" during "+p.Phase, what)
	}
	row("ratios", "enrolment / like-for-like raw runs", fmt.Sprintf("%.2f", r.Ratios.EnrolmentVsLikeForLike))
	row("", "enrolment / raw SignalWithStart", fmt.Sprintf("%.2f (vs handled: %.2f)", r.Ratios.EnrolmentVsSignalWithStart, r.Ratios.EnrolmentVsSWSProcessed))
	row("", "sustained events / raw signals", fmt.Sprintf("%.2f (handled: %.2f)", r.Ratios.EventsVsSignals, r.Ratios.EventsProcessedVsSignals))
	row("", "event→state / raw signal→query", fmt.Sprintf("p50 ×%.2f, p99 ×%.2f", r.Ratios.EventP50VsSignalQueryP50, r.Ratios.EventP99VsSignalQueryP99))
	if err := w.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(out, "\ntargets")
	w = tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	for _, t := range r.Targets {
		verdict := t.Verdict
		if verdict == "" {
			verdict = "not reached"
			if t.Met {
				verdict = "reached"
			}
		}
		note := ""
		if t.Note != "" {
			note = "(" + t.Note + ")"
		}
		fmt.Fprintf(w, "  %s\t%s\t%.3g %s\t%s\t%s\n", t.Name, t.Goal, t.Measured, t.Unit, verdict, note)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if r.Error != "" {
		fmt.Fprintf(out, "\nstopped early: %s\n", r.Error)
	}
	fmt.Fprintf(out, "\ntook %.0f s\n", r.TookS)
	return nil
}

// worstSeconds names the n seconds of the offered-rate phase with the
// slowest event, e.g. "s12 3210 ms, s13 2900 ms".
func (e Events) worstSeconds(n int) string {
	tl := slices.Clone(e.Timeline)
	slices.SortFunc(tl, func(a, b SecondStat) int { return cmp.Compare(b.MaxMs, a.MaxMs) })
	var parts []string
	for _, s := range tl[:min(n, len(tl))] {
		parts = append(parts, fmt.Sprintf("s%d %.0f ms", s.Second, s.MaxMs))
	}
	return strings.Join(parts, ", ")
}

// largestTables names the n largest of ripen's tables with their rows and
// size, e.g. "events 20000 rows 5.1 MiB, outbox 3000 rows 1.2 MiB".
func (r *Report) largestTables(n int) string {
	ts := slices.Clone(r.TableSizes)
	slices.SortFunc(ts, func(a, b TableSize) int { return cmp.Compare(b.Bytes, a.Bytes) })
	var parts []string
	for _, t := range ts[:min(n, len(ts))] {
		parts = append(parts, fmt.Sprintf("%s %d rows %.1f MiB", t.Table, t.Rows, mib(t.Bytes)))
	}
	return strings.Join(parts, ", ")
}
