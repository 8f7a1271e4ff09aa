package api

import "net/http"

// OpsHandler serves what operators and their machines ask of an API
// process: /readyz (Postgres and Temporal answer) for the orchestrator,
// /metrics for Prometheus, and /healthz as the public listener does. It is
// meant for a listener of its own (RIPEN_OPS_ADDR), never the public one:
// that one serves email links and the SendGrid webhook to the internet, and
// readiness and metrics would tell anyone there what ripen runs on and how
// busy it is. No request log here: probes and scrapes every few seconds
// would drown the requests that matter.
func (s *Server) OpsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.Handler())
	return secureHeaders(mux)
}
