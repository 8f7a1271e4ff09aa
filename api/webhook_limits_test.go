package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/engagement"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/store/storetest"
)

// readCounter is a request body that counts the bytes read from it.
type readCounter struct {
	r    io.Reader
	read atomic.Int64
}

func (c *readCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// webhookServer is an API whose webhook trusts signer, with no store: a
// post that gets past verification and parsing would need one.
func webhookServer(t *testing.T, signer *sendgrid.Signer) *Server {
	t.Helper()
	return New(UseCases{Engagement: engagement.New(nil, nil, nil, engagement.Config{}, zerolog.Nop(), nil)},
		Config{WebhookKey: signer.PublicKeyBase64()}, zerolog.Nop(), nil)
}

// postTo posts body to s's webhook with the signature headers sig and ts
// ("" leaves one out) and reports the answer and how much of body was read.
func postTo(s *Server, body []byte, sig, ts string) (*httptest.ResponseRecorder, int64) {
	c := &readCounter{r: bytes.NewReader(body)}
	r := httptest.NewRequest("POST", "/webhooks/sendgrid", c)
	r.ContentLength = int64(len(body))
	r.RemoteAddr = "192.0.2.1:4000"
	if sig != "" {
		r.Header.Set(sendgrid.SignatureHeader, sig)
	}
	if ts != "" {
		r.Header.Set(sendgrid.TimestampHeader, ts)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w, c.read.Load()
}

func signAt(t *testing.T, signer *sendgrid.Signer, at time.Time, body []byte) (sig, ts string) {
	t.Helper()
	ts = strconv.FormatInt(at.Unix(), 10)
	sig, err := signer.Sign(ts, body)
	require.NoError(t, err)
	return sig, ts
}

// Anyone may post to the webhook: a post without the signature headers, or
// signed outside the replay window, is refused before a byte of its body is
// read.
func TestWebhookRefusesUnsignedAndStalePostsUnread(t *testing.T) {
	signer, err := sendgrid.NewSigner()
	require.NoError(t, err)
	s := webhookServer(t, signer)
	body := []byte(`[{"email":"max@acme.example","event":"spamreport","sg_event_id":"e1","timestamp":1700000000}]`)
	sig, ts := signAt(t, signer, time.Now(), body)
	staleSig, staleTS := signAt(t, signer, time.Now().Add(-engagement.WebhookReplayWindow-time.Hour), body)
	futureSig, futureTS := signAt(t, signer, time.Now().Add(engagement.WebhookReplayWindow+time.Hour), body)

	for name, h := range map[string][2]string{
		"without headers":                 {"", ""},
		"without a timestamp":             {sig, ""},
		"without a signature":             {"", ts},
		"signed before the replay window": {staleSig, staleTS},
		"signed past the replay window":   {futureSig, futureTS},
		"with a garbled signature":        {"not base64!", ts},
	} {
		t.Run(name, func(t *testing.T) {
			w, read := postTo(s, body, h[0], h[1])
			require.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
			require.Zero(t, read, "the body was read")
			require.Equal(t, "close", w.Header().Get("Connection"), "the connection goes, with the unread body")
		})
	}
	malformed := []byte(`{"not": "a batch"}`)
	sig, ts = signAt(t, signer, time.Now(), malformed)
	w, read := postTo(s, malformed, sig, ts)
	require.Equal(t, http.StatusBadRequest, w.Code, "a signed post is read, verified and parsed: %s", w.Body.String())
	require.Equal(t, int64(len(malformed)), read)
}

// A stranger's post that never sends its body is refused at once, over a
// real connection: the server waits on no body it will not use.
func TestWebhookRefusesAStalledUnsignedPostAtOnce(t *testing.T) {
	signer, err := sendgrid.NewSigner()
	require.NoError(t, err)
	srv := httptest.NewServer(webhookServer(t, signer).Handler())
	t.Cleanup(srv.Close)
	body, stall := io.Pipe()
	t.Cleanup(func() { _ = stall.Close() })
	req, err := http.NewRequest("POST", srv.URL+"/webhooks/sendgrid", body)
	require.NoError(t, err)
	req.Header.Set(sendgrid.TimestampHeader, strconv.FormatInt(time.Now().Unix(), 10))
	// The guard against a hang, not a measure: the answer needs no body.
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// A signed body larger than SendGrid ever sends is 413: read no further
// than the bound, or not at all when its length says so up front.
func TestWebhookRefusesOversizedBodies(t *testing.T) {
	signer, err := sendgrid.NewSigner()
	require.NoError(t, err)
	s := webhookServer(t, signer)
	big := append([]byte("["), bytes.Repeat([]byte(" "), sendgrid.MaxBatchBytes)...)
	big = append(big, ']')
	sig, ts := signAt(t, signer, time.Now(), big)

	w, read := postTo(s, big, sig, ts)
	require.Equal(t, http.StatusRequestEntityTooLarge, w.Code, w.Body.String())
	require.Zero(t, read, "the declared length was enough")

	c := &readCounter{r: bytes.NewReader(big)}
	r := httptest.NewRequest("POST", "/webhooks/sendgrid", c)
	r.ContentLength = -1 // chunked: the size shows only while reading
	r.Header.Set(sendgrid.SignatureHeader, sig)
	r.Header.Set(sendgrid.TimestampHeader, ts)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, r)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())
	require.LessOrEqual(t, c.read.Load(), int64(sendgrid.MaxBatchBytes)+64<<10, "read about as far as the bound")
}

// With every slot taken by posts in progress, another is told at once to
// come back (503 with Retry-After, which SendGrid retries), unread; a freed
// slot takes posts again.
func TestWebhookCapsConcurrentPosts(t *testing.T) {
	signer, err := sendgrid.NewSigner()
	require.NoError(t, err)
	s := webhookServer(t, signer)
	var held []func()
	for {
		release, ok := s.guard.takeWebhookSlot()
		if !ok {
			break
		}
		held = append(held, release)
	}
	require.Len(t, held, webhookConcurrency)

	body := []byte(`{"not": "a batch"}`)
	sig, ts := signAt(t, signer, time.Now(), body)
	w, read := postTo(s, body, sig, ts)
	require.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
	secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
	require.NoError(t, err)
	require.Positive(t, secs)
	require.Zero(t, read)

	// Unsigned posts are refused before they queue for a slot.
	w, _ = postTo(s, body, "", "")
	require.Equal(t, http.StatusUnauthorized, w.Code)

	held[0]()
	w, _ = postTo(s, body, sig, ts)
	require.Equal(t, http.StatusBadRequest, w.Code, "read, verified and parsed: %s", w.Body.String())
	w, _ = postTo(s, body, sig, ts)
	require.Equal(t, http.StatusBadRequest, w.Code, "the slot is given back after each post")
}

// A batch that fails names no address in the log: the error of a store
// that refused to suppress an address would.
func TestWebhookFailuresLogNoAddress(t *testing.T) {
	st := storetest.NewDB(t)
	_, err := st.Pool().Exec(t.Context(), `
CREATE FUNCTION refuse_suppressions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'disk full'; END $$;
CREATE TRIGGER refuse_suppressions BEFORE INSERT ON suppressions FOR EACH ROW EXECUTE FUNCTION refuse_suppressions();`)
	require.NoError(t, err)
	signer, err := sendgrid.NewSigner()
	require.NoError(t, err)
	var logged bytes.Buffer
	log := zerolog.New(&logged)
	s := New(UseCases{Store: st, Engagement: engagement.New(st, nil, nil, engagement.Config{}, log, nil)},
		Config{WebhookKey: signer.PublicKeyBase64()}, log, nil)

	body, err := json.Marshal([]map[string]any{{"email": "max@acme.example", "event": "spamreport", "sg_event_id": "e1", "timestamp": time.Now().Unix()}})
	require.NoError(t, err)
	sig, ts := signAt(t, signer, time.Now(), body)
	w, _ := postTo(s, body, sig, ts)
	require.Equal(t, http.StatusInternalServerError, w.Code, w.Body.String())
	require.Contains(t, logged.String(), "sendgrid webhook batch failed")
	require.Contains(t, logged.String(), "disk full", "the cause is still there")
	require.False(t, strings.Contains(logged.String()+w.Body.String(), "max@acme.example"), "an address in the log or answer: %s", logged.String())
}
