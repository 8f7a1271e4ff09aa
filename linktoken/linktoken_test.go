package linktoken

import (
	"encoding/base64"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func key(t testing.TB, id string) Key {
	t.Helper()
	k, err := GenerateKey(id)
	require.NoError(t, err)
	return k
}

func signer(t testing.TB, keys ...Key) *Signer {
	t.Helper()
	s, err := NewSigner(keys...)
	require.NoError(t, err)
	return s
}

func clickClaims() Claims {
	return Claims{
		Kind:      KindRedirect,
		RunID:     "ripen/erp-automation-crosssell/acme",
		ContactID: "acme-max",
		Step:      "checklist",
		Target:    "https://example.com/automation-checklist?utm_source=ripen&x=ä",
		Cycle:     1,
		Expires:   now.Add(90 * 24 * time.Hour),
	}
}

func TestRoundTrip(t *testing.T) {
	s := signer(t, key(t, "k1"))
	for name, c := range map[string]Claims{
		"click":        clickClaims(),
		"fast lane":    {Kind: KindFastLane, RunID: "ripen/j/c", ContactID: "c-1", Step: "wait-2", Target: "demo", Expires: now.Add(time.Hour)},
		"unsubscribe":  {Kind: KindUnsubscribe, RunID: "ripen/j/c", ContactID: "c-1", Expires: now.Add(time.Second)},
		"big cycle":    {Kind: KindRedirect, Cycle: 1 << 40, Expires: now.Add(time.Hour)},
		"empty fields": {Kind: "x", Expires: now.Add(time.Hour)},
	} {
		t.Run(name, func(t *testing.T) {
			token, err := s.Sign(c)
			require.NoError(t, err)
			got, err := s.Verify(token, now)
			require.NoError(t, err)
			c.Expires = c.Expires.Truncate(time.Second).UTC()
			assert.Equal(t, c, got)
		})
	}
}

func TestExpiresIsKeptToTheSecond(t *testing.T) {
	s := signer(t, key(t, "k1"))
	c := clickClaims()
	c.Expires = time.Date(2027, 1, 2, 3, 4, 5, 999_000_000, time.FixedZone("CET", 3600))
	token, err := s.Sign(c)
	require.NoError(t, err)
	got, err := s.Verify(token, now)
	require.NoError(t, err)
	assert.True(t, got.Expires.Equal(time.Date(2027, 1, 2, 2, 4, 5, 0, time.UTC)))
}

func TestTokensAreShortAndURLSafe(t *testing.T) {
	s := signer(t, key(t, "k1"))
	token, err := s.Sign(clickClaims())
	require.NoError(t, err)

	assert.Regexp(t, regexp.MustCompile(`^[A-Za-z0-9_-]+$`), token)
	assert.Equal(t, token, url.PathEscape(token))
	assert.Equal(t, token, url.QueryEscape(token))
	c := clickClaims()
	payload := len(c.Kind) + len(c.RunID) + len(c.ContactID) + len(c.Step) + len(c.Target)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(raw)-payload, 32, "overhead beyond the claims' own text: version, key ID, expiry, lengths, cycle and a 16-byte MAC")
	assert.Less(t, len(token), 200, "a click token with a 60-byte target URL: %d chars", len(token))

	unsub, err := s.Sign(Claims{Kind: KindUnsubscribe, RunID: "ripen/erp-automation-crosssell/acme", ContactID: "acme-max", Expires: now.Add(365 * 24 * time.Hour)})
	require.NoError(t, err)
	assert.LessOrEqual(t, len(unsub), 100, "an unsubscribe token: %d chars", len(unsub))
}

func TestTamperingWithAnyCharacterInvalidates(t *testing.T) {
	s := signer(t, key(t, "k1"))
	token, err := s.Sign(clickClaims())
	require.NoError(t, err)

	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range token {
		for _, c := range alphabet {
			if byte(c) == token[i] {
				continue
			}
			forged := token[:i] + string(c) + token[i+1:]
			_, err := s.Verify(forged, now)
			require.ErrorIs(t, err, ErrInvalid, "changing character %d to %q", i, c)
		}
	}
}

func TestTamperingWithAnyByteInvalidates(t *testing.T) {
	s := signer(t, key(t, "k1"))
	token, err := s.Sign(clickClaims())
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	require.NoError(t, err)
	for i := range raw {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			forged := append([]byte(nil), raw...)
			forged[i] ^= flip
			_, err := s.Verify(base64.RawURLEncoding.EncodeToString(forged), now)
			require.ErrorIs(t, err, ErrInvalid, "byte %d ^ %#x", i, flip)
		}
	}
}

