package api

// Sales surfaces: the hand-off page (/h/{token}) linked from the owner's
// hand-off email, and the rep's inbox (/inbox) behind a sign-in link
// emailed to the owner's address. Like the contacts' pages they need no API
// key, never change anything on GET (mail scanners fetch every link), and
// take posts only with a form token from our own page. Every answer goes
// through package sales to runs.Service.AnswerHandoff, as the API's does.

import (
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/chart"
	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/sales"
	"github.com/ripen/ripen/store"
)

const (
	// inboxCookie holds the inbox session's token.
	inboxCookie = "ripen_inbox"
	// loginForm binds the sign-in request form's token: the form has no
	// link of its own.
	loginForm = "inbox-login"
	// timeLayout shows times on the sales pages; reps may be anywhere,
	// so the zone is said.
	timeLayout = "2006-01-02 15:04 MST"
)

var salesTemplates = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for name, files := range map[string][]string{
		"handoff.html": {"pages/layout.html", "pages/handoff_answer.html", "pages/handoff.html"},
		"inbox.html":   {"pages/layout.html", "pages/handoff_answer.html", "pages/inbox.html"},
		"signin.html":  {"pages/layout.html", "pages/signin.html"},
	} {
		m[name] = template.Must(template.New(name).Funcs(template.FuncMap{"t": i18n.T}).ParseFS(pageFiles, files...))
	}
	return m
}()

func (s *Server) renderSales(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	s.render(w, r, status, salesTemplates[name], name, data)
}

// answerForm is the form that answers a hand-off.
type answerForm struct {
	Lang     i18n.Lang
	ID       string // tells the forms of one page apart
	Title    string // the legend; "" says "Your answer"
	Action   string // where it posts; "" is the page itself
	Token    string
	Outcomes []outcomeOption
	Note     string
	NoteMax  int
	Error    string
}

type outcomeOption struct {
	Value, Label string
	Checked      bool
}

func newAnswerForm(l i18n.Lang, action, token, outcome, note, problem string) *answerForm {
	f := &answerForm{Lang: l, ID: "answer", Action: action, Token: token, Note: note, NoteMax: runs.MaxNote, Error: problem}
	for _, o := range store.HandoffOutcomes {
		f.Outcomes = append(f.Outcomes, outcomeOption{Value: o, Label: i18n.T(l, "outcome."+o), Checked: o == outcome})
	}
	return f
}

// outcomeLabel names an outcome (or withdrawn) in l, without the
// explanation the form's choices carry.
func outcomeLabel(l i18n.Lang, outcome string) string {
	label, _, _ := strings.Cut(i18n.T(l, "outcome."+outcome), ":")
	return label
}

// handoffView is what the hand-off page shows.
type handoffView struct {
	Lang                   i18n.Lang
	Title                  string
	Customer, Journey      string
	Reason, Offer, Note    string
	Claimed                bool
	PersonLabel            string
	Person                 *runs.HandoffContact
	Score                  float64
	Due                    string
	Overdue                bool
	Chart                  template.HTML
	Engaged                []engagedRow
	Answered, AnsweredNote string
	Withdrawn              bool
	Form                   *answerForm
}

type engagedRow struct {
	At, Who, What string
	Points        float64
}

func (s *Server) handoffView(l i18n.Lang, p sales.Page, form *answerForm) handoffView {
	now := s.now()
	v := handoffView{
		Lang: l, Title: i18n.T(l, "sales.title", p.Customer), Customer: p.Customer, Journey: p.JourneyName,
		Reason: i18n.T(l, "sales.reason."+p.Reason), Note: p.Note, Claimed: p.Claimed, Person: p.Contact, Score: p.Score,
		Due: p.SLADueAt.UTC().Format(timeLayout), Overdue: p.Status == store.HandoffOpen && now.After(p.SLADueAt),
		PersonLabel: i18n.T(l, "handoff.person.engaged"),
	}
	if p.Reason == store.ReasonFastLane {
		v.PersonLabel = i18n.T(l, "handoff.person.asked")
	}
	if p.Offer != "" {
		v.Offer = i18n.OfferLabel(p.Offer, l)
	}
	trail := make([]chart.Point, len(p.Evidence.ScoreTrail))
	for i, sp := range p.Evidence.ScoreTrail {
		trail[i] = chart.Point{At: sp.At, Value: sp.Score}
	}
	line := chart.Line{Points: trail, Threshold: p.Threshold, Title: i18n.T(l, "handoff.trail")}
	if p.Threshold > 0 {
		line.ThresholdLabel = i18n.T(l, "sales.threshold", p.Threshold)
	}
	v.Chart = line.SVG()
	for _, e := range p.Engaged {
		who := e.Who
		if who == "" {
			who = i18n.T(l, "sales.someone")
		}
		what := e.Kind
		if e.What != "" {
			what += ": " + e.What
		}
		v.Engaged = append(v.Engaged, engagedRow{At: e.At.UTC().Format(timeLayout), Who: who, What: what, Points: e.Points})
	}
	switch got := p.Answered(); {
	case got == store.HandoffWithdrawn:
		v.Withdrawn = true
	case got != "":
		v.Answered = i18n.T(l, "sales.answered", outcomeLabel(l, got))
		if note := p.FeedbackNote; note != "" {
			v.AnsweredNote = i18n.T(l, "sales.answered.note", note)
		} else if note := p.AnswerNote; note != "" {
			v.AnsweredNote = i18n.T(l, "sales.answered.note", note)
		}
	default:
		v.Form = form
	}
	return v
}

