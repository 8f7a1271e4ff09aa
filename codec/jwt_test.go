package codec_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/codec"
)

var b64 = base64.RawURLEncoding

// issuer is a stand-in identity provider: it signs tokens with its own keys
// and publishes the public halves as a JWKS (and, optionally, an OIDC
// discovery document).
type issuer struct {
	srv    *httptest.Server
	rsa    *rsa.PrivateKey
	ec     *ecdsa.PrivateKey
	served atomic.Int32 // JWKS fetches
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	iss := &issuer{rsa: rk, ec: ek}
	mux := http.NewServeMux()
	mux.HandleFunc("/keys", func(w http.ResponseWriter, _ *http.Request) {
		iss.served.Add(1)
		point, err := ek.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		ecX, ecY := point[1:33], point[33:65]
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{
			{"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256",
				"n": b64.EncodeToString(rk.PublicKey.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(rk.PublicKey.E)).Bytes())},
			{"kty": "EC", "kid": "ec-1", "use": "sig", "alg": "ES256", "crv": "P-256",
				"x": b64.EncodeToString(ecX), "y": b64.EncodeToString(ecY)},
		}})
	})
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss.srv.URL, "jwks_uri": iss.srv.URL + "/keys",
			"authorization_endpoint": iss.srv.URL + "/auth", "token_endpoint": iss.srv.URL + "/token",
		})
	})
	iss.srv = httptest.NewServer(mux)
	t.Cleanup(iss.srv.Close)
	return iss
}

// token signs claims: alg RS256 or ES256 with the issuer's key of that kind;
// key overrides the RSA key (a forger's own key under the issuer's kid).
func (iss *issuer) token(t *testing.T, alg string, claims map[string]any, key *rsa.PrivateKey) string {
	t.Helper()
	kid := map[string]string{"RS256": "rsa-1", "ES256": "ec-1"}[alg]
	head, err := json.Marshal(map[string]string{"alg": alg, "typ": "JWT", "kid": kid})
	require.NoError(t, err)
	body, err := json.Marshal(claims)
	require.NoError(t, err)
	signed := b64.EncodeToString(head) + "." + b64.EncodeToString(body)
	digest := sha256.Sum256([]byte(signed))
	var sig []byte
	switch alg {
	case "RS256":
		if key == nil {
			key = iss.rsa
		}
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
		require.NoError(t, err)
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, iss.ec, digest[:])
		require.NoError(t, err)
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	return signed + "." + b64.EncodeToString(sig)
}

func (iss *issuer) claims(extra map[string]any) map[string]any {
	c := map[string]any{
		"iss": iss.srv.URL, "aud": []string{"ripen-codec", "other"}, "sub": "user-1",
		"email": "ops@example.com", "groups": []string{"temporal-admins"},
		"iat": time.Now().Add(-time.Minute).Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, codec.DecodePath, nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

func TestJWTAuthorizerAcceptsOnlyTheIssuersTokensForTheAudience(t *testing.T) {
	iss := newIssuer(t)
	a, err := codec.NewJWTAuthorizer(context.Background(), codec.JWTConfig{
		Issuer: iss.srv.URL, Audience: "ripen-codec", JWKSURL: iss.srv.URL + "/keys",
	})
	require.NoError(t, err)

	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	noneAlg := b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		b64.EncodeToString(must(json.Marshal(iss.claims(nil)))) + "."

	for name, c := range map[string]struct {
		token string
		ok    bool
	}{
		"a valid RS256 token":           {iss.token(t, "RS256", iss.claims(nil), nil), true},
		"a valid ES256 token":           {iss.token(t, "ES256", iss.claims(nil), nil), true},
		"the audience as a plain value": {iss.token(t, "RS256", iss.claims(map[string]any{"aud": "ripen-codec"}), nil), true},
		"another audience":              {iss.token(t, "RS256", iss.claims(map[string]any{"aud": "temporal-ui"}), nil), false},
		"no audience":                   {iss.token(t, "RS256", iss.claims(map[string]any{"aud": nil}), nil), false},
		"another issuer":                {iss.token(t, "RS256", iss.claims(map[string]any{"iss": "https://evil.example"}), nil), false},
		"expired":                       {iss.token(t, "RS256", iss.claims(map[string]any{"exp": time.Now().Add(-time.Minute).Unix()}), nil), false},
		"forged with another key":       {iss.token(t, "RS256", iss.claims(nil), forger), false},
		"alg none":                      {noneAlg, false},
		"tampered claims": {func() string {
			parts := strings.Split(iss.token(t, "RS256", iss.claims(nil), nil), ".")
			parts[1] = b64.EncodeToString(must(json.Marshal(iss.claims(map[string]any{"email": "mallory@example.com"}))))
			return strings.Join(parts, ".")
		}(), false},
		"an API key, not a JWT": {"rk_live_0123456789", false},
	} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, c.ok, a.Authorize(bearer(c.token)))
		})
	}

	r := httptest.NewRequest(http.MethodPost, codec.DecodePath, nil)
	require.False(t, a.Authorize(r), "no Authorization header")
	r.Header.Set("Authorization", "Basic "+iss.token(t, "RS256", iss.claims(nil), nil))
	require.False(t, a.Authorize(r), "not a bearer token")
}

