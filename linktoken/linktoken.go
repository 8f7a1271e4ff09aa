// Package linktoken makes and checks the tokens of ripen's public links
// (/r/ tracked clicks, /f/ fast-lane requests, /u/ unsubscribes, /h/
// hand-off pages for the account owner): short,
// URL-safe, expiring and HMAC-signed, with key rotation.
//
// A token carries its claims in the clear (base64url, not encrypted): never
// put personal data such as email addresses in Claims, only IDs. The package
// knows nothing of journeys, HTTP or storage.
package linktoken

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kinds of link.
const (
	KindRedirect    = "r" // tracked click: Target is the content URL
	KindFastLane    = "f" // fast-lane request: Target is the offer
	KindUnsubscribe = "u" // unsubscribe
	// KindTrap is an email's hidden link, served at /r/ like a tracked
	// click so that nothing tells it apart from outside: people never see
	// it, so whatever follows it is a machine scanning the email. Target is
	// the content URL, where it leads like the visible link.
	KindTrap = "t"
	// KindHandoff opens a hand-off's page for its account owner, who
	// answers it there without an API key: Target is the hand-off's ID.
	KindHandoff = "h"
	// KindVisitor is the rpn parameter a tracked link adds when it leads
	// to a registered website: ripen's script there trades it for the
	// visitor's identity. RunID and ContactID are the link's.
	KindVisitor = "v"
)

// DefaultHandoffTTL is how long a hand-off page's link works unless
// configured otherwise: long enough for a rep back from holiday, short
// enough that an old forwarded email stops answering hand-offs.
const DefaultHandoffTTL = 30 * 24 * time.Hour

// Handoff is the claims of a hand-off page's link.
func Handoff(handoffID string, expires time.Time) Claims {
	return Claims{Kind: KindHandoff, Target: handoffID, Expires: expires}
}

var (
	// ErrInvalid is wrapped by every Verify failure other than expiry: a
	// forged, altered, truncated or garbled token, or one signed with a key
	// that is no longer configured.
	ErrInvalid = errors.New("linktoken: invalid token")
	// ErrExpired means the token is authentic but its expiry has passed.
	ErrExpired = errors.New("linktoken: token expired")
)

const (
	version = 1
	macSize = 16 // HMAC-SHA256 truncated to 128 bits
	// MaxTokenLength bounds a token in characters; Sign refuses longer ones
	// and Verify rejects them unread.
	MaxTokenLength = 2048
	// MinSecretLength is the shortest accepted key secret, in bytes.
	MinSecretLength = 16
	maxKeyIDLength  = 16
)

// Claims are what a link token says.
type Claims struct {
	Kind      string // KindRedirect, KindTrap, KindFastLane, KindUnsubscribe or KindHandoff
	RunID     string // workflow ID, e.g. ripen/{journey}/{customer}
	ContactID string
	Step      string
	Target    string // a URL for KindRedirect, an offer for KindFastLane, a hand-off ID for KindHandoff
	Cycle     int
	// Expires is when the token stops verifying; it is kept to the second.
	Expires time.Time
}

// Key is one HMAC key. ID names it inside tokens, so old tokens find their
// key after rotation.
type Key struct {
	ID     string
	Secret []byte
}

// GenerateKey returns a new key with a random 32-byte secret.
func GenerateKey(id string) (Key, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("generate link key: %w", err)
	}
	k := Key{ID: id, Secret: secret}
	return k, k.validate()
}

func (k Key) validate() error {
	if k.ID == "" || len(k.ID) > maxKeyIDLength {
		return fmt.Errorf("link key ID %q must be 1 to %d characters", k.ID, maxKeyIDLength)
	}
	for _, r := range k.ID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("link key ID %q may hold only letters, digits, '-', '_' and '.'", k.ID)
		}
	}
	if len(k.Secret) < MinSecretLength {
		return fmt.Errorf("link key %q: secret must be at least %d bytes, got %d", k.ID, MinSecretLength, len(k.Secret))
	}
	return nil
}

// FormatKeys writes keys in the form ParseKeys reads:
// "k2:base64secret,k1:base64secret". The result is secret.
func FormatKeys(keys ...Key) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.ID + ":" + base64.StdEncoding.EncodeToString(k.Secret)
	}
	return strings.Join(parts, ",")
}

// Signer signs with its newest key and verifies with all of them. It is safe
// for concurrent use.
type Signer struct {
	keys []Key
	byID map[string][]byte
}

// ParseKeys reads keys from configuration, "k2:base64secret,k1:base64secret":
// the first key signs, every key verifies. Secrets may use standard or URL
// base64, with or without padding.
func ParseKeys(s string) (*Signer, error) {
	var keys []Key
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, secret, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("link key %q: want id:base64secret", truncate(part))
		}
		raw, err := decodeSecret(strings.TrimSpace(secret))
		if err != nil {
			return nil, fmt.Errorf("link key %q: secret is not base64", strings.TrimSpace(id))
		}
		keys = append(keys, Key{ID: strings.TrimSpace(id), Secret: raw})
	}
	return NewSigner(keys...)
}

