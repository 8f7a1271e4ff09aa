package api

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"time"
)

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz: Postgres and Temporal both answer. It is served on the ops
// listener only, but that may be reached by more than the orchestrator (a
// sidecar, a port-forward), so the answer says only which one is down; the
// reason (addresses, users) goes to the log.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	status := http.StatusOK
	down := func(part string, err error) {
		checks[part], status = "unavailable", http.StatusServiceUnavailable
		requestLog(r, s.log).Warn().Err(err).Str("part", part).Msg("not ready")
	}
	if err := s.store.Ping(ctx); err != nil {
		down("postgres", err)
	}
	if s.ready == nil {
		down("temporal", errors.New("the API was built without Temporal"))
	} else if err := s.ready(ctx); err != nil {
		down("temporal", err)
	}
	writeJSON(w, status, checks)
}

//go:embed openapi.yaml
var openapiSpec []byte

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openapiSpec)
}
