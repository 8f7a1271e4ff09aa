package activities_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// recorder keeps every message handed to SendGrid, as the activity built
// it, before the client encodes it.
type recorder struct {
	real activities.Mailer
	mu   sync.Mutex
	msgs []sendgrid.Message
}

func (r *recorder) Send(ctx context.Context, msg sendgrid.Message) (string, error) {
	r.mu.Lock()
	r.msgs = append(r.msgs, msg)
	r.mu.Unlock()
	return r.real.Send(ctx, msg)
}

func (f *fixture) recordMail() *recorder {
	r := &recorder{real: f.acts.Mail}
	f.acts.Mail = r
	return r
}

// headerSafe: nothing in s could end a mail header or turn its text around.
func headerSafe(t *testing.T, what, s string) {
	t.Helper()
	require.NotRegexp(t, "[\r\n\t\u0085\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\x00-\x1f\x7f]", s, "%s: %q", what, s)
}

func TestNamesCannotAddHeadersOrTurnTextAround(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cust, err := f.st.GetCustomer(ctx, "acme")
	require.NoError(t, err)
	cust.Name = "Acme\u2028GmbH"
	cust.Contacts[0].FirstName = "Max\r\nBcc: x@y.example"
	cust.Contacts[0].LastName = "Muster\t\u202egnp.exe\u202c"
	require.NoError(t, f.st.PutCustomer(ctx, cust))
	// The store now refuses such an owner name; one stored before it did
	// must not get through either.
	_, err = f.st.Pool().Exec(ctx, `UPDATE owners SET name = $1 WHERE id = 'rep-eva'`, "Eva\r\nBcc: x@y.example")
	require.NoError(t, err)
	f.acts.Config.From.Name = "Seller\nReply-To: x@y.example"
	mail := f.recordMail()

	_, err = f.acts.SendContent(ctx, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	require.NoError(t, f.acts.NotifyOwner(ctx, workflows.NotifyRequest{HandoffID: f.recordHandoff(workflows.Evidence{})}))

	require.Len(t, mail.msgs, 2)
	content, handoff := mail.msgs[0], mail.msgs[1]
	for _, m := range mail.msgs {
		headerSafe(t, "subject", m.Subject)
		headerSafe(t, "from name", m.From.Name)
		headerSafe(t, "to name", m.To.Name)
		if m.ReplyTo != nil {
			headerSafe(t, "reply-to name", m.ReplyTo.Name)
		}
	}
	require.Equal(t, "Max Bcc: x@y.example, 12 steps for Acme GmbH", content.Subject, "the text stays, on one line")
	require.Equal(t, "Max Bcc: x@y.example Muster gnp.exe", content.To.Name)
	require.Equal(t, "Eva Bcc: x@y.example via Seller Reply-To: x@y.example", content.From.Name, "in the owner's name")
	require.Equal(t, "Eva Bcc: x@y.example", content.ReplyTo.Name)
	require.Equal(t, "Seller Reply-To: x@y.example", handoff.From.Name)
	require.Equal(t, "Eva Bcc: x@y.example", handoff.To.Name)
	for i, m := range f.sg.Messages() {
		require.Equal(t, 1, len(m.To), "one recipient")
		require.Empty(t, m.CC)
		require.Empty(t, m.BCC)
		require.Equal(t, []string{"eva@seller.example", ""}[i], m.ReplyTo, "replies to the content email reach the owner")
	}
}

var hiddenLinkRE = regexp.MustCompile(`<div style="display:none[^"]*" aria-hidden="true"><a href="https://ripen\.example/r/([A-Za-z0-9_-]+)" tabindex="-1"></a></div>`)

func TestEveryEmailHidesALinkOnlyMachinesFollow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.st.PutContent(ctx, store.Content{ID: "document", Title: "A whole document", Topic: "t", Stage: "awareness",
		URL: "https://example.com/doc", Email: store.ContentEmail{Subject: "Doc",
			HTML: `<html><head><title>x</title></head><BODY class="x"><p><a href="{{.Content.URL}}">read</a></p></BODY></html>`, Text: "Read {{.Content.URL}}"}}))
	_, err := f.acts.SendContent(ctx, sendReq("checklist", "checklist", 1))
	require.NoError(t, err)
	_, err = f.acts.SendContent(ctx, sendReq("document", "document", 1))
	require.NoError(t, err)
	msgs := f.sg.Messages()
	require.Len(t, msgs, 2)

	for i, m := range msgs {
		hidden := hiddenLinkRE.FindStringSubmatchIndex(m.HTML)
		require.NotNil(t, hidden, "a hidden link in %s", m.HTML)
		hiddenAnchor := strings.Index(m.HTML[hidden[0]:], "<a ") + hidden[0]
		require.Equal(t, hiddenAnchor, strings.Index(m.HTML, "<a "), "the hidden link comes before every other link")
		c, err := f.acts.Links.Verify(m.HTML[hidden[2]:hidden[3]], f.now)
		require.NoError(t, err)
		require.Equal(t, linktoken.KindTrap, c.Kind, "a link of its own kind, behind /r/ like the others")
		require.Equal(t, "ripen/j/acme", c.RunID)
		require.Equal(t, "acme-max", c.ContactID)
		require.Equal(t, []string{"checklist", "document"}[i], c.Step)
		require.Equal(t, []string{"https://example.com/checklist?utm=a&b=c", "https://example.com/doc"}[i], c.Target, "it leads to the content, should anyone follow it")
		require.NotContains(t, m.Text, m.HTML[hidden[2]:hidden[3]], "the text part has no hidden link")
	}
	require.True(t, strings.HasPrefix(msgs[1].HTML, `<html><head><title>x</title></head><BODY class="x"><div style="display:none`), "inside the body of a whole document: %s", msgs[1].HTML)

	// Content without a URL of its own still hides a link, leading nowhere.
	require.NoError(t, f.st.PutContent(ctx, store.Content{ID: "nourl", Title: "No URL", Topic: "t", Stage: "awareness",
		Email: store.ContentEmail{Subject: "News", HTML: `<p>Just news, and <a href="https://example.com/x">a link</a></p>`}}))
	_, err = f.acts.SendContent(ctx, sendReq("nourl", "nourl", 1))
	require.NoError(t, err)
	hidden := hiddenLinkRE.FindStringSubmatch(f.sg.Messages()[2].HTML)
	require.NotNil(t, hidden, f.sg.Messages()[2].HTML)
	c, err := f.acts.Links.Verify(hidden[1], f.now)
	require.NoError(t, err)
	require.Equal(t, linktoken.KindTrap, c.Kind)
	require.Empty(t, c.Target)
}
