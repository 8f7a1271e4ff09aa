package sites

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ripen/ripen/store"
)

// Service keeps the registered sites in the store.
type Service struct {
	store *store.Store

	// The beacons' sites, read once per beaconTTL rather than once per
	// page view (see ForBeacon).
	mu      sync.Mutex
	beacons map[string]cachedSite
	now     func() time.Time
}

type cachedSite struct {
	site    Site
	err     error
	expires time.Time
}

const (
	// beaconTTL is how long a change to a site may take to reach the
	// beacons of an API process other than the one that made it.
	beaconTTL = 5 * time.Second
	// maxCachedSites bounds the cache against beacons naming random sites.
	maxCachedSites = 1024
)

// New returns the sites of st.
func New(st *store.Store) *Service {
	return &Service{store: st, beacons: map[string]cachedSite{}, now: time.Now}
}

// ForBeacon returns a site (or the store's ErrNotFound) for a beacon of
// ripen's script: a site's every page view names it, so it is read from
// the store at most once per beaconTTL, unknown IDs included. Put and
// Delete in this process apply at once.
func (s *Service) ForBeacon(ctx context.Context, id string) (Site, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.beacons[id]
	s.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.site, c.err
	}
	site, err := s.Get(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Site{}, err // a failure is not remembered
	}
	s.mu.Lock()
	if len(s.beacons) >= maxCachedSites {
		clear(s.beacons)
	}
	s.beacons[id] = cachedSite{site: site, err: err, expires: now.Add(beaconTTL)}
	s.mu.Unlock()
	return site, err
}

func (s *Service) forget(id string) {
	s.mu.Lock()
	delete(s.beacons, id)
	s.mu.Unlock()
}

// Put checks a site and stores it under id (the path's), replacing the
// one there was. Every problem is reported at once, by field.
func (s *Service) Put(ctx context.Context, id string, site Site) (Site, error) {
	site.ID = id
	if err := site.Check(); err != nil {
		return Site{}, err
	}
	topics, err := json.Marshal(site.Topics)
	if err != nil {
		return Site{}, fmt.Errorf("encode the topics of site %s: %w", id, err)
	}
	rec, err := s.store.PutSite(ctx, store.SiteRecord{ID: id, Origins: site.Origins, Topics: topics, Downloads: site.Downloads, Consent: site.Consent})
	if err != nil {
		return Site{}, err
	}
	s.forget(id)
	return fromRecord(rec)
}

// Get returns a site, or the store's ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (Site, error) {
	rec, err := s.store.GetSite(ctx, id)
	if err != nil {
		return Site{}, err
	}
	return fromRecord(rec)
}

// List returns every site by ID.
func (s *Service) List(ctx context.Context) ([]Site, error) {
	recs, err := s.store.ListSites(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Site, 0, len(recs))
	for _, r := range recs {
		site, err := fromRecord(r)
		if err != nil {
			return nil, err
		}
		out = append(out, site)
	}
	return out, nil
}

// Delete removes a site: its pages are heard no more.
func (s *Service) Delete(ctx context.Context, id string) error {
	defer s.forget(id)
	return s.store.DeleteSite(ctx, id)
}

func fromRecord(r store.SiteRecord) (Site, error) {
	site := Site{ID: r.ID, Origins: r.Origins, Downloads: r.Downloads, Consent: r.Consent, Topics: []TopicRule{}}
	if err := json.Unmarshal(r.Topics, &site.Topics); err != nil {
		return Site{}, fmt.Errorf("read the topics of site %s: %w", r.ID, err)
	}
	return site, nil
}

// Registered reports whether a page at origin belongs to a registered
// site: a tracked link there carries the contact's identity.
func (s *Service) Registered(ctx context.Context, origin string) (bool, error) {
	norm, err := Origin(origin)
	if err != nil {
		return false, nil
	}
	return s.store.SiteHasOrigin(ctx, norm)
}
