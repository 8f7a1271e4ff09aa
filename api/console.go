package api

// The console (/console): a server-rendered web app for marketing ops and
// sales leads, signed in by a link emailed to a console user or an account
// owner, or with an API key. Like the inbox it keeps its session in an
// HttpOnly cookie, takes posts only with a CSRF token from its own page and
// changes nothing on GET. Its pages load one stylesheet of ours and no
// script, so their Content-Security-Policy allows neither inline scripts
// nor inline styles; an email's preview, which has inline styles, is framed
// from a route of its own with its own sandboxed policy
// (api/console_content.go). Everything it shows comes from package console,
// which draws on the same use cases as the API.

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/chart"
	"github.com/ripen/ripen/console"
	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/reports"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
)

const (
	// consoleCookie holds the console session's token.
	consoleCookie = "ripen_console"
	// consoleLoginForm binds the sign-in page's forms' CSRF token: the
	// page has no link of its own.
	consoleLoginForm = "console-login"
	// consoleCSP: our stylesheet only, no script at all, SVG inline.
	consoleCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	// consolePreviewPageCSP is the content preview's: the console's, and
	// the email's HTML in a frame of our own origin.
	consolePreviewPageCSP = consoleCSP + "; frame-src 'self'"
	// consoleEmailCSP is the framed email's own: inline styles and images
	// as emails have them, no script, no form, nothing else loaded, and
	// sandboxed, so it is of no origin and cannot reach the console.
	consoleEmailCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'none'; frame-ancestors 'self'; base-uri 'none'; sandbox"
)

//go:embed pages/console/*.html
var consolePageFiles embed.FS

//go:embed static/console.css
var consoleCSS []byte

var consoleTemplates = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"login.html", "signin.html", "message.html", "journeys.html", "journey.html", "diff.html", "handoffs.html", "runs.html", "run.html", "content.html", "preview.html", "simulate.html"} {
		m[name] = template.Must(template.New(name).Funcs(template.FuncMap{
			"t":       i18n.TN,
			"percent": i18n.Percent,
			"int":     consoleInt,
			"num":     i18n.Number,
		}).ParseFS(consolePageFiles, "pages/console/layout.html", "pages/console/"+name))
	}
	return m
}()

// consoleInt writes a whole number of any integer type as l writes it
// ("1.234" in German).
func consoleInt(l i18n.Lang, n any) string {
	v := reflect.ValueOf(n)
	switch {
	case v.CanInt():
		return i18n.Int(l, v.Int())
	case v.CanUint():
		return i18n.Int(l, int64(v.Uint()))
	}
	return fmt.Sprint(n)
}

// percent writes a rate (0.25) as a percentage in l ("25.0 %", "25,0 %").
func percent(l i18n.Lang, rate float64) string { return i18n.Percent(l, rate) }

// consoleBase is what every console page shows around its content.
type consoleBase struct {
	Lang  i18n.Lang
	Title string
	// Nav, Who and LogoutToken are set for a signed-in session.
	Nav         []consoleNav
	Who         string
	RoleLabel   string
	LogoutToken string
}

type consoleNav struct {
	Href, Text string
	Current    bool
}

// base is the frame of a page of a signed-in session, area the current one.
func (s *Server) consoleBase(l i18n.Lang, sess console.Session, title, area string) (consoleBase, error) {
	ft, err := s.formToken(consoleSessionForm(sess), s.now())
	if err != nil {
		return consoleBase{}, err
	}
	b := consoleBase{Lang: l, Title: title, Who: sess.Name, RoleLabel: i18n.TN(l, "console.role."+sess.Role), LogoutToken: ft}
	if sess.OwnerID != "" {
		b.RoleLabel = i18n.TN(l, "console.role.owner")
	}
	for _, a := range sess.Areas() {
		b.Nav = append(b.Nav, consoleNav{Href: "/console/" + a, Text: i18n.TN(l, "console.nav."+a), Current: a == area})
	}
	return b, nil
}