func TestMalformedTokensAreInvalid(t *testing.T) {
	s := signer(t, key(t, "k1"))
	token, err := s.Sign(clickClaims())
	require.NoError(t, err)

	for name, bad := range map[string]string{
		"empty":           "",
		"truncated":       token[:len(token)-1],
		"half":            token[:len(token)/2],
		"extended":        token + "A",
		"padded":          token + "==",
		"standard base64": strings.NewReplacer("-", "+", "_", "/").Replace(token) + "+",
		"spaces":          " " + token,
		"dot separated":   token[:10] + "." + token[10:],
		"huge":            strings.Repeat("A", MaxTokenLength+1),
		"short garbage":   "AAAA",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.Verify(bad, now)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestExpiry(t *testing.T) {
	s := signer(t, key(t, "k1"))
	c := clickClaims()
	c.Expires = now.Add(time.Hour)
	token, err := s.Sign(c)
	require.NoError(t, err)

	_, err = s.Verify(token, now.Add(59*time.Minute))
	require.NoError(t, err)

	got, err := s.Verify(token, now.Add(time.Hour))
	require.ErrorIs(t, err, ErrExpired, "expired at the expiry instant")
	assert.NotErrorIs(t, err, ErrInvalid)
	assert.Equal(t, c.RunID, got.RunID, "an expired token still says whose it is")

	_, err = s.Verify(token, now.Add(24*time.Hour))
	require.ErrorIs(t, err, ErrExpired)
}

func TestKeyRotation(t *testing.T) {
	k1, k2 := key(t, "k1"), key(t, "k2")
	old := signer(t, k1)
	oldToken, err := old.Sign(clickClaims())
	require.NoError(t, err)

	rotated := signer(t, k2, k1)
	_, err = rotated.Verify(oldToken, now)
	require.NoError(t, err, "a token signed with the old key verifies after a new key is added")

	newToken, err := rotated.Sign(clickClaims())
	require.NoError(t, err)
	_, err = rotated.Verify(newToken, now)
	require.NoError(t, err)
	_, err = old.Verify(newToken, now)
	require.ErrorIs(t, err, ErrInvalid, "the newest key signs")

	retired := signer(t, k2)
	_, err = retired.Verify(oldToken, now)
	require.ErrorIs(t, err, ErrInvalid, "a removed key no longer verifies")
	_, err = retired.Verify(newToken, now)
	require.NoError(t, err)

	impostor := signer(t, key(t, "k1")) // same ID, other secret
	_, err = impostor.Verify(oldToken, now)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestVerifyKind(t *testing.T) {
	s := signer(t, key(t, "k1"))
	token, err := s.Sign(clickClaims())
	require.NoError(t, err)

	_, err = s.VerifyKind(token, KindRedirect, now)
	require.NoError(t, err)
	_, err = s.VerifyKind(token, KindUnsubscribe, now)
	require.ErrorIs(t, err, ErrInvalid, "a click link cannot unsubscribe")

	c, err := s.VerifyKind(token, KindRedirect, now.Add(1000*24*time.Hour))
	require.ErrorIs(t, err, ErrExpired)
	assert.Equal(t, KindRedirect, c.Kind)
	_, err = s.VerifyKind(token, KindFastLane, now.Add(1000*24*time.Hour))
	require.ErrorIs(t, err, ErrInvalid)
}

func TestSignRefusesIncompleteClaims(t *testing.T) {
	s := signer(t, key(t, "k1"))
	for name, mutate := range map[string]func(*Claims){
		"no kind":        func(c *Claims) { c.Kind = "" },
		"no expiry":      func(c *Claims) { c.Expires = time.Time{} },
		"expiry at 1970": func(c *Claims) { c.Expires = time.Unix(0, 0) },
		"negative cycle": func(c *Claims) { c.Cycle = -1 },
		"too long":       func(c *Claims) { c.Target = "https://example.com/" + strings.Repeat("x", MaxTokenLength) },
	} {
		t.Run(name, func(t *testing.T) {
			c := clickClaims()
			mutate(&c)
			_, err := s.Sign(c)
			require.Error(t, err)
		})
	}
}

func TestParseKeys(t *testing.T) {
	k1, k2 := key(t, "k1"), key(t, "k2")
	cfg := FormatKeys(k2, k1)
	assert.True(t, strings.HasPrefix(cfg, "k2:"))

	s, err := ParseKeys(cfg)
	require.NoError(t, err)
	token, err := s.Sign(clickClaims())
	require.NoError(t, err)
	_, err = signer(t, k2).Verify(token, now)
	require.NoError(t, err, "the first key signs")

	oldToken, err := signer(t, k1).Sign(clickClaims())
	require.NoError(t, err)
	_, err = s.Verify(oldToken, now)
	require.NoError(t, err, "every key verifies")

	urlSafe := " k3:" + base64.RawURLEncoding.EncodeToString(k1.Secret) + " , k1:" + base64.StdEncoding.EncodeToString(k1.Secret) + ","
	_, err = ParseKeys(urlSafe)
	require.NoError(t, err, "URL base64 without padding and blanks are fine")

	for name, bad := range map[string]string{
		"empty":          "",
		"only commas":    ",,",
		"no colon":       "k1",
		"not base64":     "k1:***",
		"short secret":   "k1:" + base64.StdEncoding.EncodeToString([]byte("short")),
		"empty id":       ":" + base64.StdEncoding.EncodeToString(k1.Secret),
		"bad id":         "k/1:" + base64.StdEncoding.EncodeToString(k1.Secret),
		"duplicate id":   FormatKeys(k1, Key{ID: "k1", Secret: k2.Secret}),
		"long id":        strings.Repeat("k", 17) + ":" + base64.StdEncoding.EncodeToString(k1.Secret),
		"secret in a id": "k1=" + base64.StdEncoding.EncodeToString(k1.Secret),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKeys(bad)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), base64.StdEncoding.EncodeToString(k1.Secret), "errors must not print secrets")
		})
	}
}

