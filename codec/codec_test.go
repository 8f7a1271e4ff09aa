package codec_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/ripen/ripen/codec"
)

// newKey returns "id:base64(32 random bytes)".
func newKey(t *testing.T, id string) string {
	t.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return id + ":" + base64.StdEncoding.EncodeToString(b)
}

func mustCodec(t *testing.T, keys ...string) *codec.Codec {
	t.Helper()
	c, err := codec.New(strings.Join(keys, ","))
	require.NoError(t, err)
	return c
}

// payload is what the SDK's default converter makes of v.
func payload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	require.NoError(t, err)
	return p
}

func TestRoundTripRestoresThePayloadExactly(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	in := []*commonpb.Payload{
		payload(t, map[string]any{"customer_id": "acme", "score": 21}),
		payload(t, "max@acme.example"),
		payload(t, nil),
		payload(t, []byte{0, 1, 2}),
	}
	enc, err := c.Encode(in)
	require.NoError(t, err)
	require.Len(t, enc, len(in))
	for i, p := range enc {
		require.Equal(t, codec.Encoding, string(p.Metadata[codec.MetadataEncoding]))
		require.Equal(t, "k1", string(p.Metadata[codec.MetadataKeyID]))
		require.Equal(t, codec.Cipher, string(p.Metadata[codec.MetadataCipher]))
		require.False(t, bytes.Contains(p.Data, in[i].Data) && len(in[i].Data) > 4, "payload %d is not encrypted", i)
	}
	require.False(t, bytes.Contains(enc[1].Data, []byte("acme.example")), "plaintext leaks into the ciphertext")
	dec, err := c.Decode(enc)
	require.NoError(t, err)
	for i := range in {
		require.True(t, proto.Equal(in[i], dec[i]), "payload %d changed: %v -> %v", i, in[i], dec[i])
	}
}

func TestEncodingTwiceGivesDifferentCiphertexts(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	p := payload(t, "same")
	a, err := c.Encode([]*commonpb.Payload{p})
	require.NoError(t, err)
	b, err := c.Encode([]*commonpb.Payload{p})
	require.NoError(t, err)
	require.NotEqual(t, a[0].Data, b[0].Data, "the nonce must be random")
}

func TestRotationNewKeyEncryptsOldKeysStillDecrypt(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	old := mustCodec(t, k1)
	sealedOld, err := old.Encode([]*commonpb.Payload{payload(t, "before rotation")})
	require.NoError(t, err)

	rotated := mustCodec(t, k2, k1)
	require.Equal(t, "k2", rotated.KeyID())
	require.Equal(t, []string{"k2", "k1"}, rotated.KeyIDs())
	sealedNew, err := rotated.Encode([]*commonpb.Payload{payload(t, "after rotation")})
	require.NoError(t, err)
	require.Equal(t, "k2", string(sealedNew[0].Metadata[codec.MetadataKeyID]))

	both, err := rotated.Decode([]*commonpb.Payload{sealedOld[0], sealedNew[0]})
	require.NoError(t, err)
	var s1, s2 string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(both[0], &s1))
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(both[1], &s2))
	require.Equal(t, "before rotation", s1)
	require.Equal(t, "after rotation", s2)

	// A process that never got k2 cannot read what k2 sealed, and says why.
	_, err = old.Decode(sealedNew)
	require.ErrorIs(t, err, codec.ErrUnknownKey)
	require.Contains(t, err.Error(), `"k2"`)
}