func (s *Server) renderConsole(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var b bytes.Buffer
	if err := consoleTemplates[name].ExecuteTemplate(&b, "layout", data); err != nil {
		requestLog(r, s.log).Error().Err(err).Str("page", name).Msg("render console page")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	setPageHeaders(w.Header())
	csp := consoleCSP
	if name == "preview.html" {
		csp = consolePreviewPageCSP
	}
	w.Header().Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// consoleMessage is a page with a title, paragraphs and a link.
type consoleMessage struct {
	consoleBase
	Paragraphs []string
	Link       *pageLink
}

func (s *Server) consoleMessage(w http.ResponseWriter, r *http.Request, status int, l i18n.Lang, title string, link *pageLink, paragraphs ...string) {
	s.renderConsole(w, r, status, "message.html", consoleMessage{consoleBase: consoleBase{Lang: l, Title: title}, Paragraphs: paragraphs, Link: link})
}

// consoleFail answers a use case's error on a console page: 403 for a
// role that may not see it, 404, 422 with the problem, else 503.
func (s *Server) consoleFail(w http.ResponseWriter, r *http.Request, l i18n.Lang, err error) {
	back := &pageLink{Href: "/console", Text: i18n.TN(l, "console.home")}
	f, _ := fault.As(err)
	switch {
	case f != nil && f.Kind == fault.Forbidden:
		s.consoleMessage(w, r, http.StatusForbidden, l, i18n.TN(l, "console.forbidden.title"), back, i18n.TN(l, "console.forbidden"))
	case f != nil && f.Kind == fault.NotFound, errors.Is(err, store.ErrNotFound):
		s.consoleMessage(w, r, http.StatusNotFound, l, i18n.TN(l, "notfound.title"), back, i18n.TN(l, "console.notfound"))
	case f != nil && f.Kind == fault.Invalid:
		s.consoleMessage(w, r, http.StatusUnprocessableEntity, l, i18n.TN(l, "console.invalid.title"), back, fieldMessages(f))
	default:
		requestLog(r, s.log).Error().Err(err).Msg("console page failed")
		s.consoleMessage(w, r, http.StatusServiceUnavailable, l, i18n.TN(l, "error.title"), back, i18n.TN(l, "error.body"))
	}
}

func (s *Server) consoleStylesheet(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(consoleCSS)
}

// Sign-in.

// consoleSessionForm binds a session's forms to it.
func consoleSessionForm(sess console.Session) string { return "console-session:" + sess.Token }

// consoleCookieOf is the session cookie: for the console's paths only, out
// of scripts' reach, not sent on cross-site posts, and Secure wherever the
// API is served over https.
func (s *Server) consoleCookieOf(value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: consoleCookie, Value: value, Path: "/console", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: strings.HasPrefix(s.cfg.PublicURL, "https://")}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	return c
}

// consoleSession is the session of the request's cookie; without a live
// one it sends the browser to the sign-in page and reports false.
func (s *Server) consoleSession(w http.ResponseWriter, r *http.Request) (console.Session, bool) {
	var token string
	if c, err := r.Cookie(consoleCookie); err == nil {
		token = c.Value
	}
	sess, err := s.console.Session(r.Context(), token)
	switch {
	case fault.Is(err, fault.NotFound):
		if token != "" {
			http.SetCookie(w, s.consoleCookieOf("", time.Time{}))
		}
		seeOther(w, "/console/login")
		return sess, false
	case err != nil:
		s.consoleFail(w, r, browserLang(r), err)
		return sess, false
	}
	return sess, true
}

// consoleHome sends a session to the first area its role sees.
func (s *Server) consoleHome(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	areas := sess.Areas()
	if len(areas) == 0 {
		s.consoleFail(w, r, browserLang(r), fault.Newf(fault.Forbidden, "no area"))
		return
	}
	seeOther(w, "/console/"+areas[0])
}

type consoleLoginView struct {
	consoleBase
	Token string
	Email string
	Error string
}

func (s *Server) consoleLoginPage(w http.ResponseWriter, r *http.Request) {
	s.renderConsoleLogin(w, r, http.StatusOK, browserLang(r), "", "")
}

func (s *Server) renderConsoleLogin(w http.ResponseWriter, r *http.Request, status int, l i18n.Lang, email, problem string) {
	ft, err := s.formToken(consoleLoginForm, s.now())
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	s.renderConsole(w, r, status, "login.html", consoleLoginView{
		consoleBase: consoleBase{Lang: l, Title: i18n.TN(l, "console.login.title")}, Token: ft, Email: email, Error: problem,
	})
}

// consoleLoginSubmit signs in with an API key (field api_key) at once, or
// emails a sign-in link (field email). The answer to an address is the
// same whether or not it may sign in, so the form tells no one who may.
func (s *Server) consoleLoginSubmit(w http.ResponseWriter, r *http.Request) {
	l := browserLang(r)
	if !s.readForm(w, r, consoleLoginForm, s.now(), l, false) {
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	if key := strings.TrimSpace(r.PostForm.Get("api_key")); key != "" {
		sess, err := s.console.SignInWithKey(ctx, key)
		switch {
		case fault.Is(err, fault.NotFound):
			s.renderConsoleLogin(w, r, http.StatusUnauthorized, l, "", i18n.TN(l, "console.login.key.bad"))
			return
		case err != nil:
			s.consoleFail(w, r, l, err)
			return
		}
		http.SetCookie(w, s.consoleCookieOf(sess.Token, sess.ExpiresAt))
		seeOther(w, "/console")
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	err := s.console.RequestSignIn(ctx, email, l)
	if fault.Is(err, fault.Invalid) {
		s.renderConsoleLogin(w, r, http.StatusUnprocessableEntity, l, email, i18n.TN(l, "login.invalid"))
		return
	}
	if err != nil {
		requestLog(r, s.log).Error().Err(err).Msg("console sign-in link not sent")
	}
	s.consoleMessage(w, r, http.StatusOK, l, i18n.TN(l, "login.sent.title"), nil,
		i18n.TN(l, "console.login.sent", int(s.console.SignInTTL()/time.Minute)))
}

type consoleSignInView struct {
	consoleBase
	Token string
}

func (s *Server) consoleSignInInvalid(w http.ResponseWriter, r *http.Request, l i18n.Lang) {
	s.consoleMessage(w, r, http.StatusNotFound, l, i18n.TN(l, "signin.invalid.title"),
		&pageLink{Href: "/console/login", Text: i18n.TN(l, "signin.again")}, i18n.TN(l, "signin.invalid"))
}

// consoleSignInPage shows the button that signs in. It does not use the
// link: a mail scanner that fetches it leaves it working.
func (s *Server) consoleSignInPage(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	l := browserLang(r)
	ok, err := s.console.SignInValid(r.Context(), token)
	switch {
	case err != nil:
		s.consoleFail(w, r, l, err)
		return
	case !ok:
		s.consoleSignInInvalid(w, r, l)
		return
	}
	ft, err := s.formToken(token, s.now())
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	s.renderConsole(w, r, http.StatusOK, "signin.html", consoleSignInView{consoleBase: consoleBase{Lang: l, Title: i18n.TN(l, "signin.title")}, Token: ft})
}

// consoleSignInSubmit uses the sign-in link and opens the session.
func (s *Server) consoleSignInSubmit(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	l := browserLang(r)
	if !s.readForm(w, r, token, s.now(), l, false) {
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	sess, err := s.console.SignIn(ctx, token)
	switch {
	case fault.Is(err, fault.NotFound):
		s.consoleSignInInvalid(w, r, l)
		return
	case err != nil:
		s.consoleFail(w, r, l, err)
		return
	}
	http.SetCookie(w, s.consoleCookieOf(sess.Token, sess.ExpiresAt))
	seeOther(w, "/console")
}

// consoleLogout revokes the session on the server, so the cookie no
// longer works even if a copy of it survives.
func (s *Server) consoleLogout(w http.ResponseWriter, r *http.Request) {
	l := browserLang(r)
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	if !s.readForm(w, r, consoleSessionForm(sess), s.now(), l, false) {
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	if err := s.console.SignOut(ctx, sess.Token); err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	http.SetCookie(w, s.consoleCookieOf("", time.Time{}))
	s.consoleMessage(w, r, http.StatusOK, l, i18n.TN(l, "signedout.title"),
		&pageLink{Href: "/console/login", Text: i18n.TN(l, "signedout.again")})
}

// Journeys.

type consoleJourneysView struct {
	consoleBase
	Rows []console.JourneyRow
}

func (s *Server) consoleJourneys(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	l := browserLang(r)
	rows, err := s.console.Journeys(r.Context(), sess)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	b, err := s.consoleBase(l, sess, i18n.TN(l, "console.journeys.title"), console.AreaJourneys)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	s.renderConsole(w, r, http.StatusOK, "journeys.html", consoleJourneysView{consoleBase: b, Rows: rows})
}

type consoleJourneyView struct {
	consoleBase
	console.JourneyPage
	ShownVersion int
	Versions     []consoleVersion
	Funnel       template.HTML
	Arms         []consoleArms
	Holdout      template.HTML
	HoldoutNote  string
	Content      template.HTML
	TimeToMQN    string
	// The publish form: its CSRF token, the source it shows (the shown
	// version's, or what was sent) and the problems of what was sent.
	FormToken string
	Source    string
	Problems  []string
}

type consoleVersion struct {
	Version   int
	Href      string
	Published string
	Current   bool
	// DiffHref compares the version with the one before it ("" for v1).
	DiffHref string
}

type consoleArms struct {
	Step  string
	Chart template.HTML
	Note  string
}

// consoleJourney shows one journey: its facts, the report as charts, its
// versions and the source of one of them (?version=N, else the newest).
func (s *Server) consoleJourney(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	l := browserLang(r)
	id := mux.Vars(r)["id"]
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.consoleFail(w, r, l, fault.InvalidField("version", "must be a positive version number"))
			return
		}
		version = n
	}
	s.renderConsoleJourney(w, r, sess, http.StatusOK, id, version, nil, nil)
}

// renderConsoleJourney draws the journey page; source and problems, when
// set, are a refused publish's, shown in the form again.
func (s *Server) renderConsoleJourney(w http.ResponseWriter, r *http.Request, sess console.Session, status int, id string, version int, source *string, problems journey.Problems) {
	l := browserLang(r)
	p, err := s.console.Journey(r.Context(), sess, id, version)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	b, err := s.consoleBase(l, sess, p.Name, console.AreaJourneys)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	v := consoleJourneyView{consoleBase: b, JourneyPage: p, ShownVersion: p.Shown.Version, FormToken: b.LogoutToken, Source: p.Shown.Source}
	if v.Source == "" {
		v.Source = string(p.Shown.JourneyVersion.Definition)
	}
	if source != nil {
		v.Source = *source
	}
	for _, pr := range problems {
		v.Problems = append(v.Problems, problemText(l, pr))
	}
	for _, jv := range p.Versions {
		cv := consoleVersion{Version: jv.Version, Href: fmt.Sprintf("/console/journeys/%s?version=%d", id, jv.Version), Current: jv.Version == p.Shown.Version}
		if jv.PublishedAt != nil {
			cv.Published = jv.PublishedAt.UTC().Format(timeLayout)
		}
		if jv.Version > 1 {
			cv.DiffHref = fmt.Sprintf("/console/journeys/%s/diff?from=%d&to=%d", url.PathEscape(id), jv.Version-1, jv.Version)
		}
		v.Versions = append(v.Versions, cv)
	}
	drawReport(l, &v, p.Report)
	s.renderConsole(w, r, status, "journey.html", v)
}

// problemText is a journey problem as the form lists it: "Line 12: steps[3].goto: …".
func problemText(l i18n.Lang, p journey.Problem) string {
	text := journey.Problem{Field: p.Field, Message: p.Message}.String()
	if p.Line > 0 {
		return i18n.TN(l, "console.publish.line", p.Line) + ": " + text
	}
	return text
}

// consoleJourneyPublish publishes the journey's source from the page's
// form (field source) as PUT /v1/journeys/{id} does, and shows the version
// it made; a source with mistakes shows the page again with them (422).
func (s *Server) consoleJourneyPublish(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	l := browserLang(r)
	if !s.readForm(w, r, consoleSessionForm(sess), s.now(), l, false) {
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	id := mux.Vars(r)["id"]
	source := strings.ReplaceAll(r.PostForm.Get("source"), "\r\n", "\n")
	v, _, problems, err := s.console.Publish(ctx, sess, id, source)
	switch {
	case err != nil:
		s.consoleFail(w, r, l, err)
	case len(problems) > 0:
		s.renderConsoleJourney(w, r.WithContext(ctx), sess, http.StatusUnprocessableEntity, id, 0, &source, problems)
	default:
		seeOther(w, fmt.Sprintf("/console/journeys/%s?version=%d", url.PathEscape(id), v.Version))
	}
}

// funnelStages are the report's funnel in order, with their catalogue keys.
func funnelStages(f reports.Funnel) []struct {
	Key   string
	Value int
} {
	return []struct {
		Key   string
		Value int
	}{
		{"enrolled", f.Enrolled}, {"emailed", f.Emailed}, {"engaged", f.Engaged}, {"mqn", f.MQN},
		{"handed_off", f.HandedOff}, {"accepted", f.Accepted}, {"won", f.Won}, {"converted", f.Converted},
	}
}

// drawReport draws the report's charts: the funnel, each split's MQN rate
// by arm, holdout against treated, and what each content block did.
func drawReport(l i18n.Lang, v *consoleJourneyView, rep reports.Report) {
	var bars []chart.Bar
	for _, st := range funnelStages(rep.Funnel) {
		note := i18n.Int(l, int64(st.Value))
		if rep.Funnel.Enrolled > 0 && st.Key != "enrolled" {
			note += " · " + percent(l, float64(st.Value)/float64(rep.Funnel.Enrolled))
		}
		bars = append(bars, chart.Bar{Label: i18n.TN(l, "console.funnel."+st.Key), Value: float64(st.Value), Note: note})
	}
	v.Funnel = chart.Bars{Funnel: true, Bars: bars, Title: i18n.TN(l, "console.report.funnel")}.SVG()

	for _, step := range slices.Sorted(maps.Keys(rep.Arms)) {
		split := rep.Arms[step]
		var arms []chart.Bar
		for _, arm := range slices.Sorted(maps.Keys(split.Arms)) {
			g := split.Arms[arm]
			arms = append(arms, chart.Bar{Label: i18n.TN(l, "console.arm", arm), Value: g.MQNRate,
				Note: percent(l, g.MQNRate) + " · " + i18n.TN(l, "console.of", g.MQN, g.Enrolled)})
		}
		a := consoleArms{Step: step, Chart: chart.Bars{Bars: arms, Max: 1, Title: i18n.TN(l, "console.report.arms.chart", step)}.SVG()}
		if split.PValue != nil {
			a.Note = i18n.TN(l, "console.pvalue", *split.PValue)
		}
		v.Arms = append(v.Arms, a)
	}

	if h := rep.Holdout; h != nil {
		var groups []string
		var held, treated []float64
		for _, st := range funnelStages(h.Funnel)[1:] {
			groups = append(groups, i18n.TN(l, "console.funnel."+st.Key))
			held = append(held, shareOf(st.Value, h.Enrolled))
		}
		for _, st := range funnelStages(h.Treated.Funnel)[1:] {
			treated = append(treated, shareOf(st.Value, h.Treated.Enrolled))
		}
		v.Holdout = chart.Grouped{Groups: groups, Number: func(v float64) string { return consoleNumber(l, v) }, Percent: true, Title: i18n.TN(l, "console.report.holdout"), Series: []chart.Series{
			{Name: i18n.TN(l, "console.treated", h.Treated.Enrolled), Values: treated},
			{Name: i18n.TN(l, "console.heldout", h.Enrolled), Values: held},
		}}.SVG()
		if h.PValue != nil {
			v.HoldoutNote = i18n.TN(l, "console.pvalue", *h.PValue)
		}
	}

	if len(rep.Content) > 0 {
		var groups []string
		var sent, opened, clicked, mqn []float64
		for _, c := range rep.Content {
			groups = append(groups, c.ContentID)
			sent, opened = append(sent, float64(c.Sent)), append(opened, float64(c.Opened))
			clicked, mqn = append(clicked, float64(c.Clicked)), append(mqn, float64(c.MQNWithin30d))
		}
		v.Content = chart.Grouped{Groups: groups, Number: func(v float64) string { return consoleNumber(l, v) }, Title: i18n.TN(l, "console.report.content"), Series: []chart.Series{
			{Name: i18n.TN(l, "console.content.sent"), Values: sent}, {Name: i18n.TN(l, "console.content.opened"), Values: opened},
			{Name: i18n.TN(l, "console.content.clicked"), Values: clicked}, {Name: i18n.TN(l, "console.content.mqn"), Values: mqn},
		}}.SVG()
	}
	if t := rep.TimeToMQN; t != nil && t.Runs > 0 {
		v.TimeToMQN = i18n.TN(l, "console.timetomqn", t.P50Days, t.P90Days, t.Runs)
	}
}

func shareOf(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// Hand-offs.

type consoleHandoffsView struct {
	consoleBase
	Pager    consolePager
	Status   string
	Statuses []consoleOption
	Owners   []consoleOption
	Rows     []consoleHandoffRow
}

type consoleOption struct {
	Value, Label string
	Selected     bool
}

type consoleHandoffRow struct {
	Customer, Journey, Owner, Reason string
	Created, Due                     string
	SLA, SLALabel                    string
}

// consoleHandoffs lists hand-offs with their SLA state, filtered by
// ?status= (open, all or a status) and ?owner=.
func (s *Server) consoleHandoffs(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	l := browserLang(r)
	q := r.URL.Query()
	f := console.HandoffFilter{Status: q.Get("status"), Owner: q.Get("owner"), Limit: pageLimit(q)}
	if t := q.Get("page"); t != "" {
		c, ok := parseHandoffToken(t)
		if !ok {
			s.consoleFail(w, r, l, fault.InvalidField("page", "is not a page of this list"))
			return
		}
		f.After = &c
	}
	list, err := s.console.Handoffs(r.Context(), sess, f)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	b, err := s.consoleBase(l, sess, i18n.TN(l, "console.handoffs.title"), console.AreaHandoffs)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	v := consoleHandoffsView{consoleBase: b, Status: f.Status}
	var next string
	if list.Next != nil {
		next = handoffToken(*list.Next)
	}
	v.Pager = consolePagerOf(l, "/console/handoffs", q, next)
	for _, st := range append([]string{"open", "all"}, store.HandoffStatuses[1:]...) {
		label := i18n.TN(l, "console.status."+st)
		if st != "open" && st != "all" {
			label = outcomeLabel(l, st)
		}
		v.Statuses = append(v.Statuses, consoleOption{Value: st, Label: label, Selected: st == f.Status || (f.Status == "" && st == "open")})
	}
	if len(list.Owners) > 0 {
		v.Owners = append(v.Owners, consoleOption{Value: "", Label: i18n.TN(l, "console.owners.all"), Selected: f.Owner == ""})
		for _, o := range list.Owners {
			v.Owners = append(v.Owners, consoleOption{Value: o.ID, Label: o.Name, Selected: o.ID == f.Owner})
		}
	}
	for _, h := range list.Rows {
		row := consoleHandoffRow{Customer: h.Customer, Journey: h.JourneyName, Owner: h.OwnerName,
			Reason: i18n.TN(l, "sales.reason."+h.Reason), Created: h.CreatedAt.UTC().Format(timeLayout),
			Due: h.SLADueAt.UTC().Format(timeLayout), SLA: h.SLA, SLALabel: i18n.TN(l, "console.sla."+h.SLA)}
		if h.Offer != "" {
			row.Reason += ": " + i18n.OfferLabel(h.Offer, l)
		}
		if h.SLA == console.SLAAnswered {
			row.SLALabel = outcomeLabel(l, h.Answered())
		}
		v.Rows = append(v.Rows, row)
	}
	s.renderConsole(w, r, http.StatusOK, "handoffs.html", v)
}

// Paging. Runs come a page at a time from Temporal's visibility, whose
// page tokens go forward only, and hand-offs by the store's keyset, which
// goes forward too; so a page's address carries, besides the filters, the
// token of the page (page) and those of the pages before it (prev, the
// first page's as ""), and "previous" goes back to the last of them.

// consolePager is a list's links to the pages before and after this one.
type consolePager struct {
	Prev, Next string
	// Label names the pages' navigation.
	Label string
}

// maxPagesBack bounds the tokens a page's address carries.
const maxPagesBack = 50

// pageLimit is a list's page size from ?limit= (0: the list's default).
func pageLimit(q url.Values) int {
	n, err := strconv.Atoi(q.Get("limit"))
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// consolePagerOf links the pages around the one q asked for at path, with
// q's filters; next is the token of the next page ("" for none).
func consolePagerOf(l i18n.Lang, path string, q url.Values, next string) consolePager {
	p := consolePager{Label: i18n.TN(l, "console.pages")}
	base := url.Values{}
	for k, vs := range q {
		if k != "page" && k != "prev" {
			base[k] = vs
		}
	}
	cur, prevs := q.Get("page"), q["prev"]
	if next != "" {
		n := maps.Clone(base)
		n["prev"] = append(slices.Clone(prevs), cur)
		if len(n["prev"]) > maxPagesBack {
			n["prev"] = n["prev"][len(n["prev"])-maxPagesBack:]
		}
		n.Set("page", next)
		p.Next = path + "?" + n.Encode()
	}
	if cur != "" {
		pv := maps.Clone(base)
		if len(prevs) > 0 {
			if t := prevs[len(prevs)-1]; t != "" {
				pv.Set("page", t)
			}
			if len(prevs) > 1 {
				pv["prev"] = prevs[:len(prevs)-1]
			}
		}
		p.Prev = path
		if len(pv) > 0 {
			p.Prev += "?" + pv.Encode()
		}
	}
	return p
}

// Console users (admin): /v1/users.

func (s *Server) consoleUsers() resource[store.ConsoleUser] {
	return resource[store.ConsoleUser]{
		id:  func(u *store.ConsoleUser) *string { return &u.ID },
		put: s.console.PutUser, get: s.console.GetUser, list: s.console.ListUsers,
	}
}

func (s *Server) deleteConsoleUser(w http.ResponseWriter, r *http.Request) {
	if err := s.console.DeleteUser(r.Context(), mux.Vars(r)["id"]); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Runs.

type consoleRunsView struct {
	consoleBase
	Journey, Owner string
	OwnerBound     bool
	Stages, MQN    []consoleOption
	Rows           []consoleRunRow
	Pager          consolePager
}

type consoleRunRow struct {
	Href, TemporalURL        string
	Journey, Customer, Owner string
	Stage, Status, Started   string
	Score                    int64
	MQN                      bool
}

// temporalRunURL links a run in the Temporal Web UI ("" without one).
func (s *Server) temporalRunURL(workflowID string) string {
	if s.cfg.TemporalUIURL == "" {
		return ""
	}
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s", strings.TrimRight(s.cfg.TemporalUIURL, "/"),
		url.PathEscape(cmp.Or(s.cfg.Namespace, "default")), url.PathEscape(workflowID))
}

// consoleRuns lists runs, filtered by ?journey=, ?stage=, ?owner= and
// ?mqn= as GET /v1/runs is.
func (s *Server) consoleRuns(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	l := browserLang(r)
	q := r.URL.Query()
	f := runs.Filter{Journey: strings.TrimSpace(q.Get("journey")), Stage: q.Get("stage"), Owner: strings.TrimSpace(q.Get("owner")), MQN: q.Get("mqn"),
		PageToken: q.Get("page"), Limit: pageLimit(q)}
	page, err := s.console.Runs(r.Context(), sess, f)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	b, err := s.consoleBase(l, sess, i18n.TN(l, "console.runs.title"), console.AreaRuns)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	v := consoleRunsView{consoleBase: b, Journey: f.Journey, Owner: f.Owner, OwnerBound: sess.OwnerID != "",
		Pager: consolePagerOf(l, "/console/runs", q, page.NextPageToken)}
	v.Stages = append(v.Stages, consoleOption{Value: "", Label: i18n.TN(l, "console.any"), Selected: f.Stage == ""})
	for _, st := range console.Stages {
		v.Stages = append(v.Stages, consoleOption{Value: st, Label: i18n.TN(l, "console.stage."+st), Selected: st == f.Stage})
	}
	for _, m := range []string{"", "true", "false"} {
		v.MQN = append(v.MQN, consoleOption{Value: m, Label: i18n.TN(l, "console.mqn."+cmp.Or(m, "any")), Selected: m == f.MQN})
	}
	for _, run := range page.Runs {
		v.Rows = append(v.Rows, consoleRunRow{
			Href:        "/console/runs/" + url.PathEscape(run.JourneyID) + "/" + url.PathEscape(run.CustomerID),
			TemporalURL: s.temporalRunURL(run.WorkflowID), Journey: run.JourneyID, Customer: run.CustomerID, Owner: run.OwnerID,
			Stage: i18n.TN(l, "console.stage."+run.Stage), Status: run.Status, Started: run.StartedAt.UTC().Format(timeLayout),
			Score: run.Score, MQN: run.MQN,
		})
	}
	s.renderConsole(w, r, http.StatusOK, "runs.html", v)
}

type consoleRunView struct {
	consoleBase
	console.RunPage
	Customer    string
	TemporalURL string
	StageLabel  string
	Started     string
	NextWake    string
	Chart       template.HTML
	Moments     []consoleMoment
}

type consoleMoment struct {
	At, Kind, What, Contact, Status string
	Points                          float64
}

// consoleRun shows one run: its state, its score over time and its
// timeline, with a link to it in the Temporal Web UI.
func (s *Server) consoleRun(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	l := browserLang(r)
	vars := mux.Vars(r)
	p, err := s.console.Run(r.Context(), sess, vars["journey"], vars["customer"])
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	b, err := s.consoleBase(l, sess, i18n.TN(l, "console.run.title", p.CustomerID, cmp.Or(p.JourneyName, p.JourneyID)), console.AreaRuns)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	v := consoleRunView{consoleBase: b, RunPage: p, TemporalURL: s.temporalRunURL(p.WorkflowID),
		StageLabel: i18n.TN(l, "console.stage."+p.Stage), Started: p.StartedAt.UTC().Format(timeLayout)}
	if p.NextWakeAt != nil {
		v.NextWake = p.NextWakeAt.UTC().Format(timeLayout)
	}
	trail := make([]chart.Point, len(p.ScoreTrail))
	for i, sp := range p.ScoreTrail {
		trail[i] = chart.Point{At: sp.At, Value: sp.Score}
	}
	line := chart.Line{Points: trail, Threshold: p.Threshold, Title: i18n.TN(l, "handoff.trail"),
		Number: func(v float64) string { return consoleNumber(l, v) }}
	if p.Threshold > 0 {
		line.ThresholdLabel = i18n.TN(l, "sales.threshold", p.Threshold)
	}
	v.Chart = line.SVG()
	for _, m := range p.Timeline {
		cm := consoleMoment{At: m.At.UTC().Format(timeLayout), Kind: i18n.TN(l, "console.moment."+m.Kind), What: m.What, Contact: m.ContactID, Points: m.Points}
		if m.Kind == "handoff" {
			cm.What = i18n.TN(l, "sales.reason."+m.What)
			cm.Status = i18n.TN(l, "console.status.open")
			if m.Status != store.HandoffOpen {
				cm.Status = outcomeLabel(l, m.Status)
			}
		}
		v.Moments = append(v.Moments, cm)
	}
	s.renderConsole(w, r, http.StatusOK, "run.html", v)
}

type consoleDiffView struct {
	consoleBase
	console.VersionDiff
	Back string
}

// consoleJourneyDiff compares two versions' sources line by line
// (?from=&to=, by default the newest against the one before it).
func (s *Server) consoleJourneyDiff(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	l := browserLang(r)
	id := mux.Vars(r)["id"]
	q := r.URL.Query()
	from, errFrom := strconv.Atoi(q.Get("from"))
	to, errTo := strconv.Atoi(q.Get("to"))
	if errFrom != nil || errTo != nil || from < 1 || to < 1 {
		s.consoleFail(w, r, l, fault.InvalidFields(fault.Field{Field: "from", Message: "must be a version number"}, fault.Field{Field: "to", Message: "must be a version number"}))
		return
	}
	d, err := s.console.Diff(r.Context(), sess, id, from, to)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	b, err := s.consoleBase(l, sess, i18n.TN(l, "console.diff.title", d.Name, from, to), console.AreaJourneys)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	s.renderConsole(w, r, http.StatusOK, "diff.html", consoleDiffView{consoleBase: b, VersionDiff: d,
		Back: fmt.Sprintf("/console/journeys/%s?version=%d", url.PathEscape(id), to)})
}
