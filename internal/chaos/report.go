package chaos

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what one run of the suite did and found.
type Report struct {
	Seed      uint64
	Short     bool
	Customers int
	Contacts  int
	Started   time.Time
	Took      time.Duration
	LoadTook  time.Duration
	WorkDir   string

	Faults     []Fault
	Load       Load
	Routes     []RouteFigures
	Invariants []*Invariant
	Measured   Measured
	// Hostile is the hostile phase's figures (nil when it did not run).
	Hostile *Hostile
	Notes   []string
}

// Fault is one fault injected, relative to the first enrolment.
type Fault struct {
	Kind, Target string
	At, Back     time.Duration
	Detail       string
}

// Load is the work the stack did during the run.
type Load struct {
	Enrolled        int
	EmailsContent   int
	EmailsHandoff   int
	EmailsReminder  int
	WebhookPosted   int
	WebhookUnique   int
	WebhookRepeats  int
	StormTook       time.Duration
	BadBatches      int
	FastLaneAcks    int
	FastLaneRefused int // answered, but not with a thank-you (run ended, …)
	Unsubscribes    int
	Clicks          int
	Looks           int
	Feedback        int
	FeedbackRaces   int
	// RaceResults counts racing answers by race and statuses, e.g.
	// "two-answers 200+409".
	RaceResults map[string]int
	FollowUps   int
	APIRequests int
	Handoffs    int
	Outcomes    map[string]int
	Running     int // runs still running at the end (legitimately or not)
}

// RouteFigures are the API's answers on one route.
type RouteFigures struct {
	Route                       string
	Count                       int
	S2xx, S3xx, S4xx, S5xx, Nil int
	P50, P99                    time.Duration
}

// Measured are the figures of what the design does not promise to rule
// out, or rules out only by its timing.
type Measured struct {
	// Resends in the known window: SendGrid accepted an email, the worker
	// died before the outbox recorded it, the retried activity sent it
	// again.
	KnownWindowResends []string
	// SentNotRecorded: SendGrid accepted the email but the outbox update
	// failed (Postgres down); the step was not repeated.
	SentNotRecorded []string
	// InFlightAtSuppression are emails SendGrid accepted within a second
	// after their address was suppressed: the send activity had checked the
	// address just before.
	InFlightAtSuppression []string
	// Excused5xx counts the API's 5xx answers inside dependency outages.
	Excused5xx map[string]int
	// DeliveredDropped counts delivered events the local SendGrid server
	// gave up posting (it retries for seconds, SendGrid for 72 hours).
	DeliveredDropped int
	// OpenHandoffsOfEndedRuns are hand-offs still open whose run ended (an
	// unsubscribe during the hand-off): sales still see them.
	OpenHandoffsOfEndedRuns int
}

// Invariant is one property checked after the run.
type Invariant struct {
	Name       string
	Statement  string
	Checked    int
	Violations []Violation
}

// Violation is one breach of an invariant, with the run and step it
// concerns.
type Violation struct {
	Run    string
	Step   string
	Detail string
}

func (inv *Invariant) add(run, step, format string, args ...any) {
	inv.Violations = append(inv.Violations, Violation{Run: run, Step: step, Detail: fmt.Sprintf(format, args...)})
}

// Violations counts every violation.
func (r *Report) Violations() int {
	n := 0
	for _, inv := range r.Invariants {
		n += len(inv.Violations)
	}
	return n
}