// handoffPage shows the hand-off with its evidence and, while it is open,
// the answer form. It changes nothing.
func (s *Server) handoffPage(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	l := browserLang(r)
	p, err := s.sales.Handoff(r.Context(), token)
	if !s.handoffLinkOK(w, r, token, l, err) {
		return
	}
	ft, err := s.formToken(token, s.now())
	if err != nil {
		s.pageError(w, r, l, err)
		return
	}
	s.renderSales(w, r, http.StatusOK, "handoff.html", s.handoffView(l, p, newAnswerForm(l, "", ft, "", "", "")))
}

// handoffLinkOK answers a failed look-up of a hand-off link itself (the
// fresh-link offer, not found, or a transient error) and reports whether
// the handler may go on.
func (s *Server) handoffLinkOK(w http.ResponseWriter, r *http.Request, token string, l i18n.Lang, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, sales.ErrLinkExpired):
		s.handoffExpired(w, r, token, l)
	case fault.Is(err, fault.NotFound):
		s.linkNotFound(w, r)
	default:
		s.pageError(w, r, l, err)
	}
	return false
}

// handoffExpired offers to email the hand-off's owner a fresh link (410).
func (s *Server) handoffExpired(w http.ResponseWriter, r *http.Request, token string, l i18n.Lang) {
	ft, err := s.formToken(token, s.now())
	if err != nil {
		s.pageError(w, r, l, err)
		return
	}
	s.renderSales(w, r, http.StatusGone, "signin.html", signInView{
		Lang: l, Title: i18n.T(l, "sales.expired.title"), Paragraphs: []string{i18n.T(l, "sales.expired")},
		Token: ft, Action: "fresh-link", Submit: i18n.T(l, "sales.expired.submit"),
	})
}

