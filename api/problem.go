package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
)

// Problem is an RFC 9457 problem document; Errors lists every bad field.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Errors   []FieldProblem `json:"errors,omitempty"`
}

// FieldProblem names one bad field.
type FieldProblem = fault.Field

func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int, detail string, fields []FieldProblem) {
	title := http.StatusText(status)
	if status == statusClientClosed {
		title = "Client Closed Request"
	}
	p := Problem{Type: "about:blank", Title: title, Status: status, Detail: detail, Instance: r.URL.Path, Errors: fields}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// statusClientClosed is nginx's 499 Client Closed Request, so logs and
// metrics do not count a client's own timeout as a server error.
const statusClientClosed = 499

// faultStatus is the HTTP status of each kind of use-case error.
var faultStatus = map[fault.Kind]int{
	fault.Invalid:     http.StatusUnprocessableEntity,
	fault.NotFound:    http.StatusNotFound,
	fault.Conflict:    http.StatusConflict,
	fault.Gone:        http.StatusGone,
	fault.Unavailable: http.StatusServiceUnavailable,
	fault.Forbidden:   http.StatusForbidden,
	fault.Busy:        http.StatusTooManyRequests,
}

// fail maps an error to a problem: the use cases' faults and the store's
// kinds to 404/409/422 and the like, journey problems to 422 with every
// line, a request the client gave up on to 499, anything else to 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var probs journey.Problems
	var serr *store.Error
	var bad *badRequest
	f, isFault := fault.As(err)
	switch {
	case errors.As(err, &bad):
		s.problem(w, r, bad.status, bad.detail, nil)
	case isFault && faultStatus[f.Kind] != 0:
		if f.Kind == fault.Busy {
			w.Header().Set("Retry-After", "5")
		}
		s.problem(w, r, faultStatus[f.Kind], f.Detail, f.Fields)
	case errors.As(err, &probs):
		fields := make([]FieldProblem, len(probs))
		for i, p := range probs {
			fields[i] = FieldProblem{Field: p.Field, Message: p.Message, Line: p.Line}
		}
		s.problem(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("the journey has %d problems", len(probs)), fields)
	case errors.Is(err, store.ErrNotFound):
		s.problem(w, r, http.StatusNotFound, err.Error(), nil)
	case errors.Is(err, store.ErrForbidden):
		fields, detail := storeFields(serr, err), err.Error()
		if len(fields) > 1 {
			detail = fmt.Sprintf("the request may not set %d fields", len(fields))
		}
		s.problem(w, r, http.StatusForbidden, detail, fields)
	case errors.Is(err, store.ErrConflict):
		s.problem(w, r, http.StatusConflict, err.Error(), storeFields(serr, err))
	case errors.Is(err, store.ErrInvalid):
		fields, detail := storeFields(serr, err), err.Error()
		if len(fields) > 1 {
			detail = fmt.Sprintf("the request has %d problems", len(fields))
		}
		s.problem(w, r, http.StatusUnprocessableEntity, detail, fields)
	case r.Context().Err() != nil:
		// The client went away (or timed out) first: nothing failed here,
		// and nobody reads the answer.
		requestLog(r, s.log).Info().Err(err).Msg("client closed the request")
		s.problem(w, r, statusClientClosed, "the client closed the request", nil)
	default:
		requestLog(r, s.log).Error().Err(err).Msg("request failed")
		s.problem(w, r, http.StatusInternalServerError, "internal error; the request ID in the logs tells more", nil)
	}
}

// storeFields lists the fields of a store error: each of FieldErrors, or
// the one field of an *Error.
func storeFields(serr *store.Error, err error) []FieldProblem {
	var all store.FieldErrors
	if errors.As(err, &all) {
		out := make([]FieldProblem, 0, len(all))
		for _, e := range all {
			out = append(out, FieldProblem{Field: e.Field, Message: e.Msg})
		}
		return out
	}
	if errors.As(err, &serr) && serr.Field != "" {
		return []FieldProblem{{Field: serr.Field, Message: serr.Msg}}
	}
	return nil
}

// badRequest is a request HTTP itself refuses (its media type, size or
// syntax), before any use case sees it.
type badRequest struct {
	status int
	detail string
}

func (b *badRequest) Error() string { return b.detail }

// invalid is a request's field problems as a use case would report them.
func invalid(fields ...FieldProblem) error { return fault.InvalidFields(fields...) }

// Body limits.
const (
	maxBody     = 1 << 20
	maxBulkBody = 16 << 20
)

// decode reads a JSON body strictly: bounded, unknown fields refused, the
// bad field named.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		// curl -d sends form-urlencoded unless told otherwise; its body is
		// still parsed as JSON below.
		if mt != "application/json" && !strings.HasSuffix(mt, "+json") && mt != "application/x-www-form-urlencoded" {
			return &badRequest{status: http.StatusUnsupportedMediaType, detail: "send application/json, not " + mt}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return invalid(FieldProblem{Field: "", Message: "the body must hold one JSON value"})
	}
	return nil
}

func jsonProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return &badRequest{status: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf("the body is larger than %d bytes", maxErr.Limit)}
	case errors.As(err, &typeErr):
		return invalid(FieldProblem{Field: typeErr.Field, Message: "must be " + jsonKind(typeErr.Type.Kind().String()) + ", not " + typeErr.Value})
	case errors.As(err, &syntaxErr):
		return &badRequest{status: http.StatusBadRequest, detail: fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, err)}
	case errors.Is(err, io.EOF):
		return &badRequest{status: http.StatusBadRequest, detail: "the body is empty"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(FieldProblem{Field: f, Message: "unknown field"})
	}
	return &badRequest{status: http.StatusBadRequest, detail: err.Error()}
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a number"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