// Print writes what the run did and every violation.
func (r *Report) Print(w io.Writer) {
	form := "full"
	if r.Short {
		form = "short"
	}
	fmt.Fprintf(w, "\nripen chaos (%s form, seed %d): %d customers, %d contacts; load %s, whole run %s\n\n",
		form, r.Seed, r.Customers, r.Contacts, r.LoadTook.Round(time.Second), r.Took.Round(time.Second))
	fmt.Fprintln(w, "Faults injected (t = since the first enrolment):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range r.Faults {
		fmt.Fprintf(tw, "  t+%s\t%s\t%s\t%s\n", secs(f.At), f.Kind, f.Target, f.Detail)
	}
	tw.Flush()
	l := r.Load
	fmt.Fprintf(w, "\nLoad: %d runs enrolled; %d content emails, %d hand-off emails, %d reminder emails accepted by SendGrid;\n",
		l.Enrolled, l.EmailsContent, l.EmailsHandoff, l.EmailsReminder)
	fmt.Fprintf(w, "  %d webhook events posted (%d distinct, %d repeats) + %d bad-signature batches; %d API requests;\n",
		l.WebhookPosted, l.WebhookUnique, l.WebhookRepeats, l.BadBatches, l.APIRequests)
	fmt.Fprintf(w, "  %d fast-lane requests acknowledged (%d answered otherwise), %d unsubscribes, %d tracked clicks, %d page looks,\n",
		l.FastLaneAcks, l.FastLaneRefused, l.Unsubscribes, l.Clicks, l.Looks)
	fmt.Fprintf(w, "  %d sales answers (%d racing), %d repeated requests after \"rejected\"; %d hand-offs; outcomes %s; %d still running\n",
		l.Feedback, l.FeedbackRaces, l.FollowUps, l.Handoffs, formatCounts(l.Outcomes), l.Running)
	fmt.Fprintf(w, "  racing answers: %s\n", formatCounts(l.RaceResults))
	fmt.Fprintf(w, "  held %s over the load phase\n", r.rates())
	m := r.Measured
	fmt.Fprintf(w, "\nMeasured: %d resends in the known crash window; %d emails sent but not recorded; %d in flight at their suppression; %d delivered events dropped by sendgrid-dev; 5xx in outages: %s\n",
		len(m.KnownWindowResends), len(m.SentNotRecorded), len(m.InFlightAtSuppression), m.DeliveredDropped, formatCounts(m.Excused5xx))
	for _, s := range m.KnownWindowResends {
		fmt.Fprintf(w, "  resend: %s\n", s)
	}
	for _, s := range m.SentNotRecorded {
		fmt.Fprintf(w, "  sent, not recorded: %s\n", s)
	}
	for _, s := range m.InFlightAtSuppression {
		fmt.Fprintf(w, "  in flight at suppression: %s\n", s)
	}
	if h := r.Hostile; h != nil {
		fmt.Fprintf(w, "\nHostile phase (%s): honest p99 %s before, %s during (%d of %d failed); API RSS %d → %d MiB\n",
			h.Took.Round(time.Second), h.Baseline.P99.Round(time.Millisecond), h.During.P99.Round(time.Millisecond),
			h.During.Failed, h.During.Count, h.RSSBeforeKiB>>10, h.RSSPeakKiB>>10)
		for _, a := range h.Attacks {
			fmt.Fprintf(w, "  %s: %d sent, %d refused, p99 %s\n", a.Kind, a.Sent, a.Refused(), a.P99.Round(time.Millisecond))
		}
	}
	fmt.Fprintln(w, "\nInvariants:")
	for _, inv := range r.Invariants {
		mark := "ok  "
		if len(inv.Violations) > 0 {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %s (%d checked, %d violations)\n", mark, inv.Name, inv.Checked, len(inv.Violations))
	}
	for _, inv := range r.Invariants {
		for _, v := range inv.Violations {
			fmt.Fprintf(w, "VIOLATION [%s] run=%s step=%s: %s\n", inv.Name, orDash(v.Run), orDash(v.Step), v.Detail)
		}
	}
	if r.Violations() > 0 {
		fmt.Fprintln(w, "\nWhere the violations come from:")
		r.diagnose().print(w, false)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if r.WorkDir != "" {
		fmt.Fprintf(w, "\nlogs: %s\n", r.WorkDir)
	}
}

// rates is the load held: requests to the API and emails per second over
// the load phase.
func (r *Report) rates() string {
	seconds := r.LoadTook.Seconds()
	if seconds <= 0 {
		return "-"
	}
	emails := r.Load.EmailsContent + r.Load.EmailsHandoff + r.Load.EmailsReminder
	return fmt.Sprintf("%.1f API requests/s, %.1f emails/s, %.1f webhook events/s (storm %s)",
		float64(r.Load.APIRequests)/seconds, float64(emails)/seconds, float64(r.Load.WebhookPosted)/seconds, r.Load.StormTook.Round(100*time.Millisecond))
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func formatCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// WriteFile writes the report as RELIABILITY.md.
func (r *Report) WriteFile(path string) error {
	var b strings.Builder
	r.Markdown(&b)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// Markdown writes the reliability document: what ripen promises, how the
// suite tries to break it, and the figures of this run.
func (r *Report) Markdown(w io.Writer) {
	form := "full"
	if r.Short {
		form = "short (CI)"
	}
	verdict := "**All invariants held.**"
	if n := r.Violations(); n > 0 {
		verdict = fmt.Sprintf("**%d violations** — listed under *Violations* below.", n)
	}
	l, m := r.Load, r.Measured
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }

	p("# Reliability\n\n")
	p("ripen earns trust by what it never does: lose a customer's journey, send the same email\n")
	p("twice, email someone who unsubscribed, miss a demo request. `ripen-dev chaos` breaks a\n")
	p("running ripen on purpose and checks that none of it happens. This document is written by\n")
	p("the suite; the figures below are from its last %s run.\n\n", form)

	p("## How to run it\n\n")
	p("    go build -o bin/ripen ./cmd/ripen && go build -o bin/ripen-dev ./cmd/ripen-dev\n")
	p("    bin/ripen-dev chaos                 # full: 1,000 customers, 20 worker kills, Postgres restart\n")
	p("    bin/ripen-dev chaos --short         # CI form: 100 customers, 3 kills, no Postgres restart\n\n")
	p("Flags: `--customers N`, `--out FILE` (this document; the full form writes RELIABILITY.md),\n")
	p("`--keep` (keep the database, Temporal's data and the processes' logs; `--work-dir DIR` puts\n")
	p("them somewhere known), `--no-postgres-restart`, `--worker-kills N`, `--seed N` (repeat a run's\n")
	p("random choices), `--ripen PATH`, `--database-url URL`. It prints every violation with its run\n")
	p("and step and exits non-zero on any. The short form runs in CI as `go test ./internal/chaos`\n")
	p("(skipped under `-short`).\n\n")

	p("## What runs, and what breaks\n\n")
	p("The stack runs as separate processes so that each can be killed: the embedded Temporal\n")
	p("server on its own (`ripen-dev temporal`, SQLite in a file), two `ripen worker`s, `ripen api`\n")
	p("and `ripen sendgrid-dev`, against a fresh database `ripen_chaos_<unix>` on the local Postgres\n")
	p("(dropped afterwards). Customers are enrolled in waves in a journey that passes in seconds\n")
	p("(three emails, waits of 6–10 s, a 15 s SLA, a 5 s cool-down, one recycle). Meanwhile:\n\n")
	p("- **Workers** are killed with SIGKILL at random moments (one of the two each time; the other\n")
	p("  keeps running) and restarted after up to 3 s.\n")
	p("- **The Temporal server** is killed with SIGKILL once mid-run and restarted on the same data.\n")
	p("- **Postgres** is restarted once mid-run (full form).\n")
	p("- **SendGrid** (the local server) answers 429 to 25 %% and 500 to 25 %% of mail sends and hangs\n")
	p("  15 s — past the client's 10 s timeout — on 5 %%, for a minute (25 s in the short form).\n")
	p("- **A webhook storm**: ten events per customer about the emails sent so far (opens, machine\n")
	p("  opens, clicks on ripen's own and on other links, deliveries, deferrals, soft bounces),\n")
	p("  30 %% of them repeats — copies in the stream, batches posted again split differently (as SendGrid does when it\n")
	p("  misses an answer) and replays of a signed post — in shuffled order, with batches whose\n")
	p("  signature is forged, stale, missing, made with another key or over another body.\n")
	p("- **Contacts and sales**: 10 %% of contacts unsubscribe at random moments (one-click post, the\n")
	p("  page's form, or at SendGrid: an unsubscribe, spam report, hard bounce or group unsubscribe\n")
	p("  event, posted twice); 15 %% of customers confirm a fast-lane link of their newest\n")
	p("  email — some twice at once, some while sales signal the same run through the API; 15 %% click\n")
	p("  tracked links until they qualify by score; 5 %% only open the fast-lane and unsubscribe pages\n")
	p("  (GET, as mail scanners do). Sales answer every hand-off, some after the SLA, some twice at\n")
	p("  once with different outcomes, some through the inbox and the run at once; after\n")
	p("  \"rejected\" half of those customers ask again.\n\n")

	p("## What must hold\n\n")
	for _, inv := range r.Invariants {
		p("- **%s** — %s\n", inv.Name, inv.Statement)
	}
	p("\n")

	p("## Where exactly-once ends\n\n")
	p("SendGrid's mail send has no idempotency key. ripen claims an outbox row for (run, step,\n")
	p("cycle, contact) before it calls SendGrid and records the `X-Message-Id` right after the 202, so\n")
	p("a retried send activity never sends a step twice **once the outbox knows**. The one window\n")
	p("left is between SendGrid's 202 and that outbox update — the time of one SQL `UPDATE` on a\n")
	p("pooled connection, typically under a millisecond: a worker that dies exactly there leaves a\n")
	p("pending row, and the activity, retried on another worker after its start-to-close timeout,\n")
	p("sends the email again. Nothing in ripen can close that window without SendGrid's help; it\n")
	p("is as small as one statement makes it. The suite counts such resends as *measured*, not as\n")
	p("violations, when the first copy was accepted at most a second before a worker was killed;\n")
	p("any other repeat is a violation. When the outbox update itself fails (Postgres down right\n")
	p("after the 202), the activity does not retry: the email went out once, the outbox row stays\n")
	p("pending, and the run shows the error.\n\n")
	p("The same holds for a suppression: the send activity checks every address right before it\n")
	p("calls SendGrid, so an unsubscribe that commits between that check and SendGrid's 202 — a few\n")
	p("milliseconds — cannot stop that one email. The suite measures emails accepted within a second\n")
	p("after their address was suppressed as *in flight*; any later one is a violation.\n\n")
	p("The API may answer 5xx while a dependency is down: the Postgres restart (and the Temporal\n")
	p("restart, which the suite excuses the same way: a signal cannot be delivered while Temporal\n")
	p("is down). Those answers tell the caller to try again and are counted below; a 5xx at any\n")
	p("other time is a violation.\n\n")

	r.security(p)

	p("## Figures of the last run\n\n")
	p("%s\n\n", verdict)
	p("| | |\n|---|---|\n")
	p("| form | %s, seed %d |\n", form, r.Seed)
	p("| when | %s |\n", r.Started.UTC().Format("2006-01-02 15:04 MST"))
	p("| customers / contacts | %d / %d |\n", r.Customers, r.Contacts)
	p("| load phase / whole run | %s / %s |\n", r.LoadTook.Round(time.Second), r.Took.Round(time.Second))
	p("| load held | %s |\n", r.rates())
	p("| runs enrolled | %d |\n", l.Enrolled)
	p("| emails accepted by SendGrid | %d content, %d hand-off, %d reminder |\n", l.EmailsContent, l.EmailsHandoff, l.EmailsReminder)
	p("| webhook events posted | %d (%d distinct, %d repeats), %d bad-signature batches |\n", l.WebhookPosted, l.WebhookUnique, l.WebhookRepeats, l.BadBatches)
	p("| fast-lane requests acknowledged | %d (%d more answered otherwise, e.g. the run had ended) |\n", l.FastLaneAcks, l.FastLaneRefused)
	p("| unsubscribes / tracked clicks / page looks | %d / %d / %d |\n", l.Unsubscribes, l.Clicks, l.Looks)
	p("| sales answers | %d (%d in races), %d repeated requests after \"rejected\" |\n", l.Feedback, l.FeedbackRaces, l.FollowUps)
	p("| racing answers (race, statuses) | %s |\n", formatCounts(l.RaceResults))
	p("| hand-offs | %d |\n", l.Handoffs)
	p("| outcomes | %s |\n", formatCounts(l.Outcomes))
	p("| runs still running at the end | %d |\n", l.Running)
	p("| API requests | %d |\n", l.APIRequests)
	p("| resends in the known crash window | %d |\n", len(m.KnownWindowResends))
	p("| emails sent but not recorded (outbox update failed) | %d |\n", len(m.SentNotRecorded))
	p("| emails in flight when their address was suppressed | %d |\n", len(m.InFlightAtSuppression))
	p("| API 5xx inside outages | %s |\n", formatCounts(m.Excused5xx))
	p("| delivered events sendgrid-dev gave up posting | %d |\n", m.DeliveredDropped)
	p("| hand-offs left open after their run ended | %d |\n\n", m.OpenHandoffsOfEndedRuns)

	p("### Faults\n\n| t (s) | fault | target | detail |\n|---:|---|---|---|\n")
	for _, f := range r.Faults {
		p("| %.1f | %s | %s | %s |\n", f.At.Seconds(), f.Kind, f.Target, f.Detail)
	}
	p("\n### Invariants\n\n| invariant | checked | violations |\n|---|---:|---:|\n")
	for _, inv := range r.Invariants {
		p("| %s | %d | %d |\n", inv.Name, inv.Checked, len(inv.Violations))
	}
	p("\n### API answers by route\n\n| route | requests | 2xx | 3xx | 4xx | 5xx | no answer | p50 | p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, rt := range r.Routes {
		p("| `%s` | %d | %d | %d | %d | %d | %d | %s | %s |\n", rt.Route, rt.Count, rt.S2xx, rt.S3xx, rt.S4xx, rt.S5xx, rt.Nil,
			rt.P50.Round(time.Millisecond), rt.P99.Round(time.Millisecond))
	}
	if len(m.KnownWindowResends)+len(m.SentNotRecorded)+len(m.InFlightAtSuppression) > 0 {
		p("\n### Measured resends, unrecorded sends, sends in flight at a suppression\n\n")
		for _, s := range m.KnownWindowResends {
			p("- resend in the crash window: %s\n", s)
		}
		for _, s := range m.SentNotRecorded {
			p("- sent, not recorded: %s\n", s)
		}
		for _, s := range m.InFlightAtSuppression {
			p("- in flight at the suppression: %s\n", s)
		}
	}
	if n := r.Violations(); n > 0 {
		p("\n### Where the violations come from\n\n")
		r.diagnose().print(w, true)
		p("\n### Violations\n\n")
		const most = 40
		for _, inv := range r.Invariants {
			for i, v := range inv.Violations {
				if i == most {
					p("- *%s*: … and %d more\n", inv.Name, len(inv.Violations)-most)
					break
				}
				p("- *%s* — run `%s`, step `%s`: %s\n", inv.Name, orDash(v.Run), orDash(v.Step), v.Detail)
			}
		}
	}
	if len(r.Notes) > 0 {
		p("\n### Notes\n\n")
		for _, n := range r.Notes {
			p("- %s\n", n)
		}
	}
}

// routeFigures summarises the API log by route.
func routeFigures(calls []call) []RouteFigures {
	byRoute := map[string][]call{}
	for _, c := range calls {
		byRoute[c.Route] = append(byRoute[c.Route], c)
	}
	var out []RouteFigures
	for route, cs := range byRoute {
		f := RouteFigures{Route: route, Count: len(cs)}
		var lat []time.Duration
		for _, c := range cs {
			switch {
			case c.Status == 0:
				f.Nil++
			case c.Status < 300:
				f.S2xx++
			case c.Status < 400:
				f.S3xx++
			case c.Status < 500:
				f.S4xx++
			default:
				f.S5xx++
			}
			lat = append(lat, c.End.Sub(c.Start))
		}
		slices.Sort(lat)
		f.P50, f.P99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// security writes the hostile phase: what was tried and how the API held.
func (r *Report) security(p func(string, ...any)) {
	h := r.Hostile
	if h == nil {
		return
	}
	p("## Security\n\n")
	p("After the faults the suite attacks the API for a while, as a leaked marketing or sales key\n")
	p("and an anonymous sender would, while an honest client (its own marketing key) keeps reading\n")
	p("a journey about 20 times a second. Two attackers of each kind send as fast as the API answers:\n")
	p("a journey of about 25 KB whose YAML aliases would expand to millions of nodes; a journey, and\n")
	p("a simulation, whose condition loops 10^9 times (`let`, ranges, nested `any`); unsigned webhook\n")
	p("posts of 8 MiB; webhook posts that announce 1 MiB, carry signature headers and send nothing\n")
	p("(a slow-loris); customer updates that give a known account owner the attacker's address,\n")
	p("with the sales key and with a marketing key. A mail scanner meanwhile fetches every tracked\n")
	p("link of the newest emails, HEAD then GET, within a second, with a scanner's user agent.\n")
	p("The API runs with production's rate limits for the phase (50 requests/s per key, 20 per\n")
	p("client address, with bursts of twice that): most attacks are answered 429 before any work,\n")
	p("and the rest by the rule that refuses them.\n\n")
	p("| attack | requests | refused | answers | p99 |\n|---|---:|---:|---|---:|\n")
	for _, a := range h.Attacks {
		answers := map[string]int{}
		for status, n := range a.Statuses {
			answers[strconv.Itoa(status)] = n
		}
		if a.Errors > 0 {
			answers["closed"] = a.Errors
		}
		if a.Held > 0 {
			answers["held (no answer in 5 s)"] = a.Held
		}
		p("| %s | %d | %d | %s | %s |\n", a.Kind, a.Sent, a.Refused(), formatCounts(answers), a.P99.Round(time.Millisecond))
	}
	p("\n| honest client | requests | failed | p50 | p99 |\n|---|---:|---:|---:|---:|\n")
	p("| before the attacks | %d | %d | %s | %s |\n", h.Baseline.Count, h.Baseline.Failed, h.Baseline.P50.Round(time.Millisecond), h.Baseline.P99.Round(time.Millisecond))
	p("| during the attacks | %d | %d | %s | %s |\n\n", h.During.Count, h.During.Failed, h.During.P50.Round(time.Millisecond), h.During.P99.Round(time.Millisecond))
	p("The API's resident memory was %d MiB before the attacks and at most %d MiB during them.\n", h.RSSBeforeKiB>>10, h.RSSPeakKiB>>10)
	p("The scanner's fetches are redirected like anyone's, and stored as machine clicks that\n")
	p("score nothing (the *hostile-nothing-changed* invariant counts people's clicks before and\n")
	p("after).\n\n")
}
