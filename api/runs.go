package api

import (
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/journeys"
	"github.com/ripen/ripen/runs"
)

type enrollRequest struct {
	CustomerIDs []string `json:"customer_ids"`
}

// enroll starts one run per customer on the newest published version.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	var req enrollRequest
	if err := decode(w, r, maxBulkBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	results, err := s.runs.Enrol(r.Context(), mux.Vars(r)["id"], req.CustomerIDs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

// getRun answers the run's state; a closed run adds its outcome.
func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	view, err := s.runs.Get(r.Context(), callerOf(r), v["id"], v["customerID"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

// signalRun sends a signal: 202 once the run has it; sales feedback the run
// applied at once answers 200 with the run's new state.
func (s *Server) signalRun(w http.ResponseWriter, r *http.Request) {
	var req runs.Signal
	if err := decode(w, r, maxBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	v := mux.Vars(r)
	res, err := s.runs.Signal(r.Context(), callerOf(r), v["id"], v["customerID"], req)
	switch {
	case err != nil:
		s.fail(w, r, err)
	case res.Applied:
		writeJSON(w, http.StatusOK, res.Run)
	case req.Type == runs.SignalSalesFeedback:
		writeJSON(w, http.StatusAccepted, map[string]string{"workflow_id": res.WorkflowID, "signal": req.Type, "status": "accepted, being applied"})
	default:
		writeJSON(w, http.StatusAccepted, map[string]string{"workflow_id": res.WorkflowID, "signal": req.Type})
	}
}

// listRuns lists runs by journey, customer, owner, stage, MQN and status.
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := runFilter(r)
	f.Journey, f.Customer, f.Owner, f.Stage, f.MQN = q.Get("journey"), q.Get("customer"), q.Get("owner"), q.Get("stage"), q.Get("mqn")
	page, err := s.runs.List(r.Context(), callerOf(r), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// listCustomerRuns lists one customer's runs.
func (s *Server) listCustomerRuns(w http.ResponseWriter, r *http.Request) {
	page, err := s.runs.ListOfCustomer(r.Context(), callerOf(r), mux.Vars(r)["id"], runFilter(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// runFilter reads the paging and status parameters every run list takes; a
// limit that is no number reaches the use case as negative, so it is named
// with the other problems.
func runFilter(r *http.Request) runs.Filter {
	q := r.URL.Query()
	f := runs.Filter{Status: q.Get("status"), PageToken: q.Get("page_token")}
	if v := q.Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 {
			f.Limit = n
		} else {
			f.Limit = -1
		}
	}
	return f
}

// simulateJourney runs a journey against a posted timeline in time-skipping
// mode and answers with the same report as `ripen journeys simulate --json`.
func (s *Server) simulateJourney(w http.ResponseWriter, r *http.Request) {
	var req journeys.Simulation
	if err := decode(w, r, maxBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.journeys.Simulate(r.Context(), mux.Vars(r)["id"], req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
