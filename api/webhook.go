package api

// SendGrid's signed Event Webhook: verified here, processed by package
// engagement.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ripen/ripen/engagement"
	"github.com/ripen/ripen/sendgrid"
)

const (
	// webhookWorkTimeout bounds processing one batch; it continues when
	// SendGrid hangs up, since everything it does is safe to repeat.
	webhookWorkTimeout = 2 * time.Minute
)

// webhookVerifier parses the configured key once (a P-256 parse per post
// would be wasted work) and keeps it on the server.
func (s *Server) webhookVerifier() (*sendgrid.Verifier, error) {
	s.verifierOnce.Do(func() {
		key := strings.TrimSpace(s.cfg.WebhookKey)
		if key == "" {
			s.verifierErr = errors.New("SENDGRID_WEBHOOK_VERIFICATION_KEY is not set")
			return
		}
		s.verifier, s.verifierErr = sendgrid.NewVerifier(key, engagement.WebhookReplayWindow)
	})
	return s.verifier, s.verifierErr
}

// sendgridWebhook takes one signed batch of events. The route is open to
// anyone, so it does as little as it can for a stranger: it refuses a post
// whose signature headers are missing, garbled or stale before reading a
// byte of its body, works on at most webhookConcurrency posts at once
// (503 over that, which SendGrid retries), reads at most
// sendgrid.MaxBatchBytes, and verifies the signature over the raw body
// before parsing it. Then it has every event processed
// (engagement.Service.SendGridEvents) and answers 2xx only once all of it
// is stored and signalled; any failure answers 500, so SendGrid posts the
// batch again.
func (s *Server) sendgridWebhook(w http.ResponseWriter, r *http.Request) {
	v, err := s.webhookVerifier()
	if err != nil {
		requestLog(r, s.log).Error().Err(err).Msg("sendgrid webhook cannot verify posts")
		refuseUnread(w)
		s.problem(w, r, http.StatusServiceUnavailable, "the Event Webhook verification key is not configured correctly", nil)
		return
	}
	sig, ts := r.Header.Get(sendgrid.SignatureHeader), r.Header.Get(sendgrid.TimestampHeader)
	if err := v.CheckHeaders(sig, ts, s.now()); err != nil {
		refuseUnread(w)
		s.refuseWebhook(w, r, err)
		return
	}
	release, ok := s.guard.takeWebhookSlot()
	if !ok {
		refuseUnread(w)
		w.Header().Set("Retry-After", strconv.Itoa(int(webhookRetryAfter.Seconds())))
		s.problem(w, r, http.StatusServiceUnavailable, "too many Event Webhook posts at once; post this batch again later", nil)
		return
	}
	defer release()
	if r.ContentLength > sendgrid.MaxBatchBytes {
		refuseUnread(w)
		s.problem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", sendgrid.MaxBatchBytes), nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, sendgrid.MaxBatchBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.problem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit), nil)
			return
		}
		s.problem(w, r, http.StatusBadRequest, "the body could not be read", nil)
		return
	}
	if err := v.Verify(sig, ts, body, s.now()); err != nil {
		s.refuseWebhook(w, r, err)
		return
	}
	events, err := sendgrid.ParseEvents(body)
	if err != nil {
		s.engagement.CountWebhookBatch("malformed")
		s.problem(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), webhookWorkTimeout)
	defer cancel()
	answer, err := s.engagement.SendGridEvents(ctx, events)
	if err != nil {
		// The events' addresses may be in the error (a store error names
		// the record); the log names no one.
		requestLog(r, s.log).Error().Str("error", sendgrid.RedactAddresses(err.Error())).Int("events", len(events)).
			Msg("sendgrid webhook batch failed; SendGrid will retry")
		s.problem(w, r, http.StatusInternalServerError, "the batch could not be stored; post it again", nil)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// refuseWebhook answers a post whose signature does not hold with 401.
func (s *Server) refuseWebhook(w http.ResponseWriter, r *http.Request, err error) {
	s.engagement.CountWebhookBatch("unauthorized")
	requestLog(r, s.log).Warn().Err(err).Msg("sendgrid webhook post refused")
	s.problem(w, r, http.StatusUnauthorized, "the Event Webhook signature is missing, stale or does not verify", nil)
}

// refuseUnread closes the connection after an answer given without
// reading the body: net/http would otherwise read up to 256 KiB of it
// first, waiting on a client that may never send it.
func refuseUnread(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
}
