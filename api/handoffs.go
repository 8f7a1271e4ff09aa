package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// listHandoffs is the sales inbox: newest first, with the evidence.
func (s *Server) listHandoffs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.HandoffFilter{Status: q.Get("status"), OwnerID: q.Get("owner"), CustomerID: q.Get("customer"), JourneyID: q.Get("journey"), Limit: 100}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(w, r, invalid(FieldProblem{Field: "limit", Message: "must be a number from 1 to 1000"}))
			return
		}
		f.Limit = n
	}
	switch f.Status {
	case "", "open", "accepted", "won", "lost", "rejected", "not-ready":
	default:
		s.fail(w, r, invalid(FieldProblem{Field: "status", Message: "must be one of open, accepted, won, lost, rejected, not-ready"}))
		return
	}
	list, err := s.store.ListHandoffs(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if list == nil {
		list = []store.Handoff{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"handoffs": list})
}

func (s *Server) getHandoff(w http.ResponseWriter, r *http.Request) {
	h, err := s.store.GetHandoff(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

type feedbackRequest struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
}

// handoffFeedback answers a hand-off: the run acts on it (and records it in
// the store through its activity) before this returns.
func (s *Server) handoffFeedback(w http.ResponseWriter, r *http.Request) {
	var req feedbackRequest
	if err := decode(w, r, maxBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := s.store.GetHandoff(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if h.Status != "open" {
		if h.Status == req.Outcome {
			writeJSON(w, http.StatusOK, h) // a repeated answer
			return
		}
		s.fail(w, r, conflictErr("hand-off "+h.ID+" was already answered: "+h.Status))
		return
	}
	_, applied, err := s.feedback(r.Context(), h.WorkflowID, workflows.Feedback{Outcome: req.Outcome, Note: req.Note, HandoffID: h.ID})
	if err != nil {
		var bad *badRequest
		if !errors.As(err, &bad) || bad.status != http.StatusConflict || !s.runEnded(r.Context(), h.WorkflowID) {
			s.fail(w, r, err)
			return
		}
		// The run has ended (stopped, unsubscribed) with the hand-off still
		// open: record the answer all the same so the inbox is right.
		if _, cerr := s.store.CloseHandoff(r.Context(), h.ID, req.Outcome, req.Note); cerr != nil {
			s.fail(w, r, cerr)
			return
		}
	}
	s.metrics.signals.WithLabelValues("sales-feedback").Inc()
	who := PrincipalOf(r.Context())
	requestLog(r, s.log).Info().Str("handoff", h.ID).Str("outcome", req.Outcome).Int64("api_key", who.KeyID).Str("key_label", who.Label).Msg("hand-off answered")
	h, err = s.store.GetHandoff(r.Context(), h.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if h.Status == "open" && !applied {
		// The run has the answer and will record it; it is busy (say, its
		// worker was restarted). 202, not a 5xx that would invite a retry.
		writeJSON(w, http.StatusAccepted, h)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// runEnded reports whether the workflow is closed (and not continued).
func (s *Server) runEnded(ctx context.Context, workflowID string) bool {
	d, err := s.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return false
	}
	st := d.GetWorkflowExecutionInfo().GetStatus()
	return st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && st != enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
}
