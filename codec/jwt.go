package codec

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Authorizer decides whether a request may use the codec endpoint.
type Authorizer interface {
	Authorize(*http.Request) bool
}

// SetAuthorizer makes a the codec endpoint's own authorizer (e.g. a
// JWTAuthorizer for the Web UI's access token). The API consults it before
// its API keys. Call it before serving.
func (c *Codec) SetAuthorizer(a Authorizer) { c.auth = a }

// Authorizer is the authorizer SetAuthorizer set, or nil (also for a nil
// Codec).
func (c *Codec) Authorizer() Authorizer {
	if c == nil {
		return nil
	}
	return c.auth
}

// JWTConfig says which bearer tokens may use the codec: the access token the
// Temporal Web UI forwards (self-hosted UI with OIDC and
// TEMPORAL_CODEC_PASS_ACCESS_TOKEN, or Temporal Cloud with
// --pass-access-token).
type JWTConfig struct {
	// Issuer must equal the tokens' iss claim.
	Issuer string
	// Audience must be one of the tokens' aud values.
	Audience string
	// JWKSURL is where the issuer publishes its signing keys; empty
	// discovers it from Issuer + "/.well-known/openid-configuration".
	JWKSURL string
	// Allow, "claim=value,claim=value", admits a token when any listed
	// claim holds the value (or, for a list claim such as groups, contains
	// it). Empty admits every verified token.
	Allow string
	// HTTPClient fetches discovery and keys (nil: a client with a 10 s
	// timeout).
	HTTPClient *http.Client
	// Now is the clock for expiry (nil: time.Now).
	Now func() time.Time
}

// JWTAuthorizer admits requests whose Authorization: Bearer token is a JWT
// signed by the issuer's keys (fetched from its JWKS and refreshed when an
// unknown key ID turns up), issued by Issuer, for Audience, not expired,
// and matching Allow.
type JWTAuthorizer struct {
	verifier *oidc.IDTokenVerifier
	allow    map[string][]string
	client   *http.Client
}

// signingAlgs are the asymmetric algorithms accepted; go-oidc would accept
// RS256 only by default, and a symmetric one would let anyone holding the
// JWKS forge tokens.
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA,
}

// NewJWTAuthorizer checks c and, without JWKSURL, runs OIDC discovery on
// the issuer (so a wrong issuer fails at start-up, not on first use).
func NewJWTAuthorizer(ctx context.Context, c JWTConfig) (*JWTAuthorizer, error) {
	if c.Issuer == "" || c.Audience == "" {
		return nil, errors.New("codec JWT auth needs an issuer (RIPEN_CODEC_JWT_ISSUER) and an audience (RIPEN_CODEC_JWT_AUDIENCE)")
	}
	allow, err := parseAllow(c.Allow)
	if err != nil {
		return nil, err
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	cfg := &oidc.Config{ClientID: c.Audience, SupportedSigningAlgs: signingAlgs, Now: c.Now}
	// The key set keeps this context for its later fetches (without its
	// cancellation), so it carries the HTTP client.
	keyCtx := oidc.ClientContext(context.Background(), hc)
	a := &JWTAuthorizer{allow: allow, client: hc}
	if c.JWKSURL != "" {
		a.verifier = oidc.NewVerifier(c.Issuer, oidc.NewRemoteKeySet(keyCtx, c.JWKSURL), cfg)
		return a, nil
	}
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, hc), 15*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover the signing keys of %s (set RIPEN_CODEC_JWKS_URL if it publishes no /.well-known/openid-configuration): %w", c.Issuer, err)
	}
	var meta struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil || meta.JWKSURL == "" {
		return nil, fmt.Errorf("%s publishes no jwks_uri: set RIPEN_CODEC_JWKS_URL", c.Issuer)
	}
	a.verifier = oidc.NewVerifier(c.Issuer, oidc.NewRemoteKeySet(keyCtx, meta.JWKSURL), cfg)
	return a, nil
}

// Authorize implements Authorizer.
func (a *JWTAuthorizer) Authorize(r *http.Request) bool {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return a.Verify(r.Context(), strings.TrimSpace(token)) == nil
}

// Verify checks one token and says why it is refused.
func (a *JWTAuthorizer) Verify(ctx context.Context, token string) error {
	if strings.Count(token, ".") != 2 {
		return errors.New("not a JWT")
	}
	idt, err := a.verifier.Verify(oidc.ClientContext(ctx, a.client), token)
	if err != nil {
		return err
	}
	if len(a.allow) == 0 {
		return nil
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return err
	}
	for name, values := range a.allow {
		for _, want := range values {
			if claimHolds(claims[name], want) {
				return nil
			}
		}
	}
	return errors.New("the token's claims match none of RIPEN_CODEC_JWT_ALLOW")
}

func claimHolds(v any, want string) bool {
	switch v := v.(type) {
	case string:
		return v == want
	case bool:
		return fmt.Sprint(v) == want
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}

func parseAllow(s string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || value == "" {
			return nil, fmt.Errorf("RIPEN_CODEC_JWT_ALLOW %q: want claim=value[,claim=value…], e.g. email=ops@example.com,groups=temporal-admins", part)
		}
		out[name] = append(out[name], value)
	}
	return out, nil
}