func TestJWTAuthorizerDiscoversTheKeysAndNarrowsByClaims(t *testing.T) {
	iss := newIssuer(t)
	a, err := codec.NewJWTAuthorizer(context.Background(), codec.JWTConfig{
		Issuer: iss.srv.URL, Audience: "ripen-codec", Allow: "email=ana@example.com, groups=temporal-admins",
	})
	require.NoError(t, err)
	require.True(t, a.Authorize(bearer(iss.token(t, "RS256", iss.claims(nil), nil))), "in the group")
	require.True(t, a.Authorize(bearer(iss.token(t, "RS256", iss.claims(map[string]any{"groups": nil, "email": "ana@example.com"}), nil))), "the listed email")
	err = a.Verify(context.Background(), iss.token(t, "RS256", iss.claims(map[string]any{"groups": []string{"sales"}}), nil))
	require.ErrorContains(t, err, "RIPEN_CODEC_JWT_ALLOW")
	require.Positive(t, iss.served.Load(), "the keys came from the discovered jwks_uri")
}

func TestJWTAuthorizerConfigMistakes(t *testing.T) {
	iss := newIssuer(t)
	ctx := context.Background()
	_, err := codec.NewJWTAuthorizer(ctx, codec.JWTConfig{Issuer: iss.srv.URL})
	require.ErrorContains(t, err, "RIPEN_CODEC_JWT_AUDIENCE")
	_, err = codec.NewJWTAuthorizer(ctx, codec.JWTConfig{Issuer: iss.srv.URL, Audience: "a", Allow: "email"})
	require.ErrorContains(t, err, "RIPEN_CODEC_JWT_ALLOW")
	_, err = codec.NewJWTAuthorizer(ctx, codec.JWTConfig{Issuer: iss.srv.URL + "/nowhere", Audience: "a"})
	require.ErrorContains(t, err, "RIPEN_CODEC_JWKS_URL")
}

func TestTheEndpointTakesTheUIsAccessToken(t *testing.T) {
	iss := newIssuer(t)
	a, err := codec.NewJWTAuthorizer(context.Background(), codec.JWTConfig{
		Issuer: iss.srv.URL, Audience: "ripen-codec", JWKSURL: iss.srv.URL + "/keys",
	})
	require.NoError(t, err)
	c, err := codec.New("k1:" + base64.StdEncoding.EncodeToString(make([]byte, 32)))
	require.NoError(t, err)
	require.Nil(t, c.Authorizer())
	c.SetAuthorizer(a)
	require.Same(t, a, c.Authorizer())
	h := codec.Handler(c, "https://temporal.example.com", c.Authorizer().Authorize)

	post := func(token string) int {
		r := httptest.NewRequest(http.MethodPost, codec.DecodePath, strings.NewReader(`{"payloads":[]}`))
		r.Header.Set("Origin", "https://temporal.example.com")
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	require.Equal(t, http.StatusOK, post(iss.token(t, "RS256", iss.claims(nil), nil)))
	require.Equal(t, http.StatusUnauthorized, post(iss.token(t, "RS256", iss.claims(map[string]any{"aud": "x"}), nil)))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
