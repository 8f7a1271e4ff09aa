package engagement

// Machine clicks. Mail security gateways (Microsoft Defender Safe Links,
// Mimecast, Proofpoint, Barracuda, ...) fetch every link of an email within
// seconds of delivery, and link previews and browsers fetch links nobody
// clicked. Such a fetch still gets its redirect, but it is recorded as a
// machine's (store.LinkFetch) and never becomes a click event: no score, no
// run, no detector. A single click from a browser counts, however soon
// after delivery.
//
// A fetch is a machine's when
//   - it is a HEAD request, or a prefetch (Purpose, Sec-Purpose, X-Purpose
//     or X-Moz saying prefetch, prerender or preview);
//   - its user agent is empty or names a scanner or link preview
//     (scannerAgents);
//   - it is the email's hidden link (linktoken.KindTrap: an anchor without
//     text in an element hidden from view and from screen readers, which
//     only machines follow), or comes within ScanWindow after that link
//     was fetched: the email is being scanned;
//   - BurstLinks different links of the email were fetched within
//     BurstWindow, this one included: people open one link, maybe two.
//
// Fetches arrive one by one, so a scanner that follows the email's visible
// links first is seen only at the hidden link or the burst. The fetches of
// the email in the BurstWindow before that are then corrected: marked a
// machine's, their click events deleted, so no detector or report counts
// them again. A run that already took such a click keeps its points (a run
// never gives back an engagement it heard); the hidden link comes first in
// the email to keep this rare.

import (
	"slices"
	"strings"
	"time"

	"github.com/ripen/ripen/store"
)

const (
	// BurstWindow and BurstLinks: that many different links of one email
	// fetched within that long are a machine's.
	BurstWindow = 10 * time.Second
	BurstLinks  = 3
	// ScanWindow is how long after its hidden link was fetched an email
	// counts as being scanned: every fetch of its links then is a machine's.
	ScanWindow = 30 * time.Second
)

// Why a fetch is a machine's (store.LinkFetch.Reason).
const (
	ReasonHead     = "head"
	ReasonPrefetch = "prefetch"
	ReasonAgent    = "agent"
	ReasonTrap     = "trap"
	ReasonScanned  = "scanned"
	ReasonBurst    = "burst"
)

// scannerAgents are lower-case parts of the user agents of machines that
// fetch links nobody clicked. Most gateways fetch with a browser's agent,
// which is why the hidden link and the burst rule exist; these are the
// ones that say who they are. HTTP libraries (curl, Go) are left out on
// purpose: people's tools and ripen's own tests use them.
var scannerAgents = []string{
	"barracuda",                            // Barracuda Email Security ("BarracudaCentral")
	"proofpoint",                           // Proofpoint URL Defense
	"mimecast",                             // Mimecast URL Protect
	"ironport",                             // Cisco Secure Email
	"microsoft office existence discovery", // Office checks a link before the browser opens it
	"bingpreview",                          // Microsoft's link previews
	"skypeuripreview",                      // Teams and Skype link previews
	"slackbot",                             // Slack unfurling a shared link
	"facebookexternalhit",                  // Facebook and WhatsApp previews
	"linkedinbot",                          // LinkedIn previews
}

// Visit is how a tracked link was fetched.
type Visit struct {
	// Method is the HTTP method: GET, or HEAD.
	Method    string
	UserAgent string
	// Purpose holds the values of the Purpose, Sec-Purpose, X-Purpose and
	// X-Moz headers, which browsers send with prefetches.
	Purpose []string
	At      time.Time
}

// judge decides whether a fetch of link (of the email's links; trap: its
// hidden one) in visit v is a machine's, given the fetches of the same
// email before it (oldest first, back at least ScanWindow). It also names
// the earlier fetches that the fetch shows to be a machine's.
func judge(v Visit, link string, trap bool, earlier []store.LinkFetch) store.FetchVerdict {
	var out store.FetchVerdict
	switch {
	case strings.EqualFold(v.Method, "HEAD"):
		out.Reason = ReasonHead
	case prefetch(v.Purpose):
		out.Reason = ReasonPrefetch
	case scannerAgent(v.UserAgent):
		out.Reason = ReasonAgent
	case trap:
		out.Reason = ReasonTrap
	case slices.ContainsFunc(earlier, func(f store.LinkFetch) bool { return f.Trap && within(f.FetchedAt, v.At, ScanWindow) }):
		out.Reason = ReasonScanned
	}
	burst := burstLinks(v, link, trap, earlier) >= BurstLinks
	if burst && out.Reason == "" {
		out.Reason = ReasonBurst
	}
	out.Machine = out.Reason != ""
	if trap || burst {
		for _, f := range earlier {
			if !f.Machine && within(f.FetchedAt, v.At, BurstWindow) {
				out.Correct = append(out.Correct, f.ID)
			}
		}
	}
	switch {
	case len(out.Correct) == 0:
	case burst:
		out.CorrectReason = ReasonBurst
	default:
		out.CorrectReason = ReasonScanned
	}
	return out
}

// burstLinks counts the different visible links of the email fetched
// within BurstWindow up to v, v's own included.
func burstLinks(v Visit, link string, trap bool, earlier []store.LinkFetch) int {
	links := map[string]bool{}
	if !trap {
		links[link] = true
	}
	for _, f := range earlier {
		if !f.Trap && within(f.FetchedAt, v.At, BurstWindow) {
			links[f.Link] = true
		}
	}
	return len(links)
}

// within: earlier happened at most d before at. A fetch stamped a moment
// after at (another API process's clock) counts as at the same time.
func within(earlier, at time.Time, d time.Duration) bool {
	return at.Sub(earlier) <= d
}

func prefetch(purpose []string) bool {
	for _, p := range purpose {
		p = strings.ToLower(p)
		if strings.Contains(p, "prefetch") || strings.Contains(p, "prerender") || strings.Contains(p, "preview") {
			return true
		}
	}
	return false
}

func scannerAgent(ua string) bool {
	ua = strings.ToLower(strings.TrimSpace(ua))
	if ua == "" {
		return true
	}
	for _, s := range scannerAgents {
		if strings.Contains(ua, s) {
			return true
		}
	}
	return false
}
