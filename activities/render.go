package activities

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strings"
	texttemplate "text/template"
	"unicode"

	"github.com/ripen/ripen/i18n"
	"github.com/ripen/ripen/store"
)

// EmailData is what content templates see: {{.Contact.FirstName}},
// {{.Customer.Name}}, {{.Owner.Name}}, {{.Content.URL}}, {{.Links.Unsubscribe}}.
type EmailData struct {
	Contact  ContactData
	Customer CustomerData
	Owner    OwnerData
	Content  ContentData
	Links    LinkData
}

// ContactData is the recipient.
type ContactData struct{ ID, FirstName, LastName, Email, Locale string }

// CustomerData is the recipient's company.
type CustomerData struct{ ID, Name string }

// OwnerData is the account owner in sales.
type OwnerData struct{ ID, Name, Email string }

// ContentData is the content block the email points to.
type ContentData struct{ ID, Title, Topic, Stage, URL string }

// LinkData holds the signed links added to every email.
type LinkData struct {
	Unsubscribe string
	FastLane    []FastLaneLink
	// Trap is the email's hidden link (linktoken.KindTrap): only machines
	// follow it, which tells ripen that the email is being scanned.
	Trap string
}

// FastLaneLink is one "ask sales directly" link.
type FastLaneLink struct{ Offer, Label, URL string }

// rendered is an email ready for SendGrid.
type rendered struct {
	Subject, HTML, Text string
}

// renderContent renders a content block's email for one contact: templates
// first, then every http(s) link rewritten through track, then the footer
// with fast-lane and unsubscribe links in the contact's language.
func renderContent(c store.Content, data EmailData, track func(url string) string) (rendered, error) {
	var out rendered
	var err error
	if out.Subject, err = renderText("subject", c.Email.Subject, data); err != nil {
		return out, fmt.Errorf("content %s: %w", c.ID, err)
	}
	out.Subject = headerText(out.Subject)
	if c.Email.HTML != "" {
		t, err := htmltemplate.New("html").Option("missingkey=error").Parse(c.Email.HTML)
		if err != nil {
			return out, fmt.Errorf("content %s: email.html: %w", c.ID, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return out, fmt.Errorf("content %s: email.html: %w", c.ID, err)
		}
		out.HTML = withTrap(rewriteHTMLLinks(b.String(), track), data.Links.Trap) + htmlFooter(data)
	}
	text := c.Email.Text
	if text == "" && c.Email.HTML == "" {
		text = "{{.Content.Title}}: {{.Content.URL}}"
	}
	if text != "" {
		if out.Text, err = renderText("text", text, data); err != nil {
			return out, fmt.Errorf("content %s: %w", c.ID, err)
		}
		out.Text = rewriteTextLinks(out.Text, trackOnlyHosts(linkHosts(text, data.Content.URL), track)) + textFooter(data)
	}
	return out, nil
}

func renderText(name, src string, data any) (string, error) {
	t, err := texttemplate.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", fmt.Errorf("email.%s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("email.%s: %w", name, err)
	}
	return b.String(), nil
}

var (
	hrefRE    = regexp.MustCompile(`(?i)(href\s*=\s*["'])(https?://[^"']+)(["'])`)
	textURLRE = regexp.MustCompile(`https?://[^\s<>"']+`)
)

func rewriteHTMLLinks(html string, track func(string) string) string {
	return hrefRE.ReplaceAllStringFunc(html, func(m string) string {
		p := hrefRE.FindStringSubmatch(m)
		return p[1] + htmltemplate.HTMLEscapeString(track(htmlUnescape(p[2]))) + p[3]
	})
}

// rewriteTextLinks tracks the URLs in a text part, leaving the sentence
// around them as it is: "See https://example.com/p." tracks
// https://example.com/p.
func rewriteTextLinks(text string, track func(string) string) string {
	return textURLRE.ReplaceAllStringFunc(text, func(m string) string {
		url, rest := splitTrailing(m)
		if strings.HasSuffix(url, "://") {
			return m // no host: not a link
		}
		return track(url) + rest
	})
}

// A text part is rendered before its links are found, so a URL that came
// in through data (a contact whose name is "https://evil.example/login")
// looks like one the template wrote. Only URLs on a host the template names
// itself, or the content's own URL, are tracked; any other stays as it is,
// never a signed link on ripen's domain. (The HTML part needs no such
// check: html/template escapes data, so it cannot open an href.)
var urlHostRE = regexp.MustCompile(`(?i)https?://([^/\s<>"'{}?#]+)`)

// linkHosts lists the hosts of the URLs written in a template's source and
// of the content's URL, in lower case.
func linkHosts(src, contentURL string) map[string]bool {
	hosts := map[string]bool{}
	for _, s := range []string{src, contentURL} {
		for _, m := range urlHostRE.FindAllStringSubmatch(s, -1) {
			hosts[strings.ToLower(m[1])] = true
		}
	}
	return hosts
}

// trackOnlyHosts tracks a URL only on one of hosts.
func trackOnlyHosts(hosts map[string]bool, track func(string) string) func(string) string {
	return func(u string) string {
		m := urlHostRE.FindStringSubmatch(u)
		if m == nil || !hosts[strings.ToLower(m[1])] {
			return u
		}
		return track(u)
	}
}

