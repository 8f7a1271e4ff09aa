package api

import (
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/webhooks"
)

// Outbound webhooks (admin). Not to be confused with webhook.go, SendGrid's
// Event Webhook coming in.

// putWebhook creates a webhook (201, with its secret, shown this once) or
// changes one (200, the secret kept and not shown).
func (s *Server) putWebhook(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ID string `json:"id"`
		webhooks.Input
	}
	if err := decode(w, r, maxBody, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := pathID(r, &body.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	hook, created, err := s.webhooks.Put(r.Context(), body.ID, body.Input)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !created {
		writeJSON(w, http.StatusOK, hook)
		return
	}
	w.Header().Set("Location", "/v1/webhooks/"+hook.ID)
	writeJSON(w, http.StatusCreated, hook)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	hook, err := s.webhooks.Get(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, hook)
}

// deleteWebhook answers 204; deliveries in flight stop at their next
// attempt.
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.webhooks.Delete(r.Context(), mux.Vars(r)["id"]); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listWebhookDeliveries lists a webhook's attempts, newest first, a page at
// a time: next_page_token, present when the page is full, continues it.
func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 100
	var problems []FieldProblem
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			problems = append(problems, FieldProblem{Field: "limit", Message: "must be a number from 1 to 1000"})
		} else {
			limit = n
		}
	}
	var before int64
	if v := q.Get("page_token"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			problems = append(problems, FieldProblem{Field: "page_token", Message: "is not a token this API gave out"})
		}
		before = n
	}
	if len(problems) > 0 {
		s.fail(w, r, invalid(problems...))
		return
	}
	ds, err := s.webhooks.Deliveries(r.Context(), mux.Vars(r)["id"], before, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]any{"deliveries": ds}
	if len(ds) == limit {
		out["next_page_token"] = strconv.FormatInt(ds[len(ds)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, out)
}