// handoffSubmit answers the hand-off (fields outcome and note), or, from
// the page of an expired link (action fresh-link), emails its owner a
// fresh link.
func (s *Server) handoffSubmit(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	now := s.now()
	l := browserLang(r)
	if !s.readForm(w, r, token, now, l, false) {
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	if r.PostForm.Get("action") == "fresh-link" {
		// The same answer whatever happened: the page must not tell
		// whether the hand-off exists.
		if err := s.sales.SendFreshLink(ctx, token); err != nil {
			requestLog(r, s.log).Error().Err(err).Msg("fresh hand-off link not sent")
		}
		s.renderPage(w, r, http.StatusOK, "message.html", page{Lang: l, Title: i18n.T(l, "sales.fresh.title"), Paragraphs: []string{i18n.T(l, "sales.fresh")}})
		return
	}
	outcome, note := r.PostForm.Get("outcome"), cleanNote(r.PostForm.Get("note"))
	problem := ""
	switch {
	case outcome == "":
		problem = i18n.T(l, "sales.outcome.missing")
	case utf8.RuneCountInString(note) > runs.MaxNote:
		problem = i18n.T(l, "fastlane.note.long", runs.MaxNote)
	}
	var res runs.Answered
	var err error
	if problem == "" {
		res, err = s.sales.Answer(ctx, token, outcome, note)
		if f, ok := fault.As(err); ok && f.Kind == fault.Invalid {
			problem, err = fieldMessages(f), nil
		}
	}
	if problem != "" {
		p, err := s.sales.Handoff(ctx, token)
		if !s.handoffLinkOK(w, r, token, l, err) {
			return
		}
		ft, err := s.formToken(token, now)
		if err != nil {
			s.pageError(w, r, l, err)
			return
		}
		s.renderSales(w, r, http.StatusUnprocessableEntity, "handoff.html", s.handoffView(l, p, newAnswerForm(l, "", ft, outcome, note, problem)))
		return
	}
	if fault.Is(err, fault.Conflict) {
		p, perr := s.sales.Handoff(ctx, token)
		if !s.handoffLinkOK(w, r, token, l, perr) {
			return
		}
		s.alreadyAnswered(w, r, l, p.Answered(), r.URL.Path)
		return
	}
	if !s.handoffLinkOK(w, r, token, l, err) {
		return
	}
	s.answerRecorded(w, r, l, outcome, res.Applied, &pageLink{Href: r.URL.Path, Text: i18n.T(l, "inbox.open")})
}

// fieldMessages joins a fault's field problems for a form.
func fieldMessages(f *fault.Error) string {
	msgs := make([]string, 0, len(f.Fields))
	for _, fp := range f.Fields {
		msgs = append(msgs, fp.Field+" "+fp.Message)
	}
	if len(msgs) == 0 {
		return f.Detail
	}
	return strings.Join(msgs, "; ")
}

// alreadyAnswered tells a second answer that the first one counts (409).
func (s *Server) alreadyAnswered(w http.ResponseWriter, r *http.Request, l i18n.Lang, got, back string) {
	p := page{Lang: l, Title: i18n.T(l, "sales.already.title"), Paragraphs: []string{i18n.T(l, "sales.already", outcomeLabel(l, got))},
		Link: &pageLink{Href: back, Text: i18n.T(l, "inbox.open")}}
	if got == store.HandoffWithdrawn {
		p.Paragraphs = []string{i18n.T(l, "sales.withdrawn")}
	}
	s.renderPage(w, r, http.StatusConflict, "message.html", p)
}

func (s *Server) answerRecorded(w http.ResponseWriter, r *http.Request, l i18n.Lang, outcome string, applied bool, back *pageLink) {
	p := page{Lang: l, Title: i18n.T(l, "sales.thanks.title"), Paragraphs: []string{i18n.T(l, "sales.thanks", outcomeLabel(l, outcome))}, Link: back}
	if !applied {
		p.Paragraphs = append(p.Paragraphs, i18n.T(l, "sales.thanks.pending"))
	}
	s.renderPage(w, r, http.StatusOK, "message.html", p)
}

// The inbox.

// signInView is a page with one short form: the sign-in request (Email),
// the sign-in button, or the fresh-link offer of an expired hand-off link.
type signInView struct {
	Lang       i18n.Lang
	Title      string
	Paragraphs []string
	Token      string
	Action     string // the form's action field, if any
	Email      bool   // ask for the email address
	EmailValue string
	Error      string
	Submit     string
}

func (s *Server) inboxLoginPage(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, browserLang(r), "", "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, l i18n.Lang, email, problem string) {
	ft, err := s.formToken(loginForm, s.now())
	if err != nil {
		s.pageError(w, r, l, err)
		return
	}
	s.renderSales(w, r, status, "signin.html", signInView{
		Lang: l, Title: i18n.T(l, "login.title"), Paragraphs: []string{i18n.T(l, "login.intro")},
		Token: ft, Email: true, EmailValue: email, Error: problem, Submit: i18n.T(l, "login.submit"),
	})
}

// inboxLoginSubmit emails a sign-in link if the address is an owner's. The
// answer is the same either way, so the form tells no one who is an owner.
func (s *Server) inboxLoginSubmit(w http.ResponseWriter, r *http.Request) {
	l := browserLang(r)
	if !s.readForm(w, r, loginForm, s.now(), l, false) {
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	email := strings.TrimSpace(r.PostForm.Get("email"))
	err := s.sales.RequestSignIn(ctx, email)
	if fault.Is(err, fault.Invalid) {
		s.renderLogin(w, r, http.StatusUnprocessableEntity, l, email, i18n.T(l, "login.invalid"))
		return
	}
	if err != nil {
		requestLog(r, s.log).Error().Err(err).Msg("sign-in link not sent")
	}
	s.renderPage(w, r, http.StatusOK, "message.html", page{Lang: l, Title: i18n.T(l, "login.sent.title"),
		Paragraphs: []string{i18n.T(l, "login.sent", int(s.sales.SignInTTL()/time.Minute))}})
}

// signInInvalid is the page of a sign-in link that is unknown, used or
// expired.
func (s *Server) signInInvalid(w http.ResponseWriter, r *http.Request, l i18n.Lang) {
	s.renderPage(w, r, http.StatusNotFound, "message.html", page{Lang: l, Title: i18n.T(l, "signin.invalid.title"),
		Paragraphs: []string{i18n.T(l, "signin.invalid")}, Link: &pageLink{Href: "/inbox/login", Text: i18n.T(l, "signin.again")}})
}

// inboxSignInPage shows the button that signs in. It does not use the
// link: a scanner that fetches it leaves it working for the rep.
func (s *Server) inboxSignInPage(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	l := browserLang(r)
	ok, err := s.sales.SignInValid(r.Context(), token)
	switch {
	case err != nil:
		s.pageError(w, r, l, err)
		return
	case !ok:
		s.signInInvalid(w, r, l)
		return
	}
	ft, err := s.formToken(token, s.now())
	if err != nil {
		s.pageError(w, r, l, err)
		return
	}
	s.renderSales(w, r, http.StatusOK, "signin.html", signInView{
		Lang: l, Title: i18n.T(l, "signin.title"), Paragraphs: []string{i18n.T(l, "signin.intro")},
		Token: ft, Submit: i18n.T(l, "signin.submit"),
	})
}

// inboxSignInSubmit uses the sign-in link and opens the session.
func (s *Server) inboxSignInSubmit(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	l := browserLang(r)
	if !s.readForm(w, r, token, s.now(), l, false) {
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	sess, err := s.sales.SignIn(ctx, token)
	switch {
	case fault.Is(err, fault.NotFound):
		s.signInInvalid(w, r, l)
		return
	case err != nil:
		s.pageError(w, r, l, err)
		return
	}
	http.SetCookie(w, s.inboxCookie(sess.Token, sess.ExpiresAt))
	seeOther(w, "/inbox")
}

// inboxCookie is the session cookie: for the inbox's paths only, out of
// scripts' reach, not sent on cross-site posts, and Secure wherever the
// API is served over https (production).
func (s *Server) inboxCookie(value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: inboxCookie, Value: value, Path: "/inbox", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: strings.HasPrefix(s.cfg.PublicURL, "https://")}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	return c
}

func seeOther(w http.ResponseWriter, to string) {
	setPageHeaders(w.Header())
	w.Header().Set("Location", to)
	w.WriteHeader(http.StatusSeeOther)
}

// session is the inbox session of the request's cookie; without a live
// one it sends the browser to the sign-in page and reports false.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (store.Session, store.Owner, bool) {
	var token string
	if c, err := r.Cookie(inboxCookie); err == nil {
		token = c.Value
	}
	sess, owner, err := s.sales.Session(r.Context(), token)
	switch {
	case fault.Is(err, fault.NotFound):
		if token != "" {
			http.SetCookie(w, s.inboxCookie("", time.Time{}))
		}
		seeOther(w, "/inbox/login")
		return sess, owner, false
	case err != nil:
		s.pageError(w, r, browserLang(r), err)
		return sess, owner, false
	}
	return sess, owner, true
}

// sessionForm binds the inbox's forms to the session.
func sessionForm(sess store.Session) string { return "inbox-session:" + sess.Token }

type inboxView struct {
	Lang      i18n.Lang
	Title     string
	Hello     string
	Items     []inboxRow
	Token     string
	Problem   string
	ProblemID string
}

type inboxRow struct {
	ID, Link                  string
	Customer, Journey, Reason string
	PersonLabel               string
	Person                    *runs.HandoffContact
	Note                      string
	Due                       string
	Overdue                   bool
	Form                      *answerForm
}

// inboxPage lists the owner's open hand-offs, the most urgent first, each
// with its answer form.
func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request) {
	sess, owner, ok := s.session(w, r)
	if !ok {
		return
	}
	s.renderInbox(w, r, http.StatusOK, sess, owner, "", "", "", "")
}

