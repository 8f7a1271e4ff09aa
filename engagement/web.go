package engagement

// The water hole: page views and downloads on the customers' own websites
// (company site, blog, shop, portals), sent by ripen's script. A view
// becomes engagement (a visit or download with source web) only when the
// visitor is known by a signed identity; until then it is kept, bounded,
// and counted from when it happened once the visitor is known.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/sites"
	"github.com/ripen/ripen/store"
)

const (
	// MaxAnonymousViews bounds what is kept of one unknown visitor.
	MaxAnonymousViews = 100
	// AnonymousViewsKept is how long views of unknown visitors are kept.
	AnonymousViewsKept = 30 * 24 * time.Hour
	maxPageURL         = 2000
)

// Beacon kinds the script sends.
const (
	BeaconView     = "view"
	BeaconDownload = "download"
)

// visitorID is the script's random visitor ID.
var visitorID = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// PageView is one beacon of ripen's script: a page of site seen (or a file
// downloaded) by visitor, at URL. Origin is the page's origin as the
// browser named it (the Origin header); Consent says the page had the
// visitor's consent.
type PageView struct {
	Site      sites.Site
	VisitorID string
	Kind      string
	URL       string
	Origin    string
	Consent   bool
	At        time.Time
}

// WebResult says what became of a page view.
type WebResult struct {
	// Counted: the visitor is known and the view is engagement now.
	Counted bool
	// Kept: the visitor is unknown and the view waits for them to be.
	Kept bool
}

// PageViewed takes a page view: for a known visitor it is engagement at
// once, routed to their account's runs and the detectors; for an unknown
// one it is kept for AnonymousViewsKept. A view from an origin the site
// does not list, or without consent where the site asks for it, is
// refused and nothing is stored.
func (s *Service) PageViewed(ctx context.Context, v PageView) (WebResult, error) {
	page, err := s.checkView(v)
	if err != nil {
		return WebResult{}, err
	}
	kind := "visit"
	if v.Site.IsDownload(page.Path) {
		kind = "download"
	} else if v.Kind == BeaconDownload {
		// A link the script took for a file that the site's patterns do not
		// call a download: nothing to count.
		return WebResult{}, nil
	}
	topic := v.Site.TopicOf(page.Path)
	pageURL := strings.ToLower(page.Scheme+"://"+page.Host) + page.Path
	ref, known, kept, err := s.store.TakeWebView(ctx, store.WebView{SiteID: v.Site.ID, VisitorID: v.VisitorID, Kind: kind,
		Page: pageURL, Topic: topic, OccurredAt: v.At}, MaxAnonymousViews)
	if err != nil || !known {
		return WebResult{Kept: kept}, err
	}
	ev := webEvent(v.Site, ref, kind, pageURL, topic, v.At)
	if _, err := s.record(ctx, []store.Event{ev}); err != nil {
		return WebResult{}, err
	}
	return WebResult{Counted: true}, nil
}

// checkView refuses a beacon the site did not send, and returns its page.
func (s *Service) checkView(v PageView) (*url.URL, error) {
	if !v.Site.AllowsOrigin(v.Origin) {
		return nil, fault.Newf(fault.Forbidden, "origin %q is not one of site %s's origins", v.Origin, v.Site.ID)
	}
	if v.Site.Consent == sites.ConsentRequired && !v.Consent {
		return nil, fault.Newf(fault.Forbidden, "site %s asks for the visitor's consent first", v.Site.ID)
	}
	var probs []fault.Field
	if !visitorID.MatchString(v.VisitorID) {
		probs = append(probs, fault.Field{Field: "visitor", Message: "must be 16 to 64 letters, digits, - or _"})
	}
	if v.Kind != BeaconView && v.Kind != BeaconDownload {
		probs = append(probs, fault.Field{Field: "kind", Message: fmt.Sprintf("must be %q or %q", BeaconView, BeaconDownload)})
	}
	page, prob := sitePage(v.Site, v.URL)
	if prob != nil {
		probs = append(probs, *prob)
	}
	if len(probs) > 0 {
		return nil, fault.InvalidFields(probs...)
	}
	return page, nil
}