// splitTrailing splits what ends a sentence off a URL found in text:
// trailing . , ; : ! ? and a ")" that closes no "(" of the URL, as in
// "(see https://example.com/p)"; https://en.wikipedia.org/wiki/Go_(game)
// keeps its own.
func splitTrailing(s string) (url, rest string) {
	end := len(s)
	for end > 0 {
		c := s[end-1]
		switch {
		case strings.IndexByte(".,;:!?", c) >= 0:
		case c == ')' && strings.Count(s[:end], ")") > strings.Count(s[:end], "("):
		default:
			return s[:end], s[end:]
		}
		end--
	}
	return "", s
}

// htmlUnescape undoes the escaping html/template applied to a URL
// attribute, so the token carries the real target.
func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#39;", "'", "&quot;", `"`).Replace(s)
}

// bodyTagRE finds where an HTML document's visible part begins.
var bodyTagRE = regexp.MustCompile(`(?i)<body(\s[^>]*)?>`)

// withTrap puts the hidden link first in the email, before any link a
// scanner following them in order would fetch: an anchor without text (so
// nothing shows or can be clicked even where display:none is ignored),
// hidden from screen readers and the tab order. It is not in the text
// part, where it could not be hidden.
func withTrap(html, trapURL string) string {
	if trapURL == "" {
		return html
	}
	trap := `<div style="display:none;max-height:0;overflow:hidden;mso-hide:all" aria-hidden="true"><a href="` +
		htmltemplate.HTMLEscapeString(trapURL) + `" tabindex="-1"></a></div>`
	if loc := bodyTagRE.FindStringIndex(html); loc != nil {
		return html[:loc[1]] + trap + html[loc[1]:]
	}
	return trap + html
}

// headerText makes s fit for a mail header (a subject, a display name): a
// line break or tab becomes a space, other control characters and bidi
// controls go, and spaces collapse. A name holding "\r\nBcc: x@y" must not
// start a header of its own, and one holding a right-to-left override must
// not make the subject or sender read differently from what it is.
func headerText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\r' || r == '\n' || r == '\t' || r == '\v' || r == '\f' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			return -1
		}
		return r
	}, s)
	var b strings.Builder
	gap := false
	for _, r := range s {
		if r == ' ' {
			gap = b.Len() > 0
			continue
		}
		if gap {
			b.WriteByte(' ')
			gap = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func htmlFooter(d EmailData) string {
	var b strings.Builder
	b.WriteString(`<hr><p style="font-size:13px">`)
	for i, f := range d.Links.FastLane {
		if i > 0 {
			b.WriteString(" · ")
		}
		fmt.Fprintf(&b, `<a href="%s">%s</a>`, htmltemplate.HTMLEscapeString(f.URL), htmltemplate.HTMLEscapeString(f.Label))
	}
	unsub := i18n.T(i18n.ForLocale(d.Contact.Locale), "email.unsubscribe")
	fmt.Fprintf(&b, `</p><p style="font-size:11px;color:#666"><a href="%s">%s</a></p>`, htmltemplate.HTMLEscapeString(d.Links.Unsubscribe), unsub)
	return b.String()
}

func textFooter(d EmailData) string {
	var b strings.Builder
	b.WriteString("\n\n--\n")
	for _, f := range d.Links.FastLane {
		fmt.Fprintf(&b, "%s: %s\n", f.Label, f.URL)
	}
	unsub := i18n.T(i18n.ForLocale(d.Contact.Locale), "email.unsubscribe")
	fmt.Fprintf(&b, "%s: %s\n", unsub, d.Links.Unsubscribe)
	return b.String()
}

// Preview is a content block's email as one contact would get it, for a
// person to look at before it goes (the console's preview and test send).
type Preview struct {
	Subject, HTML, Text string
	// Variant names the email chosen, as the outbox notes it:
	// store.VariantBase, "persona/locale", "persona" or "locale".
	Variant string
	// TemplateID is set when the email is a SendGrid dynamic template:
	// SendGrid renders it, so there is no body to show.
	TemplateID string
}

// PreviewEmail renders c's email for a contact of persona with the same
// code SendContent uses: the variant chosen as store.Content.EmailFor
// chooses it for persona and data.Contact.Locale, then the templates and
// the footer. Unlike a send it signs no link: links stay as the content
// has them, there is no hidden trap link, and the footer's unsubscribe
// link is data.Links.Unsubscribe as given. data.Content is filled from c.
func PreviewEmail(c store.Content, persona string, data EmailData) (Preview, error) {
	var p Preview
	c.Email, p.Variant = c.EmailFor(persona, data.Contact.Locale)
	data.Content = ContentData{ID: c.ID, Title: c.Title, Topic: c.Topic, Stage: c.Stage, URL: c.URL}
	data.Links.Trap = ""
	if c.Email.TemplateID != "" {
		p.TemplateID = c.Email.TemplateID
		return p, nil
	}
	r, err := renderContent(c, data, func(url string) string { return url })
	if err != nil {
		return p, err
	}
	p.Subject, p.HTML, p.Text = r.Subject, r.HTML, r.Text
	return p, nil
}

// HeaderText makes s fit for a mail header, as every email of a run is
// made fit: see headerText.
func HeaderText(s string) string { return headerText(s) }
