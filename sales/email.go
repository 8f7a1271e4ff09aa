package sales

import (
	"html/template"
	"strings"

	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/sendgrid"
)

// Owners have no language in the store: their emails speak English, as the
// hand-off email does.
const ownerLang = i18n.English

var linkEmailHTML = template.Must(template.New("link").Parse(`<p>{{.Body}}</p>
<p><a href="{{.Link}}">{{.LinkText}}</a></p>
<p style="color:#555">{{.Footer}}</p>`))

type linkEmail struct {
	Body, Link, LinkText, Footer string
}

func (e linkEmail) message(subject string) sendgrid.Message {
	var b strings.Builder
	_ = linkEmailHTML.Execute(&b, e)
	text := e.Body + "\n\n" + e.LinkText + ": " + e.Link + "\n\n" + e.Footer + "\n"
	return sendgrid.Message{Subject: subject, HTML: b.String(), Text: text}
}

// freshLinkEmail is the owner's email with a fresh hand-off link.
func freshLinkEmail(customer, link string, days int) sendgrid.Message {
	l := ownerLang
	return linkEmail{
		Body: i18n.T(l, "sales.fresh.body", customer, days), Link: link, LinkText: i18n.T(l, "sales.fresh.link"),
		Footer: i18n.T(l, "sales.fresh.ignore"),
	}.message(i18n.T(l, "sales.fresh.subject", customer))
}

// signInEmail is the owner's email with a one-time sign-in link.
func signInEmail(link string, minutes int) sendgrid.Message {
	l := ownerLang
	return linkEmail{
		Body: i18n.T(l, "signin.body", minutes), Link: link, LinkText: i18n.T(l, "signin.link"),
		Footer: i18n.T(l, "signin.ignore"),
	}.message(i18n.T(l, "signin.subject"))
}
