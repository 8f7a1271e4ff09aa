package api

// Limits against hostile and runaway clients: a token bucket per API key and
// per client address, a cap on the SendGrid webhook's concurrent posts, and
// the headers every answer carries.

import (
	"container/list"
	"crypto/sha256"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/time/rate"
)

// RateLimit is a token bucket: Rate requests a second on average, up to
// Burst at once. The zero RateLimit is no limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

func (l RateLimit) off() bool { return l.Rate <= 0 }

const (
	// maxBuckets bounds the buckets one limiter keeps (about 200 bytes
	// each), so a flood of addresses or made-up keys cannot grow memory
	// without bound; past it the least recently used bucket goes, which
	// at worst gives that client a full bucket again.
	maxBuckets = 10_000
	// webhookConcurrency caps the SendGrid webhook posts one API process
	// works on at once. SendGrid posts a batch at a time per sender and
	// retries refused posts, so a few slots keep up with it, and slow or
	// stalled posts cannot pin more than these goroutines and buffers
	// (webhookConcurrency × sendgrid.MaxBatchBytes).
	webhookConcurrency = 8
	// webhookRetryAfter is what a post that finds every slot taken is
	// told; SendGrid retries on its own schedule anyway.
	webhookRetryAfter = 10 * time.Second
)

// guard holds a Server's limits.
type guard struct {
	keys, addrs         *buckets // nil: no limit
	keyLimit, addrLimit RateLimit
	proxies             []netip.Prefix
	webhook             chan struct{}
	// routes is the route table; public names those of its routes that
	// take no API key, read once.
	routes     func() []route
	publicOnce sync.Once
	public     map[string]bool
}

func newGuard(cfg Config, table func() []route) *guard {
	return &guard{
		keys: newBuckets(cfg.RateLimitKey), addrs: newBuckets(cfg.RateLimitPublic),
		keyLimit: cfg.RateLimitKey, addrLimit: cfg.RateLimitPublic,
		proxies: cfg.TrustedProxies, webhook: make(chan struct{}, webhookConcurrency),
		routes: table,
	}
}

// isPublic says whether the route named name takes no API key.
func (g *guard) isPublic(name string) bool {
	g.publicOnce.Do(func() {
		g.public = map[string]bool{}
		for _, rt := range g.routes() {
			if rt.Roles == nil {
				g.public[rt.Method+" "+rt.Path] = true
			}
		}
	})
	return g.public[name]
}

// admit takes a token for r, or answers 429 and reports false. A request
// with an API key on a route that takes one draws on that key's bucket
// (keyed before the key is looked up, so made-up keys cost no more than
// real ones); every other request, on public routes and unmatched paths
// alike, on its client address's.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) bool {
	g := s.guard
	name := ""
	if cur := mux.CurrentRoute(r); cur != nil {
		name = cur.GetName()
	}
	b, key, limit, who := g.addrs, "", g.addrLimit, "this client address"
	if token := bearerToken(r); token != "" && name != "" && !g.isPublic(name) {
		sum := sha256.Sum256([]byte(token))
		b, key, limit, who = g.keys, string(sum[:]), g.keyLimit, "this API key"
	} else if b != nil {
		key = addressKey(g.clientAddr(r))
	}
	if b == nil {
		return true
	}
	wait, ok := b.take(key)
	if ok {
		return true
	}
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.problem(w, r, http.StatusTooManyRequests,
		fmt.Sprintf("%s sent more requests than it may (%g a second, %d at once); try again in %d s", who, limit.Rate, limit.Burst, secs), nil)
	return false
}

// bearerToken is the API key of an "Authorization: Bearer" header, or "".
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// clientAddr is the address r came from: its peer's, or, when the peer is
// a trusted proxy, the last hop of X-Forwarded-For, the one that proxy
// added (passing over hops that are trusted proxies too, as in a load
// balancer in front of the Ingress). Earlier hops are the client's to
// write and prove nothing.
func (g *guard) clientAddr(r *http.Request) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !peer.IsValid() || !g.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := parseAddr(strings.TrimSpace(hops[i]))
		if !hop.IsValid() {
			return peer
		}
		if !g.trusted(hop) || i == 0 {
			return hop
		}
	}
	return peer
}

func (g *guard) trusted(a netip.Addr) bool {
	for _, p := range g.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr reads "host:port" or a bare address; the zero Addr when it is
// neither.
func parseAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// addressKey is the bucket of a client address. An IPv6 client gets a
// whole /64 (one subscriber's usual share), or it would have a new bucket
// for every request.
func addressKey(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is6():
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// buckets are token buckets by key, at most maxBuckets of them, most
// recently used first.
type buckets struct {
	limit rate.Limit
	burst int
	// refill is how long an unused bucket takes to fill up again: one
	// unused for longer is forgotten without changing anything.
	refill time.Duration
	mu     sync.Mutex
	byKey  map[string]*list.Element
	lru    list.List
}

type bucket struct {
	key  string
	lim  *rate.Limiter
	used time.Time
}

// newBuckets returns buckets for l, or nil when l is no limit.
func newBuckets(l RateLimit) *buckets {
	if l.off() {
		return nil
	}
	burst := max(1, l.Burst)
	return &buckets{limit: rate.Limit(l.Rate), burst: burst, byKey: map[string]*list.Element{},
		refill: time.Duration(float64(burst)/l.Rate*float64(time.Second)) + time.Second}
}

// take takes a token from key's bucket; when there is none, it says how
// long until there is.
func (b *buckets) take(key string) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	var bk *bucket
	if e, ok := b.byKey[key]; ok {
		b.lru.MoveToFront(e)
		bk = e.Value.(*bucket)
	} else {
		b.forget(now)
		bk = &bucket{key: key, lim: rate.NewLimiter(b.limit, b.burst)}
		b.byKey[key] = b.lru.PushFront(bk)
	}
	bk.used = now
	res := bk.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

// forget drops the buckets that are full again, and the least recently
// used while there are too many.
func (b *buckets) forget(now time.Time) {
	for e := b.lru.Back(); e != nil; e = b.lru.Back() {
		bk := e.Value.(*bucket)
		if len(b.byKey) < maxBuckets && now.Sub(bk.used) < b.refill {
			return
		}
		b.lru.Remove(e)
		delete(b.byKey, bk.key)
	}
}

// size is how many buckets b keeps.
func (b *buckets) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byKey)
}

// takeWebhookSlot takes one of the webhook's slots without waiting.
func (g *guard) takeWebhookSlot() (release func(), ok bool) {
	select {
	case g.webhook <- struct{}{}:
		return func() { <-g.webhook }, true
	default:
		return nil, false
	}
}

// secureHeaders sets the headers every answer carries: on the routes and
// off them (404s, 405s, the redirects of unclean paths), so they sit
// outside the router.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// No browser may guess a type: a problem document or a page that
		// echoes input must never run as HTML or script.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}
