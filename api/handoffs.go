package api

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
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
	list, next, err := s.runs.Handoffs(r.Context(), callerOf(r), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	views, err := s.runs.DescribeHandoffs(r.Context(), list)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if views == nil {
		views = []runs.HandoffView{}
	}
	out := map[string]any{"handoffs": views}
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
	h, err := s.runs.Handoff(r.Context(), callerOf(r), mux.Vars(r)["id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.runs.DescribeHandoff(r.Context(), h)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

type feedbackRequest struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
}

// handoffFeedback answers a hand-off: the run acts on it (and records it in
// the store through its activity) before this returns, or answers 202 when
// it has the answer but is busy (say, its worker was restarted): not a 5xx
// that would invite a retry.
func (s *Server) handoffFeedback(w http.ResponseWriter, r *http.Request) {
	var req feedbackRequest
	if err := decode(w, r, maxBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.runs.AnswerHandoff(r.Context(), callerOf(r), mux.Vars(r)["id"], req.Outcome, req.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	who := PrincipalOf(r.Context())
	requestLog(r, s.log).Info().Str("handoff", res.Handoff.ID).Str("outcome", req.Outcome).Int64("api_key", who.KeyID).Str("key_label", who.Label).Msg("hand-off answered")
	status := http.StatusOK
	if !res.Applied {
		status = http.StatusAccepted
	}
	// The answer is recorded: a failure to name its contact and journey
	// must not turn it into an error, so the bare hand-off answers then.
	v, err := s.runs.DescribeHandoff(r.Context(), res.Handoff)
	if err != nil {
		requestLog(r, s.log).Warn().Err(err).Str("handoff", res.Handoff.ID).Msg("answered hand-off not described")
		writeJSON(w, status, res.Handoff)
		return
	}
	writeJSON(w, status, v)
}
