// Package sendgriddev is a local SendGrid-compatible server for development
// and tests: it answers the v3 Mail Send API like SendGrid (202 with
// X-Message-Id, 400 and 401 with SendGrid's error shape), keeps the accepted
// messages in memory with an inbox page and a JSON API, and posts signed
// Event Webhook events (delivered on its own; open, click, bounce, … on
// request) to a configured URL, so the real sendgrid-go client and webhook
// verification run end to end without SendGrid. A simulated click also opens
// the clicked link when it is on the webhook's host (the app under test), as
// the recipient's browser would after SendGrid's click-tracking redirect.
//
// Like package sendgrid it knows nothing of journeys, Temporal or Postgres.
// It is not for production: it sends no mail, and keeps the inbox in memory
// and, if asked to (Options.InboxFile), in a file across restarts.
package sendgriddev

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/rs/zerolog"

	"github.com/ripen/ripen/sendgrid"
)

// DefaultMaxMessages is how many messages a Server keeps by default.
const DefaultMaxMessages = 10_000

// DefaultHang is how long a hanging fault holds a request when Faults.Hang
// is zero.
const DefaultHang = 30 * time.Second

// maxMailBody is SendGrid's limit on a mail send request.
const maxMailBody = 30 << 20

// Options configure a Server.
type Options struct {
	// APIKey, if set, must be the Bearer token of every mail send; a missing
	// or wrong one gets 401 like SendGrid. Empty accepts any key.
	APIKey string
	// WebhookURL, if set, receives signed Event Webhook posts.
	WebhookURL string
	// Signer signs the webhook posts; nil generates a fresh key.
	Signer *sendgrid.Signer
	// Log receives the server's logs; the zero Logger discards them.
	Log zerolog.Logger
	// MaxMessages bounds the messages kept (oldest go first);
	// zero means DefaultMaxMessages.
	MaxMessages int
	// WebhookTimeout bounds one webhook post; zero means 10s.
	WebhookTimeout time.Duration
	// DeliveredDelay is how long after accepting a message its delivered
	// event is posted, as real delivery takes a moment: it lets the sender
	// record the X-Message-Id first. Zero means DefaultDeliveredDelay;
	// negative posts at once.
	DeliveredDelay time.Duration
	// InboxFile, if set, keeps the inbox across restarts. New reads the
	// messages and their events from it (a missing file is an empty inbox,
	// one it cannot read an error; only the newest MaxMessages are kept)
	// and posts the delivered events the last server did not get to post.
	// Changes are written to it soon after they happen, a burst of them at
	// once, and at Close; each write replaces the whole file at once (a
	// temporary file renamed over it). Its directory is created if needed.
	// Empty keeps the inbox in memory only.
	InboxFile string
}

// DefaultDeliveredDelay is the default Options.DeliveredDelay.
const DefaultDeliveredDelay = 250 * time.Millisecond

// Faults make the mail send fail on purpose, for fault tests: each request
// draws once, and answers 429 with probability Rate429, 500 with Rate500, or
// hangs for Hang with RateHang. The rates are in [0, 1] and add up to at
// most 1. A 429 asks the client to wait RetryAfter (in X-RateLimit-Reset, as
// SendGrid does).
//
// A hung request that the client gives up on (a timeout) is dropped, not
// stored; one the client still waits for is then accepted normally.
type Faults struct {
	Rate429  float64
	Rate500  float64
	RateHang float64
	// Hang is how long a hanging request is held; zero means DefaultHang.
	Hang time.Duration
	// RetryAfter is how long a 429 asks the client to wait; zero means one
	// second.
	RetryAfter time.Duration
}

func (f Faults) validate() error {
	for _, r := range []float64{f.Rate429, f.Rate500, f.RateHang} {
		if !(r >= 0 && r <= 1) {
			return fmt.Errorf("fault rates must be between 0 and 1")
		}
	}
	if f.Rate429+f.Rate500+f.RateHang > 1+1e-9 {
		return fmt.Errorf("fault rates must add up to at most 1")
	}
	if f.Hang < 0 {
		return fmt.Errorf("hang must not be negative")
	}
	if f.RetryAfter < 0 {
		return fmt.Errorf("retry_after must not be negative")
	}
	return nil
}

// Server is the local SendGrid-compatible server. Build it with New, serve
// Handler (or call ListenAndServe), and Close it to stop its webhook posts.
type Server struct {
	opts    Options
	signer  *sendgrid.Signer
	log     zerolog.Logger
	store   *store
	handler http.Handler
	webhook *http.Client
	browser *http.Client // opens clicked links; follows no redirect

	faultsMu sync.Mutex
	faults   Faults

	ctx       context.Context // canceled by Close
	cancel    context.CancelFunc
	queue     chan delivery
	wg        sync.WaitGroup
	closeOnce sync.Once

	dirty  chan struct{} // the inbox changed since the file was written
	saveMu sync.Mutex
}

