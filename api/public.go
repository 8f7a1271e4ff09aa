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

	"github.com/ripen/ripen/engagement"
	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/runs"
)

const (
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
// no redirect, so the endpoint is no open redirector. The email's hidden
// link (linktoken.KindTrap) is served here too, so that a scanner cannot
// tell it from the others.
//
// The click counts once per link and day, and not at all when a machine
// made it (engagement.Service.Click), which still gets its redirect.
// Recording is best effort: the contact reaches the content even when the
// store or Temporal is down, and the failure is logged.
func (s *Server) trackedLink(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	now := s.now()
	c, err := s.verifyLink(token, linktoken.KindRedirect, now)
	if err != nil && !errors.Is(err, linktoken.ErrExpired) {
		c, err = s.verifyLink(token, linktoken.KindTrap, now)
	}
	// The hidden link of an email whose content has no URL leads nowhere.
	nowhere := c.Kind == linktoken.KindTrap && c.Target == ""
	if err != nil || !(webURL(c.Target) || nowhere) {
		s.linkNotFound(w, r)
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	if err := s.engagement.Click(ctx, token, c, visitOf(r, now)); err != nil {
		requestLog(r, s.log).Error().Err(err).Str("workflow_id", c.RunID).Msg("tracked click not recorded")
	}
	setPageHeaders(w.Header())
	if nowhere {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Location", s.withIdentity(ctx, c, now))
	w.WriteHeader(http.StatusSeeOther)
}

// visitOf is what a tracked link's request tells about who fetched it.
func visitOf(r *http.Request, at time.Time) engagement.Visit {
	v := engagement.Visit{Method: r.Method, UserAgent: r.UserAgent(), At: at}
	for _, h := range []string{"Purpose", "Sec-Purpose", "X-Purpose", "X-Moz"} {
		v.Purpose = append(v.Purpose, r.Header.Values(h)...)
	}
	return v
}

// fastLanePage shows the offer with one confirm button and an optional note.
// It changes nothing: only the POST counts.
func (s *Server) fastLanePage(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	now := s.now()
	c, err := s.verifyLink(token, linktoken.KindFastLane, now)
	switch {
	case errors.Is(err, linktoken.ErrExpired) && runs.ValidOffer(c.Target):
		s.linkExpired(w, r, c)
		return
	case err != nil || !runs.ValidOffer(c.Target):
		s.linkNotFound(w, r)
		return
	}
	p, err := s.fastLaneForm(r.Context(), token, c, now, "", "")
	if err != nil {
		s.pageError(w, r, browserLang(r), err)
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
	p := page{Lang: l, Title: i18n.OfferLabel(c.Target, l)}
	if who.FirstName != "" {
		p.Paragraphs = append(p.Paragraphs, i18n.T(l, "hello.name", who.FirstName))
	}
	p.Paragraphs = append(p.Paragraphs, i18n.T(l, "fastlane.intro", i18n.UpperFirst(who.ownerOr(l))))
	p.Form = &pageForm{
		Token: ft, Submit: i18n.T(l, "fastlane.submit"), NoteLabel: i18n.T(l, "fastlane.note"),
		NoteHint: i18n.T(l, "fastlane.note.hint", runs.MaxNote), NoteMax: runs.MaxNote, Note: note, Error: problem,
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
	case errors.Is(err, linktoken.ErrExpired) && runs.ValidOffer(c.Target):
		s.linkExpired(w, r, c)
		return
	case err != nil || !runs.ValidOffer(c.Target):
		s.linkNotFound(w, r)
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	who, err := s.recipient(ctx, c)
	if err != nil {
		s.pageError(w, r, browserLang(r), err)
		return
	}
	l := who.lang
	if !s.readForm(w, r, token, now, l, false) {
		return
	}
	note := cleanNote(r.PostForm.Get("note"))
	if utf8.RuneCountInString(note) > runs.MaxNote {
		p, err := s.fastLaneForm(ctx, token, c, now, note, i18n.T(l, "fastlane.note.long", runs.MaxNote))
		if err != nil {
			s.pageError(w, r, l, err)
			return
		}
		s.renderPage(w, r, http.StatusUnprocessableEntity, "fastlane.html", p)
		return
	}
	took, err := s.engagement.RequestFastLane(ctx, engagement.FastLaneRequest{Token: token, Claims: c, CustomerID: who.CustomerID, Note: note, At: now})
	if err != nil {
		s.pageError(w, r, l, err)
		return
	}
	if !took {
		// The journey has ended and the customer is gone: nobody would hear
		// the request (had the customer stayed, the owner would have it).
		p := page{Lang: l, Title: i18n.T(l, "fastlane.gone.title"), Paragraphs: []string{i18n.T(l, "fastlane.gone", who.ownerOr(l))}}
		if who.OwnerEmail != "" {
			p.Link = &pageLink{Href: "mailto:" + who.OwnerEmail, Text: who.OwnerEmail}
		}
		s.renderPage(w, r, http.StatusGone, "message.html", p)
		return
	}
	offer := i18n.OfferLabel(c.Target, l)
	s.renderPage(w, r, http.StatusOK, "message.html", page{Lang: l, Title: i18n.T(l, "thanks.title"),
		Paragraphs: []string{i18n.UpperFirst(i18n.T(l, "thanks.body", who.ownerOr(l), offer))}})
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
		s.pageError(w, r, browserLang(r), err)
		return
	}
	ft, err := s.formToken(token, now)
	if err != nil {
		s.pageError(w, r, who.lang, err)
		return
	}
	l := who.lang
	p := page{Lang: l, Title: i18n.T(l, "unsubscribe.title"), Paragraphs: []string{i18n.T(l, "unsubscribe.ask")}}
	if who.Email != "" {
		p.Paragraphs = []string{i18n.T(l, "unsubscribe.ask.email", who.Email)}
	}
	p.Form = &pageForm{Token: ft, Submit: i18n.T(l, "unsubscribe.submit")}
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
		s.pageError(w, r, browserLang(r), err)
		return
	}
	l := who.lang
	if !s.readForm(w, r, token, now, l, true) {
		return
	}
	if err := s.engagement.Unsubscribe(ctx, who.Recipient, c.RunID, "unsubscribe link"); err != nil {
		s.pageError(w, r, l, err)
		return
	}
	p := page{Lang: l, Title: i18n.T(l, "unsubscribed.title"), Paragraphs: []string{i18n.T(l, "unsubscribed.body")}}
	if who.Email != "" {
		p.Paragraphs = []string{i18n.T(l, "unsubscribed.body.email", who.Email)}
	}
	s.renderPage(w, r, http.StatusOK, "message.html", p)
}

// readForm parses a public form post (bounded) and checks that it comes
// from our own page: same origin, and a valid CSRF token bound to the link.
// A one-click unsubscribe, when allowed, needs neither. It answers the
// request itself and reports false when the post is refused.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request, token string, now time.Time, l i18n.Lang, oneClickOK bool) bool {
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
		s.renderPage(w, r, status, "message.html", page{Lang: l, Title: i18n.T(l, "badform.title"), Paragraphs: []string{i18n.T(l, "badform.body")}})
		return false
	}
	if oneClickOK && r.PostForm.Get("List-Unsubscribe") == "One-Click" {
		return true
	}
	if s.crossOrigin(r) || !s.validFormToken(r.PostForm.Get("form_token"), token, now) {
		s.renderPage(w, r, http.StatusForbidden, "message.html", page{
			Lang: l, Title: i18n.T(l, "forbidden.title"), Paragraphs: []string{i18n.T(l, "forbidden.body")},
			Link: &pageLink{Href: r.URL.Path, Text: i18n.T(l, "forbidden.reload")},
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

// recipient is who a link was sent to, and the language their pages speak.
type recipient struct {
	engagement.Recipient
	lang i18n.Lang
}

func (r recipient) ownerOr(lang i18n.Lang) string {
	if r.OwnerName != "" {
		return r.OwnerName
	}
	return i18n.T(lang, "owner.unknown")
}

// recipient loads the link's contact, customer and account owner. Someone
// the store no longer knows gets pages in English that name nobody.
func (s *Server) recipient(ctx context.Context, c linktoken.Claims) (recipient, error) {
	who, err := s.engagement.Recipient(ctx, c)
	if err != nil {
		return recipient{lang: i18n.English}, err
	}
	return recipient{Recipient: who, lang: i18n.ForLocale(who.Locale)}, nil
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
	Lang       i18n.Lang
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
	s.render(w, r, status, pageTemplates[name], name, p)
}

// render writes a page of the layout: buffered, so a template error is a
// plain 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, tmpl *template.Template, name string, data any) {
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, "layout", data); err != nil {
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
	l := browserLang(r)
	s.renderPage(w, r, http.StatusNotFound, "message.html", page{Lang: l, Title: i18n.T(l, "notfound.title"), Paragraphs: []string{i18n.T(l, "notfound.body")}})
}

// linkExpired explains politely that a fast-lane link is too old (410),
// naming the account owner to turn to instead.
func (s *Server) linkExpired(w http.ResponseWriter, r *http.Request, c linktoken.Claims) {
	who, err := s.recipient(r.Context(), c)
	if err != nil {
		who = recipient{lang: browserLang(r)}
	}
	l := who.lang
	p := page{Lang: l, Title: i18n.T(l, "expired.title"), Paragraphs: []string{i18n.T(l, "expired.body", who.ownerOr(l))}}
	if who.OwnerEmail != "" {
		p.Link = &pageLink{Href: "mailto:" + who.OwnerEmail, Text: who.OwnerEmail}
	}
	s.renderPage(w, r, http.StatusGone, "message.html", p)
}

// pageError is a transient failure behind a public page: 503, try again.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, l i18n.Lang, err error) {
	requestLog(r, s.log).Error().Err(err).Msg("public page failed")
	s.renderPage(w, r, http.StatusServiceUnavailable, "message.html", page{Lang: l, Title: i18n.T(l, "error.title"), Paragraphs: []string{i18n.T(l, "error.body")}})
}

// browserLang is the language of the browser's Accept-Language, for pages
// that cannot know the contact.
func browserLang(r *http.Request) i18n.Lang {
	return i18n.ForAcceptLanguage(r.Header.Get("Accept-Language"))
}
