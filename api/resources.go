package api

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journeys"
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
// personas, products, content and customers.
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

// products are the catalogue: journeys, customers and orders may name
// only these.
func (s *Server) products() resource[store.CatalogueProduct] {
	return resource[store.CatalogueProduct]{
		id: func(p *store.CatalogueProduct) *string { return &p.ID }, put: s.store.PutProduct, get: s.store.GetProduct, list: s.store.ListProducts,
	}
}

func (s *Server) contents() resource[store.Content] {
	return resource[store.Content]{
		id: func(c *store.Content) *string { return &c.ID }, put: s.store.PutContent, get: s.store.GetContent, list: s.store.ListContent,
	}
}

// customers are every customer, but a key bound to an account owner (a
// rep's own) reads only that owner's: another's is not found, as its
// hand-offs and runs are not.
func (s *Server) customers() resource[store.Customer] {
	return resource[store.Customer]{
		id: func(c *store.Customer) *string { return &c.ID }, put: s.store.PutCustomer,
		get: func(ctx context.Context, id string) (store.Customer, error) {
			c, err := s.store.GetCustomer(ctx, id)
			if owner := PrincipalOf(ctx).OwnerID; err == nil && owner != "" && c.Owner.ID != owner {
				return store.Customer{}, fault.Newf(fault.NotFound, "customer %s not found", id)
			}
			return c, err
		},
		list: func(ctx context.Context, page store.Page) ([]store.Customer, error) {
			return s.store.ListCustomersOf(ctx, PrincipalOf(ctx).OwnerID, page)
		},
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

// putJourney publishes a YAML or JSON definition as a new version (201),
// unless it is the newest published version's definition already: then it
// answers that version (200) and creates nothing (journeys.Service.Publish).
// Either way an archived journey is back.
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
	v, created, err := s.journeys.Publish(r.Context(), mux.Vars(r)["id"], data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !created {
		writeJSON(w, http.StatusOK, v)
		return
	}
	w.Header().Set("Location", "/v1/journeys/"+v.JourneyID+"?version="+strconv.Itoa(v.Version))
	writeJSON(w, http.StatusCreated, v)
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
	v, err := s.journeys.Get(r.Context(), mux.Vars(r)["id"], version)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// listJourneys answers the newest version of every journey that takes new
// runs; ?archived=true lists the archived ones too, each with its
// archived_at, so one read serves a view of all of them.
func (s *Server) listJourneys(w http.ResponseWriter, r *http.Request) {
	archived := false
	switch v := r.URL.Query().Get("archived"); v {
	case "", "false":
	case "true":
		archived = true
	default:
		s.fail(w, r, invalid(FieldProblem{Field: "archived", Message: "must be true or false, not " + strconv.Quote(v)}))
		return
	}
	list, err := s.journeys.List(r.Context(), archived)
	s.writeJourneyList(w, r, list, err)
}

// deleteJourney archives a journey and answers its newest version, as GET
// would, with archived_at (journeys.Service.Archive): nothing is deleted,
// and a repeated DELETE answers the same.
func (s *Server) deleteJourney(w http.ResponseWriter, r *http.Request) {
	v, err := s.journeys.Archive(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) listJourneyVersions(w http.ResponseWriter, r *http.Request) {
	list, err := s.journeys.Versions(r.Context(), mux.Vars(r)["id"])
	s.writeJourneyList(w, r, list, err)
}

// writeJourneyList answers a list of versions without their sources.
func (s *Server) writeJourneyList(w http.ResponseWriter, r *http.Request, list []journeys.Version, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range list {
		list[i].Source = ""
	}
	writeJSON(w, http.StatusOK, map[string]any{"journeys": list})
}
