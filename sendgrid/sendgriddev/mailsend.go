package sendgriddev

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiError is one entry of SendGrid's {"errors": [...]} answer.
type apiError struct {
	Message string  `json:"message"`
	Field   *string `json:"field"`
	Help    *string `json:"help"`
}

func fieldError(field, message string) apiError {
	return apiError{Message: message, Field: &field}
}

func writeErrors(w http.ResponseWriter, status int, errs ...apiError) {
	writeJSON(w, status, map[string][]apiError{"errors": errs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// The parts of a v3 mail send request that the server checks and keeps.
type (
	sendRequest struct {
		Personalizations []personalization `json:"personalizations"`
		From             *address          `json:"from"`
		ReplyTo          *address          `json:"reply_to"`
		Subject          string            `json:"subject"`
		Content          []content         `json:"content"`
		TemplateID       string            `json:"template_id"`
		Headers          map[string]string `json:"headers"`
		CustomArgs       map[string]string `json:"custom_args"`
		Categories       []string          `json:"categories"`
		ASM              *struct {
			GroupID int `json:"group_id"`
		} `json:"asm"`
	}
	personalization struct {
		To                  []address         `json:"to"`
		CC                  []address         `json:"cc"`
		BCC                 []address         `json:"bcc"`
		Subject             string            `json:"subject"`
		Headers             map[string]string `json:"headers"`
		CustomArgs          map[string]string `json:"custom_args"`
		DynamicTemplateData map[string]any    `json:"dynamic_template_data"`
	}
	address struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	content struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
)

// reservedHeaders may not be set through "headers", as SendGrid says.
var reservedHeaders = []string{
	"x-sg-id", "x-sg-eid", "received", "dkim-signature", "content-type",
	"content-transfer-encoding", "to", "from", "subject", "reply-to", "cc", "bcc",
}

func (s *Server) handleMailSend(w http.ResponseWriter, r *http.Request) {
	if s.opts.APIKey != "" {
		auth := r.Header.Get("Authorization")
		if auth == "" {
			writeErrors(w, http.StatusUnauthorized, apiError{Message: "authorization required"})
			return
		}
		if auth != "Bearer "+s.opts.APIKey {
			writeErrors(w, http.StatusUnauthorized, apiError{Message: "The provided authorization grant is invalid, expired, or revoked"})
			return
		}
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMailBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeErrors(w, http.StatusRequestEntityTooLarge, apiError{Message: "The request body is too large: the total size of your email must be less than 30MB."})
			return
		}
		writeErrors(w, http.StatusBadRequest, apiError{Message: "Bad Request"})
		return
	}

	if !s.injectFault(w, r) {
		return
	}

	var req sendRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeErrors(w, http.StatusBadRequest, decodeError(err))
		return
	}
	if errs := validate(req); len(errs) > 0 {
		writeErrors(w, http.StatusBadRequest, errs...)
		return
	}

	msg := s.accept(req, time.Now().UTC())
	w.Header().Set("X-Message-Id", msg.msg.MessageID)
	w.WriteHeader(http.StatusAccepted)
	s.log.Info().Str("message_id", msg.msg.MessageID).Int("recipients", len(msg.recipients)).Msg("mail accepted")
	s.enqueueDelivered(msg)
}

// injectFault draws a fault and answers it; it reports whether the request
// should go on.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	f := s.Faults()
	draw := rand.Float64()
	switch {
	case draw < f.Rate429:
		w.Header().Set("X-RateLimit-Limit", "600")
		w.Header().Set("X-RateLimit-Remaining", "0")
		wait := f.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		// Unix seconds, rounded up so the client waits at least that long.
		reset := time.Now().Add(wait)
		sec := reset.Unix()
		if reset.Nanosecond() > 0 {
			sec++
		}
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(sec, 10))
		writeErrors(w, http.StatusTooManyRequests, apiError{Message: "too many requests"})
		s.log.Debug().Msg("fault: 429")
		return false
	case draw < f.Rate429+f.Rate500:
		writeErrors(w, http.StatusInternalServerError, apiError{Message: "internal error"})
		s.log.Debug().Msg("fault: 500")
		return false
	case draw < f.Rate429+f.Rate500+f.RateHang:
		hang := f.Hang
		if hang <= 0 {
			hang = DefaultHang
		}
		s.log.Debug().Dur("hang", hang).Msg("fault: hang")
		t := time.NewTimer(hang)
		defer t.Stop()
		select {
		case <-t.C:
			if r.Context().Err() == nil {
				return true
			}
		case <-r.Context().Done():
		case <-s.ctx.Done():
		}
		// The client gave up or the server is stopping: store nothing. The
		// answer only reaches a client that is still there.
		writeErrors(w, http.StatusServiceUnavailable, apiError{Message: "service unavailable"})
		return false
	}
	return true
}

// decodeError describes a body that is not the JSON SendGrid expects.
func decodeError(err error) apiError {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fieldError(typeErr.Field, fmt.Sprintf("Invalid type. Expected: %s, given: %s.", typeErr.Type, typeErr.Value))
	}
	return apiError{Message: "Bad Request"}
}

