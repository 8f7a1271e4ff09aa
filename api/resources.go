package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"gopkg.in/yaml.v3"

	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/store"
)

func pageOf(r *http.Request) (store.Page, error) {
	p := store.Page{After: r.URL.Query().Get("after"), Limit: 100}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return p, invalid(FieldProblem{Field: "limit", Message: "must be a number from 1 to 1000"})
		}
		p.Limit = n
	}
	return p, nil
}

// listPage is a page of a list with the cursor for the next one.
type listPage[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func newListPage[T any](items []T, limit int, id func(T) string) listPage[T] {
	p := listPage[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(items) == limit && limit > 0 {
		p.Next = id(items[len(items)-1])
	}
	return p
}

// pathID checks the body's id against the path's.
func pathID(r *http.Request, bodyID *string) error {
	id := mux.Vars(r)["id"]
	if *bodyID != "" && *bodyID != id {
		return invalid(FieldProblem{Field: "id", Message: "is " + *bodyID + " but the path says " + id})
	}
	*bodyID = id
	return nil
}

// resource is a record kind with idempotent PUT, GET and a paged list:
// personas, content and customers.
type resource[T any] struct {
	id   func(*T) *string
	put  func(context.Context, T) error
	get  func(context.Context, string) (T, error)
	list func(context.Context, store.Page) ([]T, error)
}

func (s *Server) personas() resource[store.Persona] {
	return resource[store.Persona]{
		id: func(p *store.Persona) *string { return &p.ID }, put: s.store.PutPersona, get: s.store.GetPersona, list: s.store.ListPersonas,
	}
}

func (s *Server) contents() resource[store.Content] {
	return resource[store.Content]{
		id: func(c *store.Content) *string { return &c.ID }, put: s.store.PutContent, get: s.store.GetContent, list: s.store.ListContent,
	}
}

func (s *Server) customers() resource[store.Customer] {
	return resource[store.Customer]{
		id: func(c *store.Customer) *string { return &c.ID }, put: s.store.PutCustomer, get: s.store.GetCustomer, list: s.store.ListCustomers,
	}
}

// putRecord stores the body under the path's id and answers the stored record.
func putRecord[T any](s *Server, res func() resource[T]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rs := res()
		var v T
		if err := decode(w, r, maxBody, &v); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := pathID(r, rs.id(&v)); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := rs.put(r.Context(), v); err != nil {
			s.fail(w, r, err)
			return
		}
		getRecord(s, res)(w, r)
	}
}

func getRecord[T any](s *Server, res func() resource[T]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := res().get(r.Context(), mux.Vars(r)["id"])
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// listRecords answers a page of records, ?after=ID&limit=N.
func listRecords[T any](s *Server, res func() resource[T]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rs := res()
		pg, err := pageOf(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		items, err := rs.list(r.Context(), pg)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, newListPage(items, pg.Limit, func(v T) string { return *rs.id(&v) }))
	}
}

// Journeys.

// journeyView is a stored version with its definition decoded.
type journeyView struct {
	store.JourneyVersion
	Definition *journey.Definition `json:"definition"`
}

func viewJourney(jv store.JourneyVersion) (journeyView, error) {
	var def journey.Definition
	if err := json.Unmarshal(jv.Definition, &def); err != nil {
		return journeyView{}, err
	}
	def.Version = jv.Version
	return journeyView{JourneyVersion: jv, Definition: &def}, nil
}

// putJourney validates a YAML or JSON definition (the same messages as
// `ripen journeys validate`) and publishes it as a new version (201), unless
// it is the newest published version's definition already: then it answers
// that version (200) and creates nothing.
//
// Definitions are compared, not source texts: marketing ops keep journeys
// in git and a sync re-applies every file, so a PUT that would not change
// what runs do (or what the journey is called) must not mint a version;
// that holds for a reformatted file or an edited comment too, since a new
// version then would only split the runs across identical versions. The
// version keeps the source that first published it.
func (s *Server) putJourney(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "", ct == "application/json", strings.Contains(ct, "yaml"), ct == "text/plain":
	default:
		s.problem(w, r, http.StatusUnsupportedMediaType, "send the journey as application/yaml or application/json", nil)
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.fail(w, r, jsonProblem(err))
		return
	}
	def, err := s.parseJourney(r, data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if id := mux.Vars(r)["id"]; def.ID != id {
		s.fail(w, r, invalid(FieldProblem{Field: "id", Message: "is " + def.ID + " but the path says " + id}))
		return
	}
	def.Version = 0
	defJSON, err := json.Marshal(def)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	jv, created, err := s.store.PublishJourneyIfChanged(r.Context(), store.JourneyVersion{JourneyID: def.ID, Name: def.Name, Definition: defJSON, Source: string(data)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view, err := viewJourney(jv)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !created {
		writeJSON(w, http.StatusOK, view)
		return
	}
	w.Header().Set("Location", "/v1/journeys/"+def.ID+"?version="+strconv.Itoa(jv.Version))
	writeJSON(w, http.StatusCreated, view)
}

// parseJourney parses and validates, with the content library known.
func (s *Server) parseJourney(r *http.Request, data []byte) (*journey.Definition, error) {
	// A first pass finds the content the steps send, so the store answers
	// in one query which of it is missing.
	// A loose read finds them even when the definition has other problems.
	var probe struct {
		Steps []struct {
			Send any `yaml:"send"`
		} `yaml:"steps"`
	}
	_ = yaml.Unmarshal(data, &probe)
	var ids []string
	for _, st := range probe.Steps {
		if id, ok := st.Send.(string); ok && id != "" {
			ids = append(ids, id)
		}
	}
	missing, err := s.store.MissingContent(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	unknown := map[string]bool{}
	for _, id := range missing {
		unknown[id] = true
	}
	return journey.ParseWith(data, journey.ValidateOptions{Content: func(id string) bool { return !unknown[id] }})
}

func (s *Server) getJourney(w http.ResponseWriter, r *http.Request) {
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(w, r, invalid(FieldProblem{Field: "version", Message: "must be a positive number"}))
			return
		}
		version = n
	}
	jv, err := s.store.GetJourney(r.Context(), mux.Vars(r)["id"], version)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view, err := viewJourney(jv)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

func (s *Server) listJourneys(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListJourneys(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJourneyList(w, r, list)
}

func (s *Server) listJourneyVersions(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListJourneyVersions(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(list) == 0 {
		s.fail(w, r, notFoundErr("journey "+mux.Vars(r)["id"]+" does not exist"))
		return
	}
	s.writeJourneyList(w, r, list)
}

func (s *Server) writeJourneyList(w http.ResponseWriter, r *http.Request, list []store.JourneyVersion) {
	out := make([]journeyView, 0, len(list))
	for _, jv := range list {
		v, err := viewJourney(jv)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Source = ""
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"journeys": out})
}

// latestJourney loads the newest published definition of a journey.
func (s *Server) latestJourney(r *http.Request, id string) (*journey.Definition, error) {
	jv, err := s.store.GetJourney(r.Context(), id, 0)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFoundErr("journey " + id + " has no published version")
	}
	if err != nil {
		return nil, err
	}
	v, err := viewJourney(jv)
	if err != nil {
		return nil, err
	}
	return v.Definition, nil
}
