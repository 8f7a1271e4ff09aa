package console

import (
	"html/template"
	"strings"

	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/sendgrid"
)

var signInHTML = template.Must(template.New("signin").Parse(`<p>{{.Body}}</p>
<p><a href="{{.Link}}">{{.LinkText}}</a></p>
<p style="color:#555">{{.Footer}}</p>`))

// signInEmail is the email with a one-time console sign-in link, in the
// language of the browser that asked for it.
func signInEmail(l i18n.Lang, link string, minutes int) sendgrid.Message {
	data := struct{ Body, Link, LinkText, Footer string }{
		Body: i18n.TN(l, "console.signin.body", minutes), Link: link,
		LinkText: i18n.TN(l, "console.signin.link"), Footer: i18n.TN(l, "console.signin.ignore"),
	}
	var b strings.Builder
	_ = signInHTML.Execute(&b, data)
	text := data.Body + "\n\n" + data.LinkText + ": " + data.Link + "\n\n" + data.Footer + "\n"
	return sendgrid.Message{Subject: i18n.TN(l, "console.signin.subject"), HTML: b.String(), Text: text}
}
