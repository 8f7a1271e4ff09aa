package sendgrid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/rest"
)

// maxErrorBody bounds how much of SendGrid's answer a SendError keeps.
const maxErrorBody = 4 << 10

// SendError is a failed mail send: SendGrid answered with a non-2xx status,
// or the request did not complete (Status 0, Err set).
type SendError struct {
	// Status is SendGrid's HTTP status, 0 if there was no answer.
	Status int
	// Body is SendGrid's answer, truncated to a few KiB.
	Body string
	// Messages are the "message" fields of SendGrid's
	// {"errors":[{"message": ...}]} answer.
	Messages []string
	// Retryable is true for 429, 5xx, timeouts and network errors: the same
	// request may succeed later. Other 4xx are permanent.
	Retryable bool
	// RetryAfter is how long SendGrid asked to wait (429 with
	// X-RateLimit-Reset or Retry-After), zero if it did not say.
	RetryAfter time.Duration
	// Err is the transport error when Status is 0.
	Err error
}

func (e *SendError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("sendgrid: send: %v", e.Err)
	}
	detail := strings.Join(e.Messages, "; ")
	if detail == "" {
		detail = strings.TrimSpace(e.Body)
	}
	if detail == "" {
		detail = http.StatusText(e.Status)
	}
	return fmt.Sprintf("sendgrid: status %d: %s", e.Status, detail)
}

// Unwrap returns the transport error, if any.
func (e *SendError) Unwrap() error { return e.Err }

// IsRetryable reports whether err, as returned by Client.Send, may go away
// if the same send is tried again: 429, 5xx, timeouts and network errors.
// Other 4xx answers, invalid messages and nil are not retryable.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var se *SendError
	if errors.As(err, &se) {
		return se.Retryable
	}
	if errors.Is(err, ErrInvalidMessage) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// newSendError describes a non-2xx answer.
func newSendError(resp *rest.Response) *SendError {
	// SendGrid's answer may echo the recipient, and the error travels far:
	// into logs and the run's history, where no address may go.
	body := RedactAddresses(resp.Body)
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	msgs := errorMessages(resp.Body)
	for i, m := range msgs {
		msgs[i] = RedactAddresses(m)
	}
	e := &SendError{
		Status:    resp.StatusCode,
		Body:      body,
		Messages:  msgs,
		Retryable: resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500,
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = retryAfter(http.Header(resp.Headers), time.Now())
	}
	return e
}

// errorMessages extracts the messages of SendGrid's error answer.
func errorMessages(body string) []string {
	var answer struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &answer) != nil {
		return nil
	}
	var msgs []string
	for _, e := range answer.Errors {
		if e.Message != "" {
			msgs = append(msgs, e.Message)
		}
	}
	return msgs
}

// retryAfter reads SendGrid's rate-limit reset (unix seconds) or a standard
// Retry-After (seconds).
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
			if d := time.Unix(sec, 0).Sub(now); d > 0 {
				return d
			}
			return 0
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if sec, err := strconv.Atoi(v); err == nil && sec > 0 {
			return time.Duration(sec) * time.Second
		}
	}
	return 0
}

// addressPattern matches anything shaped like an email address: text
// around an "@" up to a space, quote, bracket or separator. It errs towards
// hiding too much (user@host in a URL goes too).
var addressPattern = regexp.MustCompile(`[^\s"'<>()\[\]{},;:@\\]+@[^\s"'<>()\[\]{},;:@\\]+`)

// RedactAddresses replaces every email address in s with "[address]", for
// text bound for logs and error messages, which must name no one.
func RedactAddresses(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return addressPattern.ReplaceAllString(s, "[address]")
}
