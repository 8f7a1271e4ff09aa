package api

// Public pages: the links in ripen's emails. They carry HMAC-signed tokens
// (package linktoken) instead of API keys, speak the contact's language, and
// never change anything on GET: mail scanners fetch every link they see.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

const (
	// maxNote bounds the fast-lane note, in characters.
	maxNote = 2000
	// maxFormBody bounds a public form post.
	maxFormBody = 64 << 10
	// maxFormTTL bounds the life of a form's CSRF token (and LinkTTL, if
	// shorter, bounds it further): long enough to leave a page open for a
	// day, short enough that a leaked page is soon useless.
	maxFormTTL = 24 * time.Hour
	// formKind is the linktoken kind of a form's CSRF token; VerifyKind keeps
	// it from ever working as a link.
	formKind = "form"
	// publicWorkTimeout bounds the work behind a public link; it goes on
	// even if the browser hangs up, so a click or request is not half done.
	publicWorkTimeout = 30 * time.Second
)

// trackedLink records a click on a link in an email and redirects (303) to
// its target. A forged, altered or expired token gets a plain 404 page and
// no redirect, so the endpoint is no open redirector.
//
// The click is an engagement event with an ID derived from the token and
// the day of the click ("click-" + 12 bytes of SHA-256 of the token + UTC
// date): a link counts once a day, however often it is followed (a double
// click, a reload, a mail scanner followed by the person, or someone
// replaying the link to raise the score); a click on a later day counts
// again. Recording is best effort: the contact reaches
// the content even when the store or Temporal is down, and the failure is
// logged.
func (s *Server) trackedLink(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	now := s.now()
	c, err := s.verifyLink(token, linktoken.KindRedirect, now)
	if err != nil || !webURL(c.Target) {
		s.linkNotFound(w, r)
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	if err := s.recordClick(ctx, token, c, now); err != nil {
		requestLog(r, s.log).Error().Err(err).Str("workflow_id", c.RunID).Msg("tracked click not recorded")
	}
	setPageHeaders(w.Header())
	w.Header().Set("Location", c.Target)
	w.WriteHeader(http.StatusSeeOther)
}

func (s *Server) recordClick(ctx context.Context, token string, c linktoken.Claims, now time.Time) error {
	_, customerID, err := s.contactOf(ctx, c)
	if err != nil {
		return err
	}
	if customerID == "" {
		return fmt.Errorf("click on %s: no customer for contact %q", c.RunID, c.ContactID)
	}
	contentID, topic := s.stepContent(ctx, c.RunID, c.Step)
	ev := store.Event{
		ID: clickID(token, now), CustomerID: customerID,
		ContactID: c.ContactID, Type: "click", Topic: topic, ContentID: contentID, URL: c.Target,
		RunID: c.RunID, Step: c.Step, OccurredAt: now, ReceivedAt: now,
	}
	return s.storeEngagement(ctx, ev)
}

// clickID is the ID of a click on a tracked link: one per link and UTC day
// (see trackedLink).
func clickID(token string, at time.Time) string {
	return "click-" + tokenDigest(token) + "-" + at.UTC().Format("20060102")
}

// storeEngagement stores one engagement event (once: its ID decides) and
// routes it as POST /v1/events would: to its own run with the step, to the
// customer's other runs as interest in the topic, and to the detectors of
// other journeys. It is routed even when stored before, as an earlier
// attempt may have stopped in between; runs count an event ID once.
func (s *Server) storeEngagement(ctx context.Context, ev store.Event) error {
	if _, err := s.ingestEngagement(ctx, []store.Event{ev}); err != nil {
		return fmt.Errorf("record %s event %s: %w", ev.Type, ev.ID, err)
	}
	return nil
}

func engagementOf(ev store.Event) workflows.Engagement {
	return workflows.Engagement{
		EventID: ev.ID, Kind: ev.Type, StepID: ev.Step, Topic: ev.Topic,
		ContentID: ev.ContentID, ContactID: ev.ContactID, At: ev.OccurredAt,
	}
}

// signalIfRunning signals a run and reports whether it took the signal: a
// run that does not exist or has ended is no error.
func (s *Server) signalIfRunning(ctx context.Context, workflowID, name string, arg any) (bool, error) {
	err := s.temporal.SignalWorkflow(ctx, workflowID, "", name, arg)
	switch {
	case runGone(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("signal %s to %s: %w", name, workflowID, err)
	}
	s.metrics.signals.WithLabelValues(name).Inc()
	return true, nil
}

// fastLanePage shows the offer with one confirm button and an optional note.
// It changes nothing: only the POST counts.
func (s *Server) fastLanePage(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	now := s.now()
	c, err := s.verifyLink(token, linktoken.KindFastLane, now)
	switch {
	case errors.Is(err, linktoken.ErrExpired) && validOffer(c.Target):
		s.linkExpired(w, r, c)
		return
	case err != nil || !validOffer(c.Target):
		s.linkNotFound(w, r)
		return
	}
	p, err := s.fastLaneForm(r.Context(), token, c, now, "", "")
	if err != nil {
		s.pageError(w, r, englishOr(r), err)
		return
	}
	s.renderPage(w, r, http.StatusOK, "fastlane.html", p)
}

func (s *Server) fastLaneForm(ctx context.Context, token string, c linktoken.Claims, now time.Time, note, problem string) (page, error) {
	who, err := s.recipient(ctx, c)
	if err != nil {
		return page{}, err
	}
	ft, err := s.formToken(token, now)
	if err != nil {
		return page{}, err
	}
	l := who.lang
	p := page{Lang: l, Title: activities.OfferLabel(c.Target, l)}
	if who.firstName != "" {
		p.Paragraphs = append(p.Paragraphs, tr(l, "hello.name", who.firstName))
	}
	p.Paragraphs = append(p.Paragraphs, tr(l, "fastlane.intro", upperFirst(who.ownerOr(l))))
	p.Form = &pageForm{
		Token: ft, Submit: tr(l, "fastlane.submit"), NoteLabel: tr(l, "fastlane.note"),
		NoteHint: tr(l, "fastlane.note.hint", maxNote), NoteMax: maxNote, Note: note, Error: problem,
	}
	return p, nil
}

// fastLaneSubmit stores the request (with the contact's note) as a
// fast-lane event and signals the run, once per link however often the form
// is sent (the event ID derives from the token; the first note wins), and
// thanks the contact by their account owner's name.
func (s *Server) fastLaneSubmit(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	now := s.now()
	c, err := s.verifyLink(token, linktoken.KindFastLane, now)
	switch {
	case errors.Is(err, linktoken.ErrExpired) && validOffer(c.Target):
		s.linkExpired(w, r, c)
		return
	case err != nil || !validOffer(c.Target):
		s.linkNotFound(w, r)
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	who, err := s.recipient(ctx, c)
	if err != nil {
		s.pageError(w, r, englishOr(r), err)
		return
	}
	l := who.lang
	if !s.readForm(w, r, token, now, l, false) {
		return
	}
	note := cleanNote(r.PostForm.Get("note"))
	if utf8.RuneCountInString(note) > maxNote {
		p, err := s.fastLaneForm(ctx, token, c, now, note, tr(l, "fastlane.note.long", maxNote))
		if err != nil {
			s.pageError(w, r, l, err)
			return
		}
		s.renderPage(w, r, http.StatusUnprocessableEntity, "fastlane.html", p)
		return
	}
	id := "fast-lane-" + tokenDigest(token)
	if who.customerID != "" {
		// The offer is the topic, as for a fast-lane event posted to
		// /v1/events: an ID posted again there is routed as stored.
		ev := store.Event{ID: id, CustomerID: who.customerID, ContactID: c.ContactID, Type: "fast-lane",
			RunID: c.RunID, Step: c.Step, Topic: c.Target, Note: note, OccurredAt: now, ReceivedAt: now}
		inserted, _, err := s.store.InsertEvents(ctx, []store.Event{ev})
		switch {
		case errors.Is(err, store.ErrInvalid):
			// The customer is gone; the run, if any, still hears it.
			requestLog(r, s.log).Warn().Err(err).Msg("fast-lane event not stored")
		case err != nil:
			s.pageError(w, r, l, err)
			return
		case len(inserted) == 1:
			s.metrics.events.WithLabelValues("accepted").Inc()
		default:
			s.metrics.events.WithLabelValues("duplicate").Inc()
		}
	}
	// The note stays in Postgres with the event; the run gets the event ID,
	// so no personal text enters workflow history.
	took, err := s.signalIfRunning(ctx, c.RunID, workflows.SignalFastLane, workflows.FastLane{
		EventID: id, Offer: c.Target, ContactID: c.ContactID, At: now,
	})
	if err != nil {
		s.pageError(w, r, l, err)
		return
	}
	if !took {
		// The journey has ended: nobody would hear the request.
		p := page{Lang: l, Title: tr(l, "fastlane.gone.title"), Paragraphs: []string{tr(l, "fastlane.gone", who.ownerOr(l))}}
		if who.ownerEmail != "" {
			p.Link = &pageLink{Href: "mailto:" + who.ownerEmail, Text: who.ownerEmail}
		}
		s.renderPage(w, r, http.StatusGone, "message.html", p)
		return
	}
	offer := activities.OfferLabel(c.Target, l)
	s.renderPage(w, r, http.StatusOK, "message.html", page{Lang: l, Title: tr(l, "thanks.title"),
		Paragraphs: []string{upperFirst(tr(l, "thanks.body", who.ownerOr(l), offer))}})
}

// unsubscribePage asks the contact to confirm. Expired links work too:
// unsubscribing must always be possible.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	now := s.now()
	c, err := s.verifyLink(token, linktoken.KindUnsubscribe, now)
	if err != nil && !errors.Is(err, linktoken.ErrExpired) {
		s.linkNotFound(w, r)
		return
	}
	who, err := s.recipient(r.Context(), c)
	if err != nil {
		s.pageError(w, r, englishOr(r), err)
		return
	}
	ft, err := s.formToken(token, now)
	if err != nil {
		s.pageError(w, r, who.lang, err)
		return
	}
	l := who.lang
	p := page{Lang: l, Title: tr(l, "unsubscribe.title"), Paragraphs: []string{tr(l, "unsubscribe.ask")}}
	if who.email != "" {
		p.Paragraphs = []string{tr(l, "unsubscribe.ask.email", who.email)}
	}
	p.Form = &pageForm{Token: ft, Submit: tr(l, "unsubscribe.submit")}
	s.renderPage(w, r, http.StatusOK, "unsubscribe.html", p)
}

// unsubscribeSubmit suppresses the contact's address and stops the runs of
// the contact's customer. It takes the page's form (with its CSRF token) and
// RFC 8058 one-click posts from mail clients (a form whose
// List-Unsubscribe field is One-Click; they cannot carry a token).
func (s *Server) unsubscribeSubmit(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	now := s.now()
	c, err := s.verifyLink(token, linktoken.KindUnsubscribe, now)
	if err != nil && !errors.Is(err, linktoken.ErrExpired) {
		s.linkNotFound(w, r)
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	who, err := s.recipient(ctx, c)
	if err != nil {
		s.pageError(w, r, englishOr(r), err)
		return
	}
	l := who.lang
	if !s.readForm(w, r, token, now, l, true) {
		return
	}
	if who.email != "" {
		if err := s.store.Suppress(ctx, who.email, "unsubscribe", "link"); err != nil {
			s.pageError(w, r, l, err)
			return
		}
	}
	// The address is suppressed: no email goes to it whatever happens next.
	// Stopping the runs is what ends them early; a failure is logged.
	ctl := workflows.Control{Reason: "unsubscribe link", ContactID: c.ContactID}
	if err := s.stopRuns(ctx, who.customerID, []string{c.RunID}, workflows.SignalUnsubscribe, ctl); err != nil {
		requestLog(r, s.log).Error().Err(err).Str("customer_id", who.customerID).Msg("unsubscribed, but not every run was stopped")
	}
	p := page{Lang: l, Title: tr(l, "unsubscribed.title"), Paragraphs: []string{tr(l, "unsubscribed.body")}}
	if who.email != "" {
		p.Paragraphs = []string{tr(l, "unsubscribed.body.email", who.email)}
	}
	s.renderPage(w, r, http.StatusOK, "message.html", p)
}

// stopRuns sends a stop-like signal (unsubscribe) to the given runs and to
// every running run of the customer.
func (s *Server) stopRuns(ctx context.Context, customerID string, extra []string, name string, arg any) error {
	ids := make([]string, 0, len(extra)+2)
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, id := range extra {
		add(id)
	}
	var firstErr error
	if customerID != "" {
		runs, err := s.store.RunningRuns(ctx, []string{customerID})
		if err != nil {
			firstErr = err
		}
		for _, run := range runs {
			add(run.WorkflowID)
		}
	}
	for _, id := range ids {
		if _, err := s.signalIfRunning(ctx, id, name, arg); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// readForm parses a public form post (bounded) and checks that it comes
// from our own page: same origin, and a valid CSRF token bound to the link.
// A one-click unsubscribe, when allowed, needs neither. It answers the
// request itself and reports false when the post is refused.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request, token string, now time.Time, l string, oneClickOK bool) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mt {
	case "multipart/form-data":
		err = r.ParseMultipartForm(maxFormBody)
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	default:
		// Not a form: only a one-click post without its Content-Type, whose
		// body is exactly RFC 8058's, is taken.
		var body []byte
		if body, err = io.ReadAll(r.Body); err == nil {
			r.PostForm = url.Values{}
			if oneClickOK && strings.TrimSpace(string(body)) == "List-Unsubscribe=One-Click" {
				r.PostForm.Set("List-Unsubscribe", "One-Click")
			}
		}
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		status := http.StatusBadRequest
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		s.renderPage(w, r, status, "message.html", page{Lang: l, Title: tr(l, "badform.title"), Paragraphs: []string{tr(l, "badform.body")}})
		return false
	}
	if oneClickOK && r.PostForm.Get("List-Unsubscribe") == "One-Click" {
		return true
	}
	if s.crossOrigin(r) || !s.validFormToken(r.PostForm.Get("form_token"), token, now) {
		s.renderPage(w, r, http.StatusForbidden, "message.html", page{
			Lang: l, Title: tr(l, "forbidden.title"), Paragraphs: []string{tr(l, "forbidden.body")},
			Link: &pageLink{Href: r.URL.Path, Text: tr(l, "forbidden.reload")},
		})
		return false
	}
	return true
}

// crossOrigin reports a post from another site: by Sec-Fetch-Site or
// Origin (net/http's CrossOriginProtection, trusting PublicURL as well as
// the Host), or else by Referer. Requests with none of them pass; the CSRF
// token still has to match.
func (s *Server) crossOrigin(r *http.Request) bool {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Scheme != "" && u.Host != "" {
		_ = cop.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	if cop.Check(r) != nil {
		return true
	}
	if r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Origin") != "" {
		return false
	}
	ref := r.Header.Get("Referer")
	if ref == "" {
		return false
	}
	u, err := url.Parse(ref)
	if err != nil {
		return true
	}
	if pub, err := url.Parse(s.cfg.PublicURL); err == nil && strings.EqualFold(u.Host, pub.Host) {
		return false
	}
	return !strings.EqualFold(u.Host, r.Host)
}

// verifyLink checks a token of one kind; an API built without link keys
// knows no link.
func (s *Server) verifyLink(token, kind string, now time.Time) (linktoken.Claims, error) {
	if s.links == nil {
		return linktoken.Claims{}, linktoken.ErrInvalid
	}
	return s.links.VerifyKind(token, kind, now)
}

// formToken is a form's CSRF token: a linktoken of kind "form" whose target
// is a digest of the link's token, with its own expiry, signed with the
// link keys (so it rotates with them). It proves the form came from our page
// for exactly this link.
func (s *Server) formToken(linkToken string, now time.Time) (string, error) {
	ttl := maxFormTTL
	if s.cfg.LinkTTL > 0 && s.cfg.LinkTTL < ttl {
		ttl = s.cfg.LinkTTL
	}
	if s.links == nil {
		return "", errors.New("sign form token: no link keys configured")
	}
	t, err := s.links.Sign(linktoken.Claims{Kind: formKind, Target: formDigest(linkToken), Expires: now.Add(ttl)})
	if err != nil {
		return "", fmt.Errorf("sign form token: %w", err)
	}
	return t, nil
}

func (s *Server) validFormToken(formToken, linkToken string, now time.Time) bool {
	if formToken == "" {
		return false
	}
	c, err := s.verifyLink(formToken, formKind, now)
	return err == nil && hmac.Equal([]byte(c.Target), []byte(formDigest(linkToken)))
}

func formDigest(linkToken string) string {
	sum := sha256.Sum256([]byte("ripen form\x00" + linkToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// tokenDigest names a link in event IDs without repeating the token.
func tokenDigest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:12])
}

// recipientInfo is who a link was sent to, as far as the store still knows.
type recipientInfo struct {
	lang                  string
	customerID, firstName string
	email                 string
	ownerName, ownerEmail string
}

func (r recipientInfo) ownerOr(lang string) string {
	if r.ownerName != "" {
		return r.ownerName
	}
	return tr(lang, "owner.unknown")
}

// recipient loads the link's contact, customer and account owner. A contact
// or customer deleted since the email went out is no error: the page then
// speaks English and names nobody.
func (s *Server) recipient(ctx context.Context, c linktoken.Claims) (recipientInfo, error) {
	ct, customerID, err := s.contactOf(ctx, c)
	if err != nil {
		return recipientInfo{lang: "en"}, err
	}
	who := recipientInfo{lang: langOf(ct.Locale), customerID: customerID, firstName: ct.FirstName, email: ct.Email}
	if customerID == "" {
		return who, nil
	}
	cust, err := s.store.GetCustomer(ctx, customerID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		who.customerID = ""
	case err != nil:
		return who, err
	default:
		who.ownerName, who.ownerEmail = cust.Owner.Name, cust.Owner.Email
	}
	return who, nil
}

// contactOf returns the link's contact and customer. When the contact is
// gone, the customer is the one in the run's workflow ID.
func (s *Server) contactOf(ctx context.Context, c linktoken.Claims) (store.Contact, string, error) {
	if c.ContactID != "" {
		ct, customerID, err := s.store.GetContact(ctx, c.ContactID)
		if err == nil {
			return ct, customerID, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.Contact{}, "", err
		}
	}
	_, customerID, _ := splitRunID(c.RunID)
	return store.Contact{ID: c.ContactID}, customerID, nil
}

// splitRunID takes a workflow ID ripen/{journey}/{customer} apart.
func splitRunID(id string) (journeyID, customerID string, ok bool) {
	parts := strings.Split(id, "/")
	if len(parts) != 3 || parts[0] != "ripen" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// stepContent finds the content a journey step sends, and its topic, in the
// journey's newest published version. It is best effort: "" when unknown.
func (s *Server) stepContent(ctx context.Context, runID, stepID string) (contentID, topic string) {
	journeyID, _, ok := splitRunID(runID)
	if !ok || stepID == "" {
		return "", ""
	}
	jv, err := s.store.GetJourney(ctx, journeyID, 0)
	if err != nil {
		return "", ""
	}
	v, err := viewJourney(jv)
	if err != nil {
		return "", ""
	}
	for _, st := range v.Definition.Steps {
		if st.ID == stepID && st.Send != "" {
			contentID = st.Send
			break
		}
	}
	if contentID == "" {
		return "", ""
	}
	if content, err := s.store.GetContent(ctx, contentID); err == nil {
		topic = content.Topic
	}
	return contentID, topic
}

func webURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// cleanNote keeps a note's text and line breaks, without other control
// characters or invalid UTF-8.
func cleanNote(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
	return strings.TrimSpace(s)
}

// detached keeps the work of a public request going when the client hangs
// up, bounded by publicWorkTimeout.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), publicWorkTimeout)
}

// Pages.

//go:embed pages/*.html
var pageFiles embed.FS

var pageTemplates = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"message.html", "fastlane.html", "unsubscribe.html"} {
		m[name] = template.Must(template.ParseFS(pageFiles, "pages/layout.html", "pages/"+name))
	}
	return m
}()

// page is what every public page shows; Form is for the two forms.
type page struct {
	Lang       string
	Title      string
	Paragraphs []string
	Link       *pageLink
	Form       *pageForm
}

type pageLink struct {
	Href string // a relative path or a mailto: URL
	Text string
}

type pageForm struct {
	Token                     string
	Submit                    string
	NoteLabel, NoteHint, Note string
	NoteMax                   int
	Error                     string
}

func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var b bytes.Buffer
	if err := pageTemplates[name].ExecuteTemplate(&b, "layout", p); err != nil {
		requestLog(r, s.log).Error().Err(err).Str("page", name).Msg("render page")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	setPageHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// setPageHeaders: no caching (links are personal), no framing (the buttons
// must not be clickjacked), no inline script, forms post only to us, and no
// Referer carrying a token to other sites.
func setPageHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}

// linkNotFound is the answer to a forged, garbled or (for tracked links)
// expired token: a plain page, in the browser's language.
func (s *Server) linkNotFound(w http.ResponseWriter, r *http.Request) {
	l := englishOr(r)
	s.renderPage(w, r, http.StatusNotFound, "message.html", page{Lang: l, Title: tr(l, "notfound.title"), Paragraphs: []string{tr(l, "notfound.body")}})
}

// linkExpired explains politely that a fast-lane link is too old (410),
// naming the account owner to turn to instead.
func (s *Server) linkExpired(w http.ResponseWriter, r *http.Request, c linktoken.Claims) {
	who, err := s.recipient(r.Context(), c)
	if err != nil {
		who = recipientInfo{lang: englishOr(r)}
	}
	l := who.lang
	p := page{Lang: l, Title: tr(l, "expired.title"), Paragraphs: []string{tr(l, "expired.body", who.ownerOr(l))}}
	if who.ownerEmail != "" {
		p.Link = &pageLink{Href: "mailto:" + who.ownerEmail, Text: who.ownerEmail}
	}
	s.renderPage(w, r, http.StatusGone, "message.html", p)
}

// pageError is a transient failure behind a public page: 503, try again.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, l string, err error) {
	requestLog(r, s.log).Error().Err(err).Msg("public page failed")
	s.renderPage(w, r, http.StatusServiceUnavailable, "message.html", page{Lang: l, Title: tr(l, "error.title"), Paragraphs: []string{tr(l, "error.body")}})
}

