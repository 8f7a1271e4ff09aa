package api

// The water hole's public endpoints: ripen's script (/t.js), a site's
// consent mode for it, and the beacons it sends. They answer browsers on
// the customers' websites: only a registered site's origins get CORS
// answers, bodies are small and bounded, bots are ignored, and no IP
// address is stored.

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/ripen/ripen/engagement"
	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sites"
)

// maxBeacon bounds a beacon's body: a page URL and a few IDs.
const maxBeacon = 4 << 10

//go:embed static/t.js
var trackingScript []byte

// script serves ripen's tracking script.
func (s *Server) script(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	_, _ = w.Write(trackingScript)
}

// siteForScript tells the script a site's consent mode: public, as the
// page that embeds the script shows it anyway.
func (s *Server) siteForScript(w http.ResponseWriter, r *http.Request) {
	site, err := s.sites.ForBeacon(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]string{"consent": site.Consent})
}

// beaconPreflight answers a browser's CORS preflight for the beacons
// (sendBeacon's text/plain needs none, fetch with other headers does).
// The POST itself checks the origin against the site.
func (s *Server) beaconPreflight(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", "POST")
		h.Set("Access-Control-Allow-Headers", "Content-Type")
		h.Set("Access-Control-Max-Age", "86400")
		h.Add("Vary", "Origin")
	}
	w.WriteHeader(http.StatusNoContent)
}

type beacon struct {
	Site    string `json:"site"`
	Visitor string `json:"visitor"`
	Kind    string `json:"kind"`
	URL     string `json:"url"`
	Consent bool   `json:"consent"`
	RPN     string `json:"rpn"`
}

func (b *beacon) siteID() string { return b.Site }

// fastLaneBeacon is a landing-page form's request for sales. Visitor is
// empty when the page may not track.
type fastLaneBeacon struct {
	Site    string `json:"site"`
	Visitor string `json:"visitor"`
	Offer   string `json:"offer"`
	Note    string `json:"note"`
	Email   string `json:"email"`
	URL     string `json:"url"`
}

func (b *fastLaneBeacon) siteID() string { return b.Site }

// readBeacon reads a beacon (text/plain or JSON, at most maxBeacon bytes)
// into b and returns its site, and answers CORS for the site's origins
// only.
func (s *Server) readBeacon(w http.ResponseWriter, r *http.Request, b interface{ siteID() string }) (sites.Site, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBeacon))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		s.problem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("a beacon is at most %d bytes", maxBeacon), nil)
		return sites.Site{}, false
	case err != nil:
		s.problem(w, r, http.StatusBadRequest, "the beacon could not be read", nil)
		return sites.Site{}, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(b); err != nil {
		s.problem(w, r, http.StatusBadRequest, "a beacon is a JSON object: "+err.Error(), nil)
		return sites.Site{}, false
	}
	if b.siteID() == "" {
		s.fail(w, r, fault.InvalidField("site", "is required"))
		return sites.Site{}, false
	}
	site, err := s.sites.ForBeacon(r.Context(), b.siteID())
	if err != nil {
		s.fail(w, r, err)
		return sites.Site{}, false
	}
	if origin := r.Header.Get("Origin"); site.AllowsOrigin(origin) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
	}
	w.Header().Add("Vary", "Origin")
	return site, true
}

// collect takes a page view or download from ripen's script.
func (s *Server) collect(w http.ResponseWriter, r *http.Request) {
	var b beacon
	site, ok := s.readBeacon(w, r, &b)
	if !ok {
		return
	}
	if engagement.IsBot(r.UserAgent()) {
		w.WriteHeader(http.StatusNoContent) // heard, and not engagement
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	_, err := s.engagement.PageViewed(ctx, engagement.PageView{Site: site, VisitorID: b.Visitor, Kind: b.Kind, URL: b.URL,
		Origin: r.Header.Get("Origin"), Consent: b.Consent, At: s.now()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// identify trades a signed rpn (from a tracked link in an email) for the
// visitor's identity. A forged or expired one leaves the visitor
// anonymous; an address typed into a form never gets here.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) {
	var b beacon
	site, ok := s.readBeacon(w, r, &b)
	if !ok {
		return
	}
	if !site.AllowsOrigin(r.Header.Get("Origin")) {
		s.fail(w, r, fault.Newf(fault.Forbidden, "origin %q is not one of site %s's origins", r.Header.Get("Origin"), site.ID))
		return
	}
	c, err := s.verifyLink(b.RPN, linktoken.KindVisitor, s.now())
	if err != nil {
		s.problem(w, r, http.StatusForbidden, "the rpn is not a valid identity: the visitor stays anonymous", nil)
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	if _, err := s.engagement.Identified(ctx, site, b.Visitor, c.RunID, c.ContactID); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// fastLane takes a landing-page form's request for sales (POST only: a
// page view, a link or a prefetch never asks for sales). It answers 202
// whoever the request turns out to name, so the form does not tell who is
// a customer's contact.
func (s *Server) fastLane(w http.ResponseWriter, r *http.Request) {
	var b fastLaneBeacon
	site, ok := s.readBeacon(w, r, &b)
	if !ok {
		return
	}
	if engagement.IsBot(r.UserAgent()) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	ctx, cancel := detached(r.Context())
	defer cancel()
	_, err := s.engagement.RequestWebFastLane(ctx, engagement.WebFastLane{Site: site, VisitorID: b.Visitor, Offer: b.Offer,
		Note: cleanNote(b.Note), Email: strings.TrimSpace(b.Email), URL: b.URL, Origin: r.Header.Get("Origin"), At: s.now()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "received"})
}

// identityTTL bounds an rpn: the browser follows the redirect at once, and
// an address copied with it stops naming the contact soon after.
const identityTTL = time.Hour

// withIdentity is a tracked link's target, with a signed rpn parameter
// naming the link's contact when the target is a page of a registered
// site: ripen's script there trades it for the visitor's identity. Any
// failure leaves the target as it was: the click still leads there.
func (s *Server) withIdentity(ctx context.Context, c linktoken.Claims, now time.Time) string {
	target, err := url.Parse(c.Target)
	if err != nil || c.Kind != linktoken.KindRedirect || c.ContactID == "" || s.links == nil {
		return c.Target
	}
	registered, err := s.sites.Registered(ctx, target.Scheme+"://"+target.Host)
	if err != nil {
		logOf(ctx, s.log).Warn().Err(err).Msg("sites not read: the tracked link leads on without identity")
	}
	if !registered {
		return c.Target
	}
	rpn, err := s.links.Sign(linktoken.Claims{Kind: linktoken.KindVisitor, RunID: c.RunID, ContactID: c.ContactID, Expires: now.Add(identityTTL)})
	if err != nil {
		return c.Target
	}
	q := target.Query()
	q.Set("rpn", rpn)
	target.RawQuery = q.Encode()
	return target.String()
}
