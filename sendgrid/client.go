package sendgrid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sendgrid/rest"
	sendgridgo "github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/mail"
)

// DefaultBaseURL is SendGrid's global API host.
const DefaultBaseURL = "https://api.sendgrid.com"

// DefaultTimeout bounds one mail send when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// mailSendPath is the v3 Mail Send endpoint.
const mailSendPath = "/v3/mail/send"

// Config configures a Client.
type Config struct {
	// APIKey is sent as "Authorization: Bearer <APIKey>".
	APIKey string
	// BaseURL is the API host without a path, e.g. https://api.sendgrid.com,
	// https://api.eu.sendgrid.com or http://127.0.0.1:8025 (sendgriddev).
	// Empty means DefaultBaseURL.
	BaseURL string
	// Timeout bounds one HTTP exchange with SendGrid, including reading the
	// answer. Zero means DefaultTimeout. The context passed to Send can
	// shorten it further.
	Timeout time.Duration
}

// Address is an email address with an optional display name.
type Address struct {
	Email string
	Name  string
}

// Message is one email to one recipient.
//
// Either Subject and at least one of HTML and Text are set, or TemplateID
// names a SendGrid dynamic template that is rendered with TemplateData.
type Message struct {
	From    Address
	To      Address
	ReplyTo *Address

	Subject string
	HTML    string
	Text    string

	// TemplateID is a SendGrid dynamic template ID ("d-..."); TemplateData
	// becomes the personalization's dynamic_template_data.
	TemplateID   string
	TemplateData map[string]any

	// Headers are extra MIME headers, e.g. List-Unsubscribe.
	Headers map[string]string
	// CustomArgs come back as top-level keys of every Event Webhook event
	// for this message (see Event.CustomArgs).
	CustomArgs map[string]string
	Categories []string
	// ASMGroupID is the unsubscribe group (Advanced Suppression Manager);
	// zero leaves it out.
	ASMGroupID int
}

// ErrInvalidMessage is wrapped by the error Send returns for a Message that
// cannot be sent as it is (missing sender, recipient, subject or content).
// Such errors are never retryable and SendGrid is not called.
var ErrInvalidMessage = errors.New("sendgrid: invalid message")

// Client sends mail through SendGrid's v3 Mail Send API using sendgrid-go.
//
// A Client is safe for concurrent use: every Send builds its own request,
// and the underlying http.Client (which has a timeout, unlike sendgrid-go's
// default one) is shared.
type Client struct {
	apiKey  string
	baseURL string
	rest    *rest.Client
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{
		apiKey:  cfg.APIKey,
		baseURL: base,
		rest:    &rest.Client{HTTPClient: &http.Client{Timeout: timeout}},
	}
}

// Send sends msg and returns SendGrid's message ID, the X-Message-Id header
// of its 202 answer; the Event Webhook's sg_message_id starts with it (see
// Event.MessageID).
//
// Any 2xx answer means SendGrid accepted the message, so it is never an
// error; in sandbox mode SendGrid answers 200 without an ID and messageID is
// empty. Otherwise the error is a *SendError (see IsRetryable), or wraps
// ErrInvalidMessage when msg is incomplete.
//
// A timeout is retryable, but it is ambiguous: SendGrid may have accepted the
// message before the answer was lost.
func (c *Client) Send(ctx context.Context, msg Message) (messageID string, err error) {
	v3, err := buildMail(msg)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(v3)
	if err != nil {
		return "", fmt.Errorf("%w: encode: %v", ErrInvalidMessage, err)
	}

	req := sendgridgo.GetRequest(c.apiKey, mailSendPath, c.baseURL)
	req.Method = rest.Post
	req.Body = body

	resp, err := c.rest.SendWithContext(ctx, req)
	if err != nil {
		return "", &SendError{Retryable: true, Err: err}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return http.Header(resp.Headers).Get("X-Message-Id"), nil
	}
	return "", newSendError(resp)
}

// buildMail turns msg into sendgrid-go's mail.SGMailV3.
func buildMail(msg Message) (*mail.SGMailV3, error) {
	var problems []string
	if strings.TrimSpace(msg.From.Email) == "" {
		problems = append(problems, "from email is empty")
	}
	if strings.TrimSpace(msg.To.Email) == "" {
		problems = append(problems, "to email is empty")
	}
	if msg.TemplateID == "" {
		if msg.Subject == "" {
			problems = append(problems, "subject is empty and no template is set")
		}
		if msg.HTML == "" && msg.Text == "" {
			problems = append(problems, "neither HTML nor text content and no template is set")
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidMessage, strings.Join(problems, "; "))
	}

	m := mail.NewV3Mail()
	m.SetFrom(mail.NewEmail(msg.From.Name, msg.From.Email))
	if msg.ReplyTo != nil && msg.ReplyTo.Email != "" {
		m.SetReplyTo(mail.NewEmail(msg.ReplyTo.Name, msg.ReplyTo.Email))
	}
	m.Subject = msg.Subject

	p := mail.NewPersonalization()
	p.AddTos(mail.NewEmail(msg.To.Name, msg.To.Email))
	for k, v := range msg.TemplateData {
		p.SetDynamicTemplateData(k, v)
	}
	m.AddPersonalizations(p)

	// SendGrid requires text/plain before text/html.
	if msg.Text != "" {
		m.AddContent(mail.NewContent("text/plain", msg.Text))
	}
	if msg.HTML != "" {
		m.AddContent(mail.NewContent("text/html", msg.HTML))
	}
	if msg.TemplateID != "" {
		m.SetTemplateID(msg.TemplateID)
	}
	for k, v := range msg.Headers {
		m.SetHeader(k, v)
	}
	for k, v := range msg.CustomArgs {
		m.SetCustomArg(k, v)
	}
	if len(msg.Categories) > 0 {
		m.AddCategories(msg.Categories...)
	}
	if msg.ASMGroupID > 0 {
		m.SetASM(mail.NewASM().SetGroupID(msg.ASMGroupID))
	}
	return m, nil
}