// Languages: German for locales de*, English otherwise.

func langOf(locale string) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(locale)), "de") {
		return "de"
	}
	return "en"
}

// englishOr picks the browser's first language, for pages that cannot know
// the contact.
func englishOr(r *http.Request) string {
	first, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	first, _, _ = strings.Cut(first, ";")
	return langOf(first)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func tr(lang, key string, args ...any) string {
	f, ok := pageTexts[lang][key]
	if !ok {
		f = pageTexts["en"][key]
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

var pageTexts = map[string]map[string]string{
	"en": {
		"hello.name":              "Hello %s,",
		"owner.unknown":           "your account team",
		"fastlane.intro":          "Please confirm your request below. %s will then get in touch with you personally.",
		"fastlane.note":           "Anything we should know? (optional)",
		"fastlane.note.hint":      "For example a good time to call. Up to %d characters.",
		"fastlane.note.long":      "Please shorten your note to at most %d characters.",
		"fastlane.submit":         "Confirm request",
		"fastlane.gone.title":     "This request can no longer be sent here",
		"fastlane.gone":           "This offer is no longer active. Please contact %s directly; we will be glad to help.",
		"thanks.title":            "Thank you!",
		"thanks.body":             "%s has received your request (%s) and will get in touch with you soon.",
		"unsubscribe.title":       "Unsubscribe",
		"unsubscribe.ask":         "Do you want to stop receiving these emails?",
		"unsubscribe.ask.email":   "Do you want to stop receiving these emails at %s?",
		"unsubscribe.submit":      "Unsubscribe",
		"unsubscribed.title":      "You are unsubscribed",
		"unsubscribed.body":       "You will receive no more of these emails.",
		"unsubscribed.body.email": "We will send no more of these emails to %s.",
		"notfound.title":          "This link is not valid",
		"notfound.body":           "The link may have been copied incompletely. Please open it again from the email, or reply to the email if you need help.",
		"expired.title":           "This link has expired",
		"expired.body":            "For your security, links in our emails work for a limited time only. Please contact %s directly; we will be glad to help.",
		"forbidden.title":         "This form could not be sent",
		"forbidden.body":          "The page was open for too long or the form did not come from our page. Please reload the page and try again.",
		"forbidden.reload":        "Reload the page",
		"badform.title":           "This form could not be read",
		"badform.body":            "Please go back, reload the page and try again.",
		"error.title":             "Something went wrong",
		"error.body":              "Your request could not be completed right now. Please try again in a few minutes.",
	},
	"de": {
		"hello.name":              "Hallo %s,",
		"owner.unknown":           "Ihr Vertriebsteam",
		"fastlane.intro":          "Bitte bestätigen Sie Ihre Anfrage. %s meldet sich dann persönlich bei Ihnen.",
		"fastlane.note":           "Möchten Sie uns noch etwas mitteilen? (optional)",
		"fastlane.note.hint":      "Zum Beispiel, wann wir Sie gut erreichen. Höchstens %d Zeichen.",
		"fastlane.note.long":      "Bitte kürzen Sie Ihre Nachricht auf höchstens %d Zeichen.",
		"fastlane.submit":         "Anfrage bestätigen",
		"fastlane.gone.title":     "Diese Anfrage ist hier nicht mehr möglich",
		"fastlane.gone":           "Dieses Angebot ist nicht mehr aktiv. Bitte wenden Sie sich direkt an %s; wir helfen Ihnen gern.",
		"thanks.title":            "Vielen Dank!",
		"thanks.body":             "%s hat Ihre Anfrage (%s) erhalten und meldet sich in Kürze bei Ihnen.",
		"unsubscribe.title":       "Abmelden",
		"unsubscribe.ask":         "Möchten Sie diese E-Mails nicht mehr erhalten?",
		"unsubscribe.ask.email":   "Möchten Sie diese E-Mails an %s nicht mehr erhalten?",
		"unsubscribe.submit":      "Abmelden",
		"unsubscribed.title":      "Sie sind abgemeldet",
		"unsubscribed.body":       "Sie erhalten diese E-Mails nicht mehr.",
		"unsubscribed.body.email": "Wir senden keine dieser E-Mails mehr an %s.",
		"notfound.title":          "Dieser Link ist ungültig",
		"notfound.body":           "Vielleicht wurde der Link unvollständig kopiert. Bitte öffnen Sie ihn erneut aus der E-Mail, oder antworten Sie auf die E-Mail, wenn Sie Hilfe brauchen.",
		"expired.title":           "Dieser Link ist abgelaufen",
		"expired.body":            "Zu Ihrer Sicherheit gelten Links in unseren E-Mails nur eine begrenzte Zeit. Bitte wenden Sie sich direkt an %s; wir helfen Ihnen gern.",
		"forbidden.title":         "Das Formular konnte nicht gesendet werden",
		"forbidden.body":          "Die Seite war zu lange geöffnet, oder das Formular kam nicht von unserer Seite. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
		"forbidden.reload":        "Seite neu laden",
		"badform.title":           "Das Formular konnte nicht gelesen werden",
		"badform.body":            "Bitte gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.",
		"error.title":             "Etwas ist schiefgegangen",
		"error.body":              "Ihre Anfrage konnte gerade nicht bearbeitet werden. Bitte versuchen Sie es in einigen Minuten noch einmal.",
	},
}