func (s *Server) renderInbox(w http.ResponseWriter, r *http.Request, status int, sess store.Session, owner store.Owner, problemID, outcome, note, problem string) {
	l := browserLang(r)
	items, err := s.sales.Inbox(r.Context(), sess)
	if err != nil {
		s.pageError(w, r, l, err)
		return
	}
	ft, err := s.formToken(sessionForm(sess), s.now())
	if err != nil {
		s.pageError(w, r, l, err)
		return
	}
	who := owner.Name
	if who == "" {
		who = owner.Email
	}
	v := inboxView{Lang: l, Title: i18n.T(l, "inbox.title"), Hello: i18n.T(l, "inbox.hello", who), Token: ft}
	for _, it := range items {
		row := inboxRow{ID: it.ID, Link: it.Link, Customer: it.Customer, Journey: it.JourneyName, Person: it.Contact, Note: it.Note,
			Reason: i18n.T(l, "sales.reason."+it.Reason), PersonLabel: i18n.T(l, "handoff.person.engaged"), Overdue: it.Overdue}
		if it.Offer != "" {
			row.Reason += ": " + i18n.OfferLabel(it.Offer, l)
		}
		if it.Reason == store.ReasonFastLane {
			row.PersonLabel = i18n.T(l, "handoff.person.asked")
		}
		due := it.SLADueAt.UTC().Format(timeLayout)
		row.Due = i18n.T(l, "inbox.due", due)
		if it.Overdue {
			row.Due = i18n.T(l, "inbox.overdue", due)
		}
		if it.Answer == "" {
			if it.ID == problemID {
				row.Form = newAnswerForm(l, "/inbox/handoffs/"+it.ID, ft, outcome, note, problem)
			} else {
				row.Form = newAnswerForm(l, "/inbox/handoffs/"+it.ID, ft, "", "", "")
			}
			row.Form.ID, row.Form.Title = it.ID, i18n.T(l, "sales.outcome")
		} else {
			row.Note = strings.TrimSpace(row.Note + "\n" + i18n.T(l, "inbox.answered", outcomeLabel(l, it.Answer)))
		}
		v.Items = append(v.Items, row)
	}
	s.renderSales(w, r, status, "inbox.html", v)
}

