package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// listHandoffs is the sales inbox: newest first, with the evidence, a page
// at a time. Like the run lists it pages with page_token, the
// next_page_token of the previous page, present only when more match.
func (s *Server) listHandoffs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.HandoffFilter{Status: q.Get("status"), OwnerID: q.Get("owner"), CustomerID: q.Get("customer"), JourneyID: q.Get("journey"), Limit: 100}
	var problems []FieldProblem
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			problems = append(problems, FieldProblem{Field: "limit", Message: "must be a number from 1 to 1000"})
		} else {
			f.Limit = n
		}
	}
	if f.Status != "" && !slices.Contains(store.HandoffStatuses, f.Status) {
		problems = append(problems, FieldProblem{Field: "status", Message: "must be one of " + strings.Join(store.HandoffStatuses, ", ")})
	}
	if v := q.Get("page_token"); v != "" {
		after, ok := parseHandoffToken(v)
		if ok {
			f.After = &after
		} else {
			problems = append(problems, FieldProblem{Field: "page_token", Message: "is not a token this API gave out"})
		}
	}
	if len(problems) > 0 {
		s.fail(w, r, invalid(problems...))
		return
	}
	list, next, err := s.store.ListHandoffsPage(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if list == nil {
		list = []store.Handoff{}
	}
	out := map[string]any{"handoffs": list}
	if next != nil {
		out["next_page_token"] = handoffToken(*next)
	}
	writeJSON(w, http.StatusOK, out)
}

// handoffToken is the page token that continues the inbox after cursor c:
// its creation time to the microsecond (Postgres' precision) and its ID,
// which breaks ties between hand-offs created at the same instant. The
// filters are not in it: the client sends them again with the token.
func handoffToken(c store.HandoffCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.CreatedAt.UTC().Format(time.RFC3339Nano) + " " + c.ID))
}

// parseHandoffToken reads a token of handoffToken; ok is false for any
// other string.
func parseHandoffToken(token string) (c store.HandoffCursor, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return c, false
	}
	at, id, found := strings.Cut(string(raw), " ")
	if !found || id == "" {
		return c, false
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil || t.IsZero() {
		return c, false
	}
	return store.HandoffCursor{CreatedAt: t, ID: id}, true
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
	_, applied, err := s.answerHandoff(r.Context(), h, req.Outcome, req.Note)
	if err != nil {
		s.fail(w, r, err)
		return
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

// answerHandoff gives sales' answer to the run of hand-off h and reports
// whether the run has applied it already (else it will).
//
// The answer is claimed on the hand-off first: of two racing answers only
// the first is acknowledged and sent to the run, so an answer acknowledged
// while no worker runs (sent as a signal) cannot be overtaken by another.
// The note is claimed with it and stays in Postgres: the run gets the
// outcome only, and closing the hand-off takes the note from the row.
func (s *Server) answerHandoff(ctx context.Context, h store.Handoff, outcome, note string) (workflows.State, bool, error) {
	var st workflows.State
	if !workflows.ValidFeedback(outcome) {
		return st, false, invalid(FieldProblem{Field: "outcome", Message: "must be one of accepted, won, lost, rejected, not-ready"})
	}
	claimed, err := s.store.ClaimAnswer(ctx, h.ID, outcome, note)
	if err != nil {
		return st, false, err
	}
	if claimed.Status == store.HandoffWithdrawn {
		return st, false, conflictErr("hand-off " + h.ID + " was withdrawn: its run ended before an answer")
	}
	if got := claimed.Answered(); got != outcome {
		return st, false, conflictErr("hand-off " + h.ID + " was already answered: " + got)
	}
	if claimed.Status != store.HandoffOpen {
		return st, true, nil // a repeated answer, applied already
	}
	firstRunID, _ := strings.CutPrefix(h.RunKey, h.WorkflowID+"/")
	st, applied, err := s.feedback(ctx, h.WorkflowID, firstRunID, workflows.Feedback{Outcome: outcome, HandoffID: h.ID})
	// 409: the run has no open hand-off; 404: no run of that chain is
	// there to ask (the workflow ID belongs to a newer run now).
	var bad *badRequest
	if err == nil || !errors.As(err, &bad) || (bad.status != http.StatusConflict && bad.status != http.StatusNotFound) {
		return st, applied, err
	}
	// The run has no open hand-off: it applied this answer already; or it
	// ended with the hand-off open, when its end closed the hand-off as
	// this (claimed) answer; or it ended without closing it (terminated,
	// or replaced by a new run of the workflow ID), when the answer is
	// recorded all the same so the inbox is right.
	if now, gerr := s.store.GetHandoff(ctx, h.ID); gerr == nil && now.Status == outcome {
		return st, true, nil
	}
	if !s.runEnded(ctx, h) {
		return st, false, err
	}
	if _, cerr := s.store.CloseHandoff(ctx, h.ID, outcome, ""); cerr != nil {
		return st, false, cerr
	}
	return st, true, nil
}

// runEnded reports whether the run of hand-off h is over: its workflow is
// closed (and not continued), or a later run of the workflow ID has taken
// its place (the run key is the workflow ID and the first run's ID).
func (s *Server) runEnded(ctx context.Context, h store.Handoff) bool {
	d, err := s.temporal.DescribeWorkflowExecution(ctx, h.WorkflowID, "")
	if err != nil {
		return false
	}
	info := d.GetWorkflowExecutionInfo()
	st := info.GetStatus()
	if st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && st != enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
		return true
	}
	first := info.GetFirstRunId()
	return first != "" && h.RunKey != h.WorkflowID+"/"+first
}
