package sendgriddev

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"
)

// inboxLimit is how many messages the inbox page shows.
const inboxLimit = 100

func (s *Server) handleListMessages(w http.ResponseWriter, r *http.Request) {
	msgs := s.store.list()
	if to := r.URL.Query().Get("to"); to != "" {
		msgs = slices.DeleteFunc(msgs, func(m Message) bool {
			return !slices.ContainsFunc(m.To, func(addr string) bool { return strings.EqualFold(addr, to) })
		})
	}
	writeJSON(w, http.StatusOK, msgs)
}

func (s *Server) handleGetMessage(w http.ResponseWriter, r *http.Request) {
	m, _, ok := s.store.get(mux.Vars(r)["id"])
	if !ok {
		writeErrors(w, http.StatusNotFound, apiError{Message: "message not found"})
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) handleClearMessages(w http.ResponseWriter, r *http.Request) {
	s.store.clear()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleClearForm(w http.ResponseWriter, r *http.Request) {
	s.store.clear()
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// faultsJSON is the wire form of Faults: rates and a Go duration string.
type faultsJSON struct {
	Rate429  float64 `json:"rate_429"`
	Rate500  float64 `json:"rate_500"`
	RateHang float64 `json:"rate_hang"`
	Hang     string  `json:"hang,omitempty"`
	// RetryAfter is how long a 429 asks to wait, a Go duration string.
	RetryAfter string `json:"retry_after,omitempty"`
}

// MarshalJSON writes {"rate_429":…, "rate_500":…, "rate_hang":…, "hang":"30s",
// "retry_after":"5s"}.
func (f Faults) MarshalJSON() ([]byte, error) {
	w := faultsJSON{Rate429: f.Rate429, Rate500: f.Rate500, RateHang: f.RateHang}
	if f.Hang != 0 {
		w.Hang = f.Hang.String()
	}
	if f.RetryAfter != 0 {
		w.RetryAfter = f.RetryAfter.String()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var w faultsJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out := Faults{Rate429: w.Rate429, Rate500: w.Rate500, RateHang: w.RateHang}
	if w.Hang != "" {
		d, err := time.ParseDuration(w.Hang)
		if err != nil {
			return fmt.Errorf("hang: %w", err)
		}
		out.Hang = d
	}
	if w.RetryAfter != "" {
		d, err := time.ParseDuration(w.RetryAfter)
		if err != nil {
			return fmt.Errorf("retry_after: %w", err)
		}
		out.RetryAfter = d
	}
	*f = out
	return nil
}

func (s *Server) handleGetFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Server) handleSetFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&f); err != nil {
		writeErrors(w, http.StatusBadRequest, apiError{Message: "Bad Request: " + err.Error()})
		return
	}
	if err := s.SetFaults(f); err != nil {
		writeErrors(w, http.StatusBadRequest, apiError{Message: err.Error()})
		return
	}
	s.log.Info().Float64("rate_429", f.Rate429).Float64("rate_500", f.Rate500).
		Float64("rate_hang", f.RateHang).Dur("hang", f.Hang).Msg("faults set")
	writeJSON(w, http.StatusOK, s.Faults())
}

// handleMessageHTML serves a message's HTML body for the inbox's sandboxed
// iframe: no scripts, no same-origin access, links open in a new tab.
func (s *Server) handleMessageHTML(w http.ResponseWriter, r *http.Request) {
	m, _, ok := s.store.get(mux.Vars(r)["id"])
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline' *; font-src *")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	body := m.HTML
	if body == "" {
		body = "<pre>" + template.HTMLEscapeString(m.Text) + "</pre>"
	}
	_, _ = fmt.Fprintf(w, "<!doctype html><base target=\"_blank\">%s", body)
}

type inboxView struct {
	Messages   []inboxMessage
	Total      int
	Shown      int
	WebhookURL string
	PublicKey  string
	Faults     Faults
}

type inboxMessage struct {
	Message
	Links      []string
	EventTypes []string
}

func (s *Server) handleInbox(w http.ResponseWriter, r *http.Request) {
	msgs := s.store.list()
	slices.Reverse(msgs) // newest first
	view := inboxView{Total: len(msgs), WebhookURL: s.opts.WebhookURL, PublicKey: s.PublicKeyBase64(), Faults: s.Faults()}
	if len(msgs) > inboxLimit {
		msgs = msgs[:inboxLimit]
	}
	view.Shown = len(msgs)
	for _, m := range msgs {
		view.Messages = append(view.Messages, inboxMessage{
			Message:    m,
			Links:      Links(m.HTML),
			EventTypes: []string{"bounce", "dropped", "deferred", "spamreport", "unsubscribe", "group_unsubscribe"},
		})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; frame-src 'self'; form-action 'self'")
	w.Header().Set("X-Frame-Options", "DENY")
	if err := inboxPage.Execute(w, view); err != nil {
		s.log.Error().Err(err).Msg("render inbox")
	}
}

var inboxPage = template.Must(template.New("inbox").Funcs(template.FuncMap{
	"join": strings.Join,
	"when": func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Inbox · sendgrid-dev</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem;color:#222}
header p{margin:.2rem 0;color:#555;font-size:.9rem}
code{word-break:break-all}
article{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:1rem}
h2{margin:.2rem 0 .5rem;font-size:1.15rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0;font-size:.9rem}
dt{font-weight:600}dd{margin:0;word-break:break-all}
iframe{width:100%;height:22rem;border:1px solid #ddd;background:#fff}
form{display:inline-block;margin:.3rem .5rem .3rem 0}
details{margin:.5rem 0}
.events{font-size:.85rem;color:#444}
</style>
</head>
<body>
<header>
<h1>Inbox</h1>
<p>{{.Total}} message(s){{if lt .Shown .Total}}, newest {{.Shown}} shown{{end}}. <a href="/">Refresh</a> · <a href="/api/messages">JSON</a></p>
<p>Event Webhook: {{if .WebhookURL}}<code>{{.WebhookURL}}</code>{{else}}not configured{{end}}</p>
<p>Verification key: <code>{{.PublicKey}}</code></p>
{{if or .Faults.Rate429 .Faults.Rate500 .Faults.RateHang}}<p><strong>Faults on:</strong> 429 {{.Faults.Rate429}}, 500 {{.Faults.Rate500}}, hang {{.Faults.RateHang}}</p>{{end}}
<form method="post" action="/clear"><button type="submit">Clear inbox</button></form>
</header>
<main>
{{range .Messages}}
<article id="m-{{.MessageID}}" aria-labelledby="s-{{.MessageID}}">
<h2 id="s-{{.MessageID}}">{{if .Subject}}{{.Subject}}{{else}}(template {{.TemplateID}}){{end}}</h2>
<dl>
<dt>To</dt><dd>{{join .To ", "}}</dd>
<dt>From</dt><dd>{{if .FromName}}{{.FromName}} &lt;{{.From}}&gt;{{else}}{{.From}}{{end}}</dd>
{{if .ReplyTo}}<dt>Reply-To</dt><dd>{{.ReplyTo}}</dd>{{end}}
<dt>Received</dt><dd>{{when .ReceivedAt}}</dd>
<dt>Message ID</dt><dd><code>{{.MessageID}}</code></dd>
{{range $k, $v := .Headers}}<dt>{{$k}}</dt><dd>{{$v}}</dd>{{end}}
{{range $k, $v := .CustomArgs}}<dt>custom_args.{{$k}}</dt><dd>{{$v}}</dd>{{end}}
{{if .Categories}}<dt>Categories</dt><dd>{{join .Categories ", "}}</dd>{{end}}
</dl>
<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" src="/messages/{{.MessageID}}/html" title="HTML body of {{.Subject}}" loading="lazy"></iframe>
{{if .Text}}<details><summary>Text version</summary><pre>{{.Text}}</pre></details>{{end}}
<div>
<form method="post" action="/api/messages/{{.MessageID}}/events">
<input type="hidden" name="type" value="open">
<button type="submit">Simulate open</button>
</form>
{{if .Links}}<form method="post" action="/api/messages/{{.MessageID}}/events">
<input type="hidden" name="type" value="click">
<label>Link <select name="url">{{range .Links}}<option>{{.}}</option>{{end}}</select></label>
<button type="submit">Simulate click</button>
</form>{{end}}
<form method="post" action="/api/messages/{{.MessageID}}/events">
<label>Event <select name="type">{{range .EventTypes}}<option>{{.}}</option>{{end}}</select></label>
<button type="submit">Simulate</button>
</form>
</div>
{{if .Events}}<ul class="events">{{range .Events}}<li>{{.Event}} for {{.Email}}{{if .URL}} ({{.URL}}){{end}}: {{if .Posted}}posted{{else if .Error}}failed: {{.Error}}{{else}}pending{{end}}</li>{{end}}</ul>{{end}}
</article>
{{else}}
<p>No messages yet. Point a SendGrid client at this server's address.</p>
{{end}}
</main>
</body>
</html>
`))
