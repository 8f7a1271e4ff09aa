package api

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/reports"
)

// journeyReport answers GET /v1/journeys/{id}/report?version=&from=&to=.
func (s *Server) journeyReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := reports.ParseFilter(q.Get("version"), q.Get("from"), q.Get("to"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.reports.Journey(r.Context(), mux.Vars(r)["id"], f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