// sitePage is raw as a page of one of site's origins (its path "/" when
// empty), or the problem of field url.
func sitePage(site sites.Site, raw string) (*url.URL, *fault.Field) {
	if len(raw) > maxPageURL {
		return nil, &fault.Field{Field: "url", Message: fmt.Sprintf("at most %d characters", maxPageURL)}
	}
	page, err := url.Parse(raw)
	if err != nil || page.Host == "" || !site.AllowsOrigin(page.Scheme+"://"+page.Host) {
		return nil, &fault.Field{Field: "url", Message: "must be a page of one of the site's origins"}
	}
	if page.Path == "" {
		page.Path = "/"
	}
	return page, nil
}

// Identified records that a site's visitor is the contact a signed rpn
// named (the workflow ID and contact of the tracked link it came from),
// and counts the views kept of that visitor in the last
// AnonymousViewsKept, from when they happened.
func (s *Service) Identified(ctx context.Context, site sites.Site, visitor, workflowID, contactID string) (counted int, err error) {
	if !visitorID.MatchString(visitor) {
		return 0, fault.InvalidField("visitor", "must be 16 to 64 letters, digits, - or _")
	}
	_, customerID, ok := runs.SplitWorkflowID(workflowID)
	if !ok || contactID == "" {
		return 0, fault.InvalidField("rpn", "names no contact")
	}
	ref := store.ContactRef{CustomerID: customerID, ContactID: contactID}
	if err := s.store.IdentifyVisitor(ctx, site.ID, visitor, ref); err != nil {
		return 0, err
	}
	views, err := s.store.WebViewsOf(ctx, site.ID, visitor, s.Now().Add(-AnonymousViewsKept))
	if err != nil || len(views) == 0 {
		return 0, err
	}
	evs := make([]store.Event, len(views))
	ids := make([]int64, len(views))
	for i, v := range views {
		evs[i] = webEvent(site, ref, v.Kind, v.Page, v.Topic, v.OccurredAt)
		ids[i] = v.ID
	}
	// Counted before they are dropped: a failure in between counts them
	// again on the next identity, under the same event IDs, which the
	// store keeps once.
	if _, err := s.record(ctx, evs); err != nil {
		return 0, err
	}
	return len(evs), s.store.DropWebViews(ctx, ids)
}

// webEvent is the engagement of a page view. Its ID derives from the view
// (site, contact, kind, page, second), so a beacon sent twice counts once.
func webEvent(site sites.Site, ref store.ContactRef, kind, page, topic string, at time.Time) store.Event {
	at = at.UTC().Truncate(time.Second)
	sum := sha256.Sum256([]byte(strings.Join([]string{site.ID, ref.ContactID, kind, page, at.Format(time.RFC3339)}, "\x00")))
	return store.Event{ID: "web-" + hex.EncodeToString(sum[:12]), CustomerID: ref.CustomerID, ContactID: ref.ContactID,
		Type: kind, Topic: topic, URL: page, Source: store.SourceWeb, OccurredAt: at}
}

// IsBot reports whether a user agent is a crawler or a script rather than
// a person's browser: their page views are not engagement.
func IsBot(userAgent string) bool {
	ua := strings.ToLower(userAgent)
	if strings.TrimSpace(ua) == "" {
		return true
	}
	for _, s := range []string{"bot", "crawl", "spider", "slurp", "preview", "facebookexternalhit", "curl/", "wget/",
		"python-requests", "go-http-client", "java/", "okhttp", "httpclient", "lighthouse", "pingdom", "uptime"} {
		if strings.Contains(ua, s) {
			return true
		}
	}
	return false
}

// PruneWebViews forgets the views of visitors who did not become known
// within AnonymousViewsKept.
func (s *Service) PruneWebViews(ctx context.Context) (int64, error) {
	return s.store.PruneWebViews(ctx, s.Now().Add(-AnonymousViewsKept))
}
