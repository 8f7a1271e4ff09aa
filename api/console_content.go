package api

// The console's content: the list of content blocks, one block's email as
// a persona and locale would get it, and a test of it sent to oneself.

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/console"
	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/store"
)

type consoleContentView struct {
	consoleBase
	Rows []console.ContentRow
}

// consoleContent lists the content blocks.
func (s *Server) consoleContent(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	l := browserLang(r)
	rows, err := s.console.Content(r.Context(), sess)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	b, err := s.consoleBase(l, sess, i18n.TN(l, "console.content.title"), console.AreaContent)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	s.renderConsole(w, r, http.StatusOK, "content.html", consoleContentView{consoleBase: b, Rows: rows})
}

type consolePreviewView struct {
	consoleBase
	console.ContentPreview
	PersonaOptions, LocaleOptions []consoleOption
	JourneyOptions                []consoleOption
	SenderNote                    string
	VariantLabel, SampleLine      string
	FrameSrc, FrameTitle          string
	// The test form: its token, and the address it sends to ("" for a
	// session of an API key, which has none).
	FormToken, TestTo string
	Notice, Problem   string
}

// consoleContentItem shows one content block's email as the persona and
// locale of ?persona=&locale= would get it.
func (s *Server) consoleContentItem(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	s.renderConsolePreview(w, r, sess, http.StatusOK, q.Get("persona"), q.Get("locale"), q.Get("journey"), "", "")
}

// renderConsolePreview draws the preview page, with a notice or a problem
// of a test send when set.
func (s *Server) renderConsolePreview(w http.ResponseWriter, r *http.Request, sess console.Session, status int, persona, locale, journeyID, notice, problem string) {
	l := browserLang(r)
	id := mux.Vars(r)["id"]
	p, err := s.console.PreviewContent(r.Context(), sess, id, persona, locale, journeyID, l)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	b, err := s.consoleBase(l, sess, cmp.Or(p.Content.Title, p.Content.ID), console.AreaContent)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	to, _, hasAddress, err := s.console.TestAddress(r.Context(), sess)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	v := consolePreviewView{consoleBase: b, ContentPreview: p, FormToken: b.LogoutToken, Notice: notice, Problem: problem,
		VariantLabel: p.Variant, FrameTitle: i18n.TN(l, "console.preview.frame", p.Sample.Contact.FirstName+" "+p.Sample.Contact.LastName),
		SampleLine: i18n.TN(l, "console.preview.sample.at", p.Sample.Contact.FirstName+" "+p.Sample.Contact.LastName, p.Sample.Customer.Name, p.Sample.Owner.Name)}
	if hasAddress {
		v.TestTo = to.Email
	}
	if p.Variant == store.VariantBase {
		v.VariantLabel = i18n.TN(l, "console.preview.variant.base")
	}
	frame := url.Values{"persona": {p.PersonaParam}, "locale": {p.Locale}}
	if p.JourneyID != "" {
		frame.Set("journey", p.JourneyID)
	}
	v.FrameSrc = fmt.Sprintf("/console/content/%s/preview.html?%s", url.PathEscape(id), frame.Encode())
	v.PersonaOptions = append(v.PersonaOptions, consoleOption{Value: console.NoPersona, Label: i18n.TN(l, "console.preview.persona.none"), Selected: p.Persona == ""})
	for _, ps := range p.Personas {
		v.PersonaOptions = append(v.PersonaOptions, consoleOption{Value: ps.ID, Label: ps.Name + " (" + ps.ID + ")", Selected: ps.ID == p.Persona})
	}
	v.JourneyOptions = append(v.JourneyOptions, consoleOption{Value: "", Label: i18n.TN(l, "console.preview.journey.none"), Selected: p.JourneyID == ""})
	for _, j := range p.Journeys {
		v.JourneyOptions = append(v.JourneyOptions, consoleOption{Value: j.ID, Label: j.Name + " (" + j.ID + ")", Selected: j.ID == p.JourneyID})
	}
	switch {
	case p.JourneyID == "":
		v.SenderNote = i18n.TN(l, "console.preview.sender.default", s.console.Sender().Name+" <"+s.console.Sender().Email+">")
	default:
		v.SenderNote = i18n.TN(l, "console.preview.sender."+p.Sender, p.JourneyID)
	}
	for _, loc := range p.Locales {
		v.LocaleOptions = append(v.LocaleOptions, consoleOption{Value: loc, Label: loc, Selected: loc == p.Locale})
	}
	s.renderConsole(w, r, status, "preview.html", v)
}

// consoleContentPreviewHTML serves the preview's HTML part alone, for the
// page's frame, under its own policy (consoleEmailCSP): an email's inline
// styles never loosen the console's.
func (s *Server) consoleContentPreviewHTML(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.consoleSession(w, r)
	if !ok {
		return
	}
	l := browserLang(r)
	q := r.URL.Query()
	p, err := s.console.PreviewContent(r.Context(), sess, mux.Vars(r)["id"], q.Get("persona"), q.Get("locale"), q.Get("journey"), l)
	if err != nil {
		s.consoleFail(w, r, l, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("Content-Security-Policy", consoleEmailCSP)
	_, _ = w.Write([]byte(p.HTML))
}

// consoleContentTest sends the preview of the form's persona and locale
// to the signed-in person's own address, at most once a minute per
// content, and shows the preview again with what happened.
func (s *Server) consoleContentTest(w http.ResponseWriter, r *http.Request) {
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
	r = r.WithContext(ctx)
	persona, locale, journeyID := r.PostForm.Get("persona"), r.PostForm.Get("locale"), r.PostForm.Get("journey")
	_, to, err := s.console.SendTest(ctx, sess, mux.Vars(r)["id"], persona, locale, journeyID, l)
	switch {
	case fault.Is(err, fault.Conflict):
		s.renderConsolePreview(w, r, sess, http.StatusTooManyRequests, persona, locale, journeyID, "", i18n.TN(l, "console.test.again"))
	case err != nil:
		s.consoleFail(w, r, l, err)
	default:
		s.renderConsolePreview(w, r, sess, http.StatusOK, persona, locale, journeyID, i18n.TN(l, "console.test.sent", to.Email), "")
	}
}
