package engagement

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ripen/ripen/store"
)

const (
	chrome    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	barracuda = "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0) BarracudaCentral"
)

var delivered = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// at is a moment after delivery.
func at(d time.Duration) time.Time { return delivered.Add(d) }

// fetched is an earlier fetch of the email: a person's unless reason says
// otherwise.
func fetched(id int64, link string, d time.Duration, reason string) store.LinkFetch {
	return store.LinkFetch{ID: id, Link: link, Trap: link == "trap", Machine: reason != "", Reason: reason, FetchedAt: at(d)}
}

func TestWhoFetchedALink(t *testing.T) {
	browser := Visit{Method: "GET", UserAgent: chrome, At: at(time.Second)}
	with := func(change func(*Visit)) Visit {
		v := browser
		change(&v)
		return v
	}
	cases := []struct {
		name    string
		visit   Visit
		link    string // "trap": the email's hidden link
		earlier []store.LinkFetch
		want    store.FetchVerdict
	}{
		{name: "a person's single click a second after delivery counts",
			visit: browser, link: "a",
			want: store.FetchVerdict{}},
		{name: "a second link soon after the first still counts",
			visit: with(func(v *Visit) { v.At = at(4 * time.Second) }), link: "b",
			earlier: []store.LinkFetch{fetched(1, "a", time.Second, "")},
			want:    store.FetchVerdict{}},
		{name: "the same link again counts as the person's",
			visit: with(func(v *Visit) { v.At = at(2 * time.Second) }), link: "a",
			earlier: []store.LinkFetch{fetched(1, "a", time.Second, ""), fetched(2, "a", 1500*time.Millisecond, "")},
			want:    store.FetchVerdict{}},

		// What the request says.
		{name: "a HEAD request is a machine's",
			visit: with(func(v *Visit) { v.Method = "HEAD" }), link: "a",
			want: store.FetchVerdict{Machine: true, Reason: ReasonHead}},
		{name: "Purpose: prefetch",
			visit: with(func(v *Visit) { v.Purpose = []string{"prefetch"} }), link: "a",
			want: store.FetchVerdict{Machine: true, Reason: ReasonPrefetch}},
		{name: "Sec-Purpose: prefetch;prerender",
			visit: with(func(v *Visit) { v.Purpose = []string{"prefetch;prerender"} }), link: "a",
			want: store.FetchVerdict{Machine: true, Reason: ReasonPrefetch}},
		{name: "X-Moz: prefetch",
			visit: with(func(v *Visit) { v.Purpose = []string{"", "Prefetch"} }), link: "a",
			want: store.FetchVerdict{Machine: true, Reason: ReasonPrefetch}},
		{name: "X-Purpose: preview",
			visit: with(func(v *Visit) { v.Purpose = []string{"preview"} }), link: "a",
			want: store.FetchVerdict{Machine: true, Reason: ReasonPrefetch}},

		// Who says they fetch it.
		{name: "Barracuda's agent",
			visit: with(func(v *Visit) { v.UserAgent = barracuda }), link: "a",
			want: store.FetchVerdict{Machine: true, Reason: ReasonAgent}},
		{name: "Proofpoint's agent",
			visit: with(func(v *Visit) { v.UserAgent = "Proofpoint URL Defense/1.0" }), link: "a",
			want: store.FetchVerdict{Machine: true, Reason: ReasonAgent}},
		{name: "Office checking a link before the browser opens it",
			visit: with(func(v *Visit) { v.UserAgent = "Microsoft Office Existence Discovery" }), link: "a",
			want: store.FetchVerdict{Machine: true, Reason: ReasonAgent}},
		{name: "a chat app's link preview",
			visit: with(func(v *Visit) { v.UserAgent = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)" }), link: "a",
			want: store.FetchVerdict{Machine: true, Reason: ReasonAgent}},
		{name: "no agent at all",
			visit: with(func(v *Visit) { v.UserAgent = "  " }), link: "a",
			want: store.FetchVerdict{Machine: true, Reason: ReasonAgent}},
		{name: "an HTTP library is taken for a person",
			visit: with(func(v *Visit) { v.UserAgent = "curl/8.5.0" }), link: "a",
			want: store.FetchVerdict{}},

		// The hidden link.
		{name: "the hidden link is a machine's",
			visit: browser, link: "trap",
			want: store.FetchVerdict{Machine: true, Reason: ReasonTrap}},
		{name: "links of the email right after its hidden link are a machine's",
			visit: with(func(v *Visit) { v.At = at(1500 * time.Millisecond) }), link: "a",
			earlier: []store.LinkFetch{fetched(1, "trap", time.Second, ReasonTrap)},
			want:    store.FetchVerdict{Machine: true, Reason: ReasonScanned}},
		{name: "the email counts as scanned for the scan window",
			visit: with(func(v *Visit) { v.At = at(time.Second + ScanWindow) }), link: "a",
			earlier: []store.LinkFetch{fetched(1, "trap", time.Second, ReasonAgent)},
			want:    store.FetchVerdict{Machine: true, Reason: ReasonScanned}},
		{name: "after the scan window a click counts again",
			visit: with(func(v *Visit) { v.At = at(2*time.Second + ScanWindow) }), link: "a",
			earlier: []store.LinkFetch{fetched(1, "trap", time.Second, ReasonTrap)},
			want:    store.FetchVerdict{}},
		{name: "the hidden link makes the clicks just before it a machine's",
			visit: with(func(v *Visit) { v.At = at(3 * time.Second) }), link: "trap",
			earlier: []store.LinkFetch{fetched(1, "a", time.Second, ""), fetched(2, "b", 2*time.Second, ReasonHead)},
			want:    store.FetchVerdict{Machine: true, Reason: ReasonTrap, Correct: []int64{1}, CorrectReason: ReasonScanned}},
		{name: "but not a click long before it",
			visit: with(func(v *Visit) { v.At = at(time.Minute) }), link: "trap",
			earlier: []store.LinkFetch{fetched(1, "a", time.Minute-BurstWindow-time.Second, "")},
			want:    store.FetchVerdict{Machine: true, Reason: ReasonTrap}},

		// Several links at once.
		{name: "a third link of the email within seconds is a burst, and so are the first two",
			visit: with(func(v *Visit) { v.At = at(2 * time.Second) }), link: "c",
			earlier: []store.LinkFetch{fetched(1, "a", time.Second, ""), fetched(2, "b", 1500*time.Millisecond, "")},
			want:    store.FetchVerdict{Machine: true, Reason: ReasonBurst, Correct: []int64{1, 2}, CorrectReason: ReasonBurst}},
		{name: "a HEAD of every link and then a browser's GET is a burst",
			visit: with(func(v *Visit) { v.At = at(3 * time.Second) }), link: "a",
			earlier: []store.LinkFetch{fetched(1, "a", time.Second, ReasonHead), fetched(2, "b", time.Second, ReasonHead), fetched(3, "c", time.Second, ReasonHead)},
			want:    store.FetchVerdict{Machine: true, Reason: ReasonBurst}},
		{name: "a burst found by a machine's fetch corrects the person-like ones before it",
			visit: with(func(v *Visit) { v.Method, v.At = "HEAD", at(2*time.Second) }), link: "c",
			earlier: []store.LinkFetch{fetched(1, "a", time.Second, ""), fetched(2, "b", time.Second, "")},
			want:    store.FetchVerdict{Machine: true, Reason: ReasonHead, Correct: []int64{1, 2}, CorrectReason: ReasonBurst}},
		{name: "three links spread over more than the burst window count",
			visit: with(func(v *Visit) { v.At = at(30 * time.Second) }), link: "c",
			earlier: []store.LinkFetch{fetched(1, "a", time.Second, ""), fetched(2, "b", 15*time.Second, "")},
			want:    store.FetchVerdict{}},
		{name: "the hidden link does not count towards a burst",
			visit: with(func(v *Visit) { v.At = at(time.Minute) }), link: "b",
			earlier: []store.LinkFetch{fetched(1, "trap", time.Minute-ScanWindow-time.Second, ReasonTrap), fetched(2, "a", time.Minute-time.Second, "")},
			want:    store.FetchVerdict{}},
		{name: "a fetch stamped a moment later by another API process counts as the same moment",
			visit: with(func(v *Visit) { v.At = at(time.Second) }), link: "c",
			earlier: []store.LinkFetch{fetched(1, "a", time.Second, ""), fetched(2, "b", 1200*time.Millisecond, "")},
			want:    store.FetchVerdict{Machine: true, Reason: ReasonBurst, Correct: []int64{1, 2}, CorrectReason: ReasonBurst}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, judge(c.visit, c.link, c.link == "trap", c.earlier))
		})
	}
}