// validate applies the essentials of SendGrid's mail send validation and
// returns every problem, with SendGrid's messages and field paths.
func validate(req sendRequest) []apiError {
	var errs []apiError
	add := func(field, msg string) { errs = append(errs, fieldError(field, msg)) }

	switch {
	case len(req.Personalizations) == 0:
		add("personalizations", "The personalizations field is required and must have at least one personalization.")
	case len(req.Personalizations) > 1000:
		add("personalizations", "The personalizations field is limited to 1000 personalizations.")
	}
	allHaveSubject := len(req.Personalizations) > 0
	for i, p := range req.Personalizations {
		if len(p.To) == 0 {
			add(fmt.Sprintf("personalizations.%d.to", i), "The to array is required for all personalization objects, and must have at least one email object with a valid email address.")
		}
		for _, list := range []struct {
			kind  string
			addrs []address
		}{{"to", p.To}, {"cc", p.CC}, {"bcc", p.BCC}} {
			for j, a := range list.addrs {
				if !validEmail(a.Email) {
					add(fmt.Sprintf("personalizations.%d.%s.%d.email", i, list.kind, j), "Does not contain a valid address.")
				}
			}
		}
		if p.Subject == "" {
			allHaveSubject = false
		}
		errs = append(errs, reservedHeaderErrors(fmt.Sprintf("personalizations.%d.headers", i), p.Headers)...)
	}

	switch {
	case req.From == nil || req.From.Email == "":
		add("from.email", `The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.  e.g. {"email" : "example@example.com"}  or {"email" : "example@example.com", "name" : "Example Recipient"}`)
	case !validEmail(req.From.Email):
		add("from.email", "The from email does not contain a valid address.")
	}
	if req.ReplyTo != nil && !validEmail(req.ReplyTo.Email) {
		add("reply_to.email", "The reply_to email does not contain a valid address.")
	}

	if req.TemplateID == "" {
		if req.Subject == "" && !allHaveSubject {
			add("subject", "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.")
		}
		if len(req.Content) == 0 {
			add("content", "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.")
		}
	}
	for i, c := range req.Content {
		if c.Type == "" {
			add(fmt.Sprintf("content.%d.type", i), "The content type cannot be blank.")
		}
		if c.Value == "" {
			add(fmt.Sprintf("content.%d.value", i), "The content value must be a string at least one character in length.")
		}
		if i > 0 && strings.EqualFold(c.Type, "text/plain") {
			add("content", "If present, text/plain content must be first, followed by text/html and then any other content.")
		}
	}

	errs = append(errs, reservedHeaderErrors("headers", req.Headers)...)
	if len(req.Categories) > 10 {
		add("categories", "Too many categories. Maximum 10.")
	}
	size := 0
	for k, v := range req.CustomArgs {
		size += len(k) + len(v)
	}
	if size > 10_000 {
		add("custom_args", "The custom_args field must be less than 10000 bytes.")
	}
	return errs
}

func reservedHeaderErrors(field string, headers map[string]string) []apiError {
	var errs []apiError
	for _, name := range slices.Sorted(maps.Keys(headers)) {
		for _, reserved := range reservedHeaders {
			if strings.EqualFold(name, reserved) {
				errs = append(errs, fieldError(field, "The following header is reserved and cannot be used: "+name))
			}
		}
	}
	return errs
}

func validEmail(s string) bool {
	if s == "" || len(s) > 320 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// accept stores a valid request and returns it.
func (s *Server) accept(req sendRequest, now time.Time) *stored {
	id := randomID(16)
	first := req.Personalizations[0]

	m := Message{
		MessageID:    id,
		From:         req.From.Email,
		FromName:     req.From.Name,
		Subject:      req.Subject,
		Headers:      merge(req.Headers, first.Headers),
		CustomArgs:   merge(req.CustomArgs, first.CustomArgs),
		Categories:   req.Categories,
		TemplateID:   req.TemplateID,
		TemplateData: first.DynamicTemplateData,
		ReceivedAt:   now,
		To:           []string{},
		Events:       []WebhookEvent{},
	}
	if first.Subject != "" {
		m.Subject = first.Subject
	}
	if m.Categories == nil {
		m.Categories = []string{}
	}
	if req.ReplyTo != nil {
		m.ReplyTo = req.ReplyTo.Email
	}
	if req.ASM != nil {
		m.ASMGroupID = req.ASM.GroupID
	}
	for _, c := range req.Content {
		switch strings.ToLower(c.Type) {
		case "text/plain":
			if m.Text == "" {
				m.Text = c.Value
			}
		case "text/html":
			if m.HTML == "" {
				m.HTML = c.Value
			}
		}
	}

	st := &stored{msg: m}
	for _, p := range req.Personalizations {
		args := merge(req.CustomArgs, p.CustomArgs)
		for _, list := range [][]address{p.To, p.CC, p.BCC} {
			for _, a := range list {
				st.recipients = append(st.recipients, recipient{
					email:       a.Email,
					sgMessageID: fmt.Sprintf("%s.filter0001.%05d.%08X.%d", id, rand.IntN(100_000), now.Unix(), len(st.recipients)),
					customArgs:  args,
				})
			}
		}
		for _, a := range p.To {
			st.msg.To = append(st.msg.To, a.Email)
		}
		for _, a := range p.CC {
			st.msg.CC = append(st.msg.CC, a.Email)
		}
		for _, a := range p.BCC {
			st.msg.BCC = append(st.msg.BCC, a.Email)
		}
	}
	s.store.add(st)
	return st
}

// merge returns base overlaid with over, never nil.
func merge(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// sameHost reports whether the Origin header names host.
func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host == host
}
