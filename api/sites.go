package api

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/sites"
)

// putSite registers or replaces a website of the water hole.
func (s *Server) putSite(w http.ResponseWriter, r *http.Request) {
	var in sites.Site
	if err := decode(w, r, maxBody, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := pathID(r, &in.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	site, err := s.sites.Put(r.Context(), in.ID, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, site)
}

func (s *Server) getSite(w http.ResponseWriter, r *http.Request) {
	site, err := s.sites.Get(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, site)
}

func (s *Server) listSites(w http.ResponseWriter, r *http.Request) {
	list, err := s.sites.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sites": list})
}

func (s *Server) deleteSite(w http.ResponseWriter, r *http.Request) {
	if err := s.sites.Delete(r.Context(), mux.Vars(r)["id"]); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