func TestTamperedPayloadsFailToDecode(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"), newKey(t, "k0"))
	fresh := func() *commonpb.Payload {
		enc, err := c.Encode([]*commonpb.Payload{payload(t, map[string]int{"score": 10})})
		require.NoError(t, err)
		return enc[0]
	}
	for name, tamper := range map[string]func(p *commonpb.Payload){
		"flipped ciphertext bit": func(p *commonpb.Payload) { p.Data[len(p.Data)-20] ^= 1 },
		"flipped nonce bit":      func(p *commonpb.Payload) { p.Data[0] ^= 0x80 },
		"truncated":              func(p *commonpb.Payload) { p.Data = p.Data[:10] },
		"relabelled key":         func(p *commonpb.Payload) { p.Metadata[codec.MetadataKeyID] = []byte("k0") },
		"unknown cipher":         func(p *commonpb.Payload) { p.Metadata[codec.MetadataCipher] = []byte("ROT13") },
	} {
		t.Run(name, func(t *testing.T) {
			p := fresh()
			tamper(p)
			_, err := c.Decode([]*commonpb.Payload{p})
			require.Error(t, err)
		})
	}
}

func TestUnencryptedPayloadsPassThrough(t *testing.T) {
	// Histories recorded before encryption was turned on must still decode.
	c := mustCodec(t, newKey(t, "k1"))
	plain := []*commonpb.Payload{payload(t, "journey erp-automation"), payload(t, nil), {}}
	dec, err := c.Decode(plain)
	require.NoError(t, err)
	for i := range plain {
		require.Same(t, plain[i], dec[i])
	}
}

func TestDataConverterEncryptsWhatTheSDKWrites(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	dc := c.DataConverter(nil)
	p, err := dc.ToPayload(map[string]string{"email": "max@acme.example"})
	require.NoError(t, err)
	require.Equal(t, codec.Encoding, string(p.Metadata[codec.MetadataEncoding]))
	require.False(t, bytes.Contains(p.Data, []byte("acme")))
	var back map[string]string
	require.NoError(t, dc.FromPayload(p, &back))
	require.Equal(t, "max@acme.example", back["email"])
}

func TestNewRejectsBadKeys(t *testing.T) {
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	k1 := newKey(t, "k1")
	for name, keys := range map[string]string{
		"empty":          "",
		"only commas":    " , ",
		"no id":          ":" + strings.SplitN(k1, ":", 2)[1],
		"no colon":       "k1",
		"not base64":     "k1:!!!notbase64!!!",
		"AES-128 length": "k1:" + short,
		"duplicate id":   k1 + "," + k1,
		"odd id":         "k 1:" + strings.SplitN(k1, ":", 2)[1],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := codec.New(keys)
			require.Error(t, err)
			require.NotContains(t, err.Error(), strings.SplitN(k1, ":", 2)[1], "errors must not echo key material")
		})
	}
}

func TestNewAcceptsURLSafeAndUnpaddedKeys(t *testing.T) {
	b := make([]byte, 32)
	for i := range b {
		b[i] = 0xfb // encodes to '-' and '_' in URL-safe base64
	}
	c, err := codec.New(" a:" + base64.RawURLEncoding.EncodeToString(b) + " , b:" + base64.StdEncoding.EncodeToString(b))
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, c.KeyIDs())
	enc, err := c.Encode([]*commonpb.Payload{payload(t, 1)})
	require.NoError(t, err)
	_, err = c.Decode(enc)
	require.NoError(t, err)
	require.False(t, errors.Is(err, codec.ErrUnknownKey))
}

func TestFailureConverterSealsWhatAnErrorSays(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	fc := c.FailureConverter(nil)
	f := fc.ErrorToFailure(temporal.NewApplicationError(`check address "max@acme.example": connection refused`, "StoreDown"))
	require.NotContains(t, f.GetMessage(), "acme", "the message is sealed")
	require.NotContains(t, f.GetStackTrace(), "acme")
	attrs := f.GetEncodedAttributes()
	require.NotNil(t, attrs)
	require.Equal(t, codec.Encoding, string(attrs.Metadata[codec.MetadataEncoding]))
	require.False(t, bytes.Contains(attrs.Data, []byte("acme")))

	var app *temporal.ApplicationError
	require.ErrorAs(t, fc.FailureToError(f), &app)
	require.Equal(t, "StoreDown", app.Type(), "the type stays readable: callers match on it")
	require.Contains(t, app.Error(), "max@acme.example", "a process with the key reads it back")
}