func TestSignerCopiesKeys(t *testing.T) {
	k := key(t, "k1")
	s := signer(t, k)
	token, err := s.Sign(clickClaims())
	require.NoError(t, err)
	k.Secret[0] ^= 1
	_, err = s.Verify(token, now)
	require.NoError(t, err)
}

func FuzzVerify(f *testing.F) {
	s := signer(f, Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")})
	for _, c := range []Claims{clickClaims(), {Kind: KindUnsubscribe, Expires: now.Add(time.Hour)}} {
		token, err := s.Sign(c)
		require.NoError(f, err)
		f.Add(token)
		f.Add(token[:len(token)-2])
	}
	f.Add("")
	f.Add("AQJrMQ")
	f.Add("AQJrMf____________________________________8")
	f.Fuzz(func(t *testing.T, token string) {
		for _, at := range []time.Time{now, now.Add(1000 * 24 * time.Hour)} {
			c, err := s.Verify(token, at)
			switch {
			case err == nil, errors.Is(err, ErrExpired):
				// Only an authentic token gets here: it must be exactly what
				// Sign makes of its claims.
				again, signErr := s.Sign(c)
				if signErr != nil || again != token {
					t.Fatalf("verified %q is not canonical (re-signed %q, %v)", token, again, signErr)
				}
			case errors.Is(err, ErrInvalid):
				if c != (Claims{}) {
					t.Fatalf("invalid token returned claims %+v", c)
				}
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}

func FuzzSignVerify(f *testing.F) {
	s := signer(f, Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")})
	f.Add("r", "ripen/j/c", "c-1", "step", "https://example.com/x", 3, int64(1_800_000_000))
	f.Fuzz(func(t *testing.T, kind, run, contact, step, target string, cycle int, expires int64) {
		c := Claims{Kind: kind, RunID: run, ContactID: contact, Step: step, Target: target, Cycle: cycle, Expires: time.Unix(expires, 0).UTC()}
		token, err := s.Sign(c)
		if err != nil {
			return
		}
		got, err := s.Verify(token, time.Unix(0, 0))
		if err != nil && !errors.Is(err, ErrExpired) {
			t.Fatalf("own token does not verify: %v", err)
		}
		if got != c {
			t.Fatalf("round trip: got %+v, want %+v", got, c)
		}
	})
}

func TestAHandoffLinkNamesItsHandoffAndOpensNothingElse(t *testing.T) {
	s := signer(t, key(t, "k1"))
	token, err := s.Sign(Handoff("3f2a-handoff", now.Add(30*24*time.Hour)))
	require.NoError(t, err)
	c, err := s.VerifyKind(token, KindHandoff, now)
	require.NoError(t, err)
	assert.Equal(t, "3f2a-handoff", c.Target)
	_, err = s.VerifyKind(token, KindFastLane, now)
	require.ErrorIs(t, err, ErrInvalid, "a hand-off link is no fast-lane link")
	c, err = s.VerifyKind(token, KindHandoff, now.Add(31*24*time.Hour))
	require.ErrorIs(t, err, ErrExpired)
	assert.Equal(t, "3f2a-handoff", c.Target, "an expired link still names its hand-off, for a fresh one")
}