// truncate keeps a malformed config entry from printing a whole secret.
func truncate(s string) string {
	if len(s) > 6 {
		return s[:6] + "…"
	}
	return s
}

func decodeSecret(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// NewSigner returns a Signer; keys[0] signs, all keys verify.
func NewSigner(keys ...Key) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errors.New("linktoken: no keys")
	}
	s := &Signer{byID: make(map[string][]byte, len(keys))}
	for _, k := range keys {
		if err := k.validate(); err != nil {
			return nil, fmt.Errorf("linktoken: %w", err)
		}
		if _, dup := s.byID[k.ID]; dup {
			return nil, fmt.Errorf("linktoken: key ID %q appears twice", k.ID)
		}
		secret := append([]byte(nil), k.Secret...)
		s.keys = append(s.keys, Key{ID: k.ID, Secret: secret})
		s.byID[k.ID] = secret
	}
	return s, nil
}

// Sign returns a token for c, signed with the newest key.
//
// Layout before base64url (no padding): version byte, key ID, expiry in unix
// seconds, kind, run, contact, step, target, cycle (strings length-prefixed,
// numbers as uvarints), then the first 16 bytes of HMAC-SHA256 over all of
// that.
func (s *Signer) Sign(c Claims) (string, error) {
	if c.Kind == "" {
		return "", errors.New("linktoken: sign: no kind")
	}
	if c.Cycle < 0 {
		return "", fmt.Errorf("linktoken: sign: negative cycle %d", c.Cycle)
	}
	if c.Expires.IsZero() || c.Expires.Unix() <= 0 {
		return "", errors.New("linktoken: sign: no expiry")
	}
	key := s.keys[0]
	b := make([]byte, 0, 64+len(c.RunID)+len(c.ContactID)+len(c.Step)+len(c.Target))
	b = append(b, version)
	b = appendString(b, key.ID)
	b = binary.AppendUvarint(b, uint64(c.Expires.Unix()))
	for _, f := range []string{c.Kind, c.RunID, c.ContactID, c.Step, c.Target} {
		b = appendString(b, f)
	}
	b = binary.AppendUvarint(b, uint64(c.Cycle))
	b = append(b, mac(key.Secret, b)...)
	token := base64.RawURLEncoding.EncodeToString(b)
	if len(token) > MaxTokenLength {
		return "", fmt.Errorf("linktoken: sign: token would be %d characters, limit %d", len(token), MaxTokenLength)
	}
	return token, nil
}

// Verify checks token and returns its claims. It fails with an error
// wrapping ErrInvalid unless the token is exactly as one of the Signer's
// keys signed it. An authentic token whose expiry is not after now gives
// its claims together with ErrExpired, so a caller may still honour, say,
// an old unsubscribe link.
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	if token == "" || len(token) > MaxTokenLength {
		return Claims{}, fmt.Errorf("%w: bad length", ErrInvalid)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: not base64url", ErrInvalid)
	}
	if len(raw) < 1+macSize {
		return Claims{}, fmt.Errorf("%w: too short", ErrInvalid)
	}
	body, sum := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	r := reader{b: body}
	if v := r.byte(); v != version {
		return Claims{}, fmt.Errorf("%w: unknown version", ErrInvalid)
	}
	secret, ok := s.byID[r.string()]
	if !ok || r.err {
		return Claims{}, fmt.Errorf("%w: unknown key", ErrInvalid)
	}
	if !hmac.Equal(sum, mac(secret, body)) {
		return Claims{}, fmt.Errorf("%w: bad signature", ErrInvalid)
	}

	expires := r.uvarint()
	c := Claims{
		Kind:      r.string(),
		RunID:     r.string(),
		ContactID: r.string(),
		Step:      r.string(),
		Target:    r.string(),
	}
	cycle := r.uvarint()
	if r.err || len(r.b) != 0 || expires == 0 || expires > 1<<62 || cycle > uint64(maxInt) {
		return Claims{}, fmt.Errorf("%w: malformed", ErrInvalid)
	}
	c.Cycle = int(cycle)
	c.Expires = time.Unix(int64(expires), 0).UTC()
	if !now.Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

// VerifyKind is Verify for one kind of link: a valid token of another kind
// is ErrInvalid, so an /r/ token cannot unsubscribe.
func (s *Signer) VerifyKind(token, kind string, now time.Time) (Claims, error) {
	c, err := s.Verify(token, now)
	if err != nil && !errors.Is(err, ErrExpired) {
		return Claims{}, err
	}
	if c.Kind != kind {
		return Claims{}, fmt.Errorf("%w: a %q link, not %q", ErrInvalid, c.Kind, kind)
	}
	return c, err
}

const maxInt = int(^uint(0) >> 1)

func mac(secret, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(body)
	return h.Sum(nil)[:macSize]
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// reader decodes the token body; after the first problem err is set and
// every read returns zero values.
type reader struct {
	b   []byte
	err bool
}

func (r *reader) byte() byte {
	if r.err || len(r.b) < 1 {
		r.err = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) uvarint() uint64 {
	if r.err {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err || n > uint64(len(r.b)) {
		r.err = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