// New returns a Server. If opts.WebhookURL is set, it starts the goroutine
// that posts events, and if opts.InboxFile is set, the one that writes it;
// Close stops them.
func New(opts Options) (*Server, error) {
	var saved []stored
	if opts.InboxFile != "" {
		if err := os.MkdirAll(filepath.Dir(opts.InboxFile), 0o700); err != nil {
			return nil, fmt.Errorf("sendgrid-dev: inbox file: %w", err)
		}
		var err error
		if saved, err = readInbox(opts.InboxFile); err != nil {
			return nil, err
		}
	}
	signer := opts.Signer
	if signer == nil {
		var err error
		if signer, err = sendgrid.NewSigner(); err != nil {
			return nil, err
		}
	}
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = DefaultMaxMessages
	}
	switch {
	case opts.DeliveredDelay == 0:
		opts.DeliveredDelay = DefaultDeliveredDelay
	case opts.DeliveredDelay < 0:
		opts.DeliveredDelay = 0
	}
	if opts.WebhookTimeout <= 0 {
		opts.WebhookTimeout = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:    opts,
		signer:  signer,
		log:     opts.Log.With().Str("component", "sendgrid-dev").Logger(),
		store:   newStore(opts.MaxMessages),
		webhook: &http.Client{Timeout: opts.WebhookTimeout},
		browser: &http.Client{
			Timeout:       opts.WebhookTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		ctx:    ctx,
		cancel: cancel,
		queue:  make(chan delivery, 1024),
	}
	s.handler = s.routes()
	if opts.InboxFile != "" {
		s.store.load(saved)
		s.dirty = make(chan struct{}, 1)
		s.store.changed = s.inboxChanged
		s.wg.Add(1)
		go s.saveLoop()
		s.resumeEvents()
	}
	if opts.WebhookURL != "" {
		s.wg.Add(1)
		go s.deliverLoop()
	}
	return s, nil
}

// Handler serves the SendGrid API, the inbox and the dev API.
func (s *Server) Handler() http.Handler { return s.handler }

// PublicKeyBase64 is the key that verifies this server's webhook posts, as
// SendGrid shows it (configure it as the webhook verification key).
func (s *Server) PublicKeyBase64() string { return s.signer.PublicKeyBase64() }

// Messages returns the kept messages, oldest first.
func (s *Server) Messages() []Message { return s.store.list() }

// Message returns one kept message by its X-Message-Id.
func (s *Server) Message(id string) (Message, bool) {
	m, _, ok := s.store.get(id)
	return m, ok
}

// Reset forgets every message.
func (s *Server) Reset() { s.store.clear() }

// SetFaults replaces the fault rates; the zero Faults turns them off.
// Invalid rates are an error and change nothing.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.faultsMu.Lock()
	s.faults = f
	s.faultsMu.Unlock()
	return nil
}

// Faults returns the current fault rates.
func (s *Server) Faults() Faults {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	return s.faults
}

// Close stops posting webhook events and waits for the poster to finish;
// events not yet posted are dropped (with an inbox file, the next server
// posts them). With an inbox file, Close writes it a last time, and later
// changes are written at once. The handler keeps working. Close is safe to
// call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.wg.Wait()
	})
	return nil
}

// ListenAndServe serves Handler on addr (e.g. 127.0.0.1:8025) until ctx is
// canceled, then shuts down gracefully. It does not Close the Server.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sendgrid-dev: listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is ListenAndServe on a listener the caller opened; it closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		// Requests end with ctx, so hanging faults do not hold up shutdown.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(shutdownCtx); err != nil {
			s.log.Warn().Err(err).Msg("shutdown")
		}
	}()
	s.log.Info().Str("addr", ln.Addr().String()).Str("webhook_url", s.opts.WebhookURL).
		Str("webhook_public_key", s.PublicKeyBase64()).Msg("local SendGrid server listening")
	err := hs.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-stopped
		return nil
	}
	return fmt.Errorf("sendgrid-dev: serve: %w", err)
}

func (s *Server) routes() http.Handler {
	r := mux.NewRouter()
	r.HandleFunc("/v3/mail/send", s.handleMailSend).Methods(http.MethodPost)
	r.HandleFunc("/api/messages", s.handleListMessages).Methods(http.MethodGet)
	r.HandleFunc("/api/messages", s.handleClearMessages).Methods(http.MethodDelete)
	r.HandleFunc("/api/messages/{id}", s.handleGetMessage).Methods(http.MethodGet)
	r.HandleFunc("/api/messages/{id}/events", s.handleMessageEvent).Methods(http.MethodPost)
	r.HandleFunc("/api/faults", s.handleGetFaults).Methods(http.MethodGet)
	r.HandleFunc("/api/faults", s.handleSetFaults).Methods(http.MethodPost, http.MethodPut)
	r.HandleFunc("/messages/{id}/html", s.handleMessageHTML).Methods(http.MethodGet)
	r.HandleFunc("/clear", s.handleClearForm).Methods(http.MethodPost)
	r.HandleFunc("/", s.handleInbox).Methods(http.MethodGet)
	return sameOriginOnly(r)
}

// sameOriginOnly refuses browser POSTs from other sites (CSRF against a
// developer's localhost); clients that send no Origin pass.
func sameOriginOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if origin := r.Header.Get("Origin"); origin != "" && origin != "null" {
				if !sameHost(origin, r.Host) {
					writeErrors(w, http.StatusForbidden, apiError{Message: "cross-origin request refused"})
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// randomID returns n random bytes as unpadded base64url, like SendGrid's
// message and event IDs.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return base64.RawURLEncoding.EncodeToString(b)
}
