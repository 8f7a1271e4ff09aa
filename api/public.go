package api

import "net/http"

func (s *Server) trackedLink(w http.ResponseWriter, r *http.Request)       { s.problem(w, r, 501, "todo", nil) }
func (s *Server) fastLanePage(w http.ResponseWriter, r *http.Request)      { s.problem(w, r, 501, "todo", nil) }
func (s *Server) fastLaneSubmit(w http.ResponseWriter, r *http.Request)    { s.problem(w, r, 501, "todo", nil) }
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request)   { s.problem(w, r, 501, "todo", nil) }
func (s *Server) unsubscribeSubmit(w http.ResponseWriter, r *http.Request) { s.problem(w, r, 501, "todo", nil) }
func (s *Server) sendgridWebhook(w http.ResponseWriter, r *http.Request)   { s.problem(w, r, 501, "todo", nil) }