// inboxAnswer answers one of the owner's hand-offs and goes back to the
// inbox (where it is no longer listed).
func (s *Server) inboxAnswer(w http.ResponseWriter, r *http.Request) {
	sess, owner, ok := s.session(w, r)
	if !ok {
		return
	}
	l := browserLang(r)
	if !s.readForm(w, r, sessionForm(sess), s.now(), l, false) {
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	id := mux.Vars(r)["id"]
	outcome, note := r.PostForm.Get("outcome"), cleanNote(r.PostForm.Get("note"))
	if outcome == "" {
		s.renderInbox(w, r, http.StatusUnprocessableEntity, sess, owner, id, outcome, note, i18n.T(l, "sales.outcome.missing"))
		return
	}
	_, err := s.sales.AnswerInInbox(ctx, sess, id, outcome, note)
	f, _ := fault.As(err)
	switch {
	case err == nil:
		seeOther(w, "/inbox")
	case f != nil && f.Kind == fault.Invalid:
		s.renderInbox(w, r, http.StatusUnprocessableEntity, sess, owner, id, outcome, note, fieldMessages(f))
	case f != nil && f.Kind == fault.Conflict:
		got, gerr := s.sales.AnsweredAs(ctx, id)
		if gerr != nil {
			s.pageError(w, r, l, gerr)
			return
		}
		s.alreadyAnswered(w, r, l, got, "/inbox")
	case f != nil && f.Kind == fault.NotFound:
		s.renderPage(w, r, http.StatusNotFound, "message.html", page{Lang: l, Title: i18n.T(l, "notfound.title"),
			Paragraphs: []string{f.Detail}, Link: &pageLink{Href: "/inbox", Text: i18n.T(l, "inbox.title")}})
	default:
		s.pageError(w, r, l, err)
	}
}

// inboxLogout revokes the session on the server, so the cookie no longer
// works even if a copy of it survives.
func (s *Server) inboxLogout(w http.ResponseWriter, r *http.Request) {
	l := browserLang(r)
	sess, _, ok := s.session(w, r)
	if !ok {
		return
	}
	if !s.readForm(w, r, sessionForm(sess), s.now(), l, false) {
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	if err := s.sales.SignOut(ctx, sess.Token); err != nil {
		s.pageError(w, r, l, err)
		return
	}
	http.SetCookie(w, s.inboxCookie("", time.Time{}))
	s.renderPage(w, r, http.StatusOK, "message.html", page{Lang: l, Title: i18n.T(l, "signedout.title"),
		Link: &pageLink{Href: "/inbox/login", Text: i18n.T(l, "signedout.again")}})
}
