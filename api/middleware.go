package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/rs/zerolog"

	"github.com/ripen/ripen/logging"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
)

type ctxKey int

const (
	keyPrincipal ctxKey = iota
)

// Principal is the API key a request came with. OwnerID is set for a sales
// key bound to an account owner: the use cases keep it to that owner's book.
type Principal struct {
	KeyID   int64
	Role    string
	Label   string
	OwnerID string
}

// callerOf is the request's key as the use cases' rules see it.
func callerOf(r *http.Request) runs.Caller {
	p := PrincipalOf(r.Context())
	return runs.Caller{Role: p.Role, OwnerID: p.OwnerID}
}

// RequestID returns the request's ID ("" outside a request).
func RequestID(ctx context.Context) string { return logging.RequestID(ctx) }

// PrincipalOf returns the API key a request came with (zero for public
// routes).
func PrincipalOf(ctx context.Context) Principal {
	p, _ := ctx.Value(keyPrincipal).(Principal)
	return p
}

func requestLog(r *http.Request, fallback zerolog.Logger) *zerolog.Logger {
	return logOf(r.Context(), fallback)
}

// logOf returns the logger of the request ctx belongs to (it carries the
// request ID), or fallback outside a request.
func logOf(ctx context.Context, fallback zerolog.Logger) *zerolog.Logger {
	return logging.From(ctx, fallback)
}

// statusRecorder remembers the status for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// observe gives each request an ID, a logger, a log line and metrics, and
// holds it to its rate limit (admit) before anything else is done for it.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > 64 {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		l := s.log.With().Str("request_id", id).Logger()
		ctx := logging.WithRequest(r.Context(), id, l)
		rec := &statusRecorder{ResponseWriter: w}
		if r := r.WithContext(ctx); s.admit(rec, r) {
			next.ServeHTTP(rec, r)
		}
		routeName := "unmatched"
		if cur := mux.CurrentRoute(r); cur != nil {
			routeName = cur.GetName()
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		took := time.Since(start)
		s.metrics.observeHTTP(routeName, rec.status, took)
		ev := l.Info()
		if rec.status >= 500 {
			ev = l.Error()
		}
		ev.Str("method", r.Method).Str("route", routeName).Int("status", rec.status).Dur("took", took).Msg("http")
	})
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// authorize lets a request through when its API key has one of roles;
// admin may do everything.
func (s *Server) authorize(roles []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ripen"`)
			s.problem(w, r, http.StatusUnauthorized, "send an API key as Authorization: Bearer <key>", nil)
			return
		}
		key, err := s.store.AuthenticateAPIKey(r.Context(), strings.TrimSpace(token))
		if errors.Is(err, store.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ripen", error="invalid_token"`)
			s.problem(w, r, http.StatusUnauthorized, "the API key is unknown or revoked, or has expired", nil)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		allowed := key.Role == RoleAdmin
		for _, role := range roles {
			allowed = allowed || key.Role == role
		}
		if !allowed {
			s.problem(w, r, http.StatusForbidden, "the role "+key.Role+" may not use this route; it needs "+strings.Join(append(roles[:len(roles):len(roles)], RoleAdmin), " or "), nil)
			return
		}
		ctx := context.WithValue(r.Context(), keyPrincipal, Principal{KeyID: key.ID, Role: key.Role, Label: key.Label, OwnerID: key.OwnerID})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// codecAuthorized decides who may use the payload codec: everyone with
// CodecAuthNone; a bearer token the codec's own authorizer admits (with
// RIPEN_CODEC_AUTH=jwt, the access token the Temporal Web UI forwards); and
// admins' API keys (the CLI's --codec-auth).
func (s *Server) codecAuthorized(r *http.Request) bool {
	if s.cfg.CodecAuthNone {
		return true
	}
	if a := s.cfg.Codec.Authorizer(); a != nil && a.Authorize(r) {
		return true
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	key, err := s.store.AuthenticateAPIKey(r.Context(), strings.TrimSpace(token))
	return err == nil && key.Role == RoleAdmin
}
