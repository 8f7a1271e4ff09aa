package api

import (
	"net/http"

	"github.com/ripen/ripen/store"
)

type eventsRequest struct {
	Events []store.Event `json:"events"`
}

// ingestEvents stores engagement events once each and feeds every event of
// the batch to the customers' running runs and to the detectors
// (engagement.Service.Ingest).
func (s *Server) ingestEvents(w http.ResponseWriter, r *http.Request) {
	var req eventsRequest
	if err := decode(w, r, maxBulkBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.engagement.Ingest(r.Context(), req.Events)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
