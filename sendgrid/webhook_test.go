package sendgrid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SendGrid's published example of a signed Event Webhook post (from its
// signature verification documentation), to prove we verify what SendGrid
// really sends: the body ends in "\r\n", and every byte counts.
const (
	sendgridExampleKey       = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
	sendgridExampleSignature = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
	sendgridExampleTimestamp = "1600112502"
	sendgridExampleBody      = `[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]` + "\r\n"
)

func TestVerifySignatureAcceptsSendGridsExample(t *testing.T) {
	require.NoError(t, VerifySignature(sendgridExampleKey, sendgridExampleSignature, sendgridExampleTimestamp, []byte(sendgridExampleBody)))

	events, err := ParseEvents([]byte(sendgridExampleBody))
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, "dropped", events[0].Event)
	assert.Equal(t, "LRzXl_NHStOGhQ4kofSm_A", events[0].MessageID())
	assert.Empty(t, events[0].CustomArgs)
}

func TestVerifySignature(t *testing.T) {
	signer, err := NewSigner()
	require.NoError(t, err)
	other, err := NewSigner()
	require.NoError(t, err)

	body := []byte(`[{"email":"max@acme.example","event":"open","sg_event_id":"e1","timestamp":1700000000}]`)
	ts := "1700000005"
	sig, err := signer.Sign(ts, body)
	require.NoError(t, err)
	otherSig, err := other.Sign(ts, body)
	require.NoError(t, err)

	tamperedBody := append([]byte(nil), body...)
	tamperedBody[10] ^= 1
	sigBytes, _ := base64.StdEncoding.DecodeString(sig)
	sigBytes[len(sigBytes)-1] ^= 1
	flippedSig := base64.StdEncoding.EncodeToString(sigBytes)

	tests := []struct {
		name           string
		sig, ts        string
		body           []byte
		wantErr        bool
		wantErrContain string
	}{
		{"valid post", sig, ts, body, false, ""},
		{"valid post with blank padding around the header", " " + sig + " ", ts, body, false, ""},
		{"changed body", sig, ts, tamperedBody, true, "does not match"},
		{"extra byte in body", sig, ts, append(append([]byte(nil), body...), '\n'), true, "does not match"},
		{"changed timestamp", sig, "1700000006", body, true, "does not match"},
		{"signature by another key", otherSig, ts, body, true, "does not match"},
		{"flipped signature bit", flippedSig, ts, body, true, "does not match"},
		{"missing signature", "", ts, body, true, "missing " + SignatureHeader},
		{"missing timestamp", sig, "", body, true, "missing " + TimestampHeader},
		{"signature not base64", "%%%not-base64%%%", ts, body, true, "not base64"},
		{"signature not DER", base64.StdEncoding.EncodeToString([]byte("garbage")), ts, body, true, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(signer.PublicKeyBase64(), tt.sig, tt.ts, tt.body)
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidSignature)
			assert.Contains(t, err.Error(), tt.wantErrContain)
		})
	}
}

func TestVerifySignatureRejectsBadKeys(t *testing.T) {
	rsaLike := base64.StdEncoding.EncodeToString([]byte("not a key"))
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	require.NoError(t, err)

	for name, key := range map[string]string{
		"empty":        "",
		"not base64":   "***",
		"not DER":      rsaLike,
		"wrong curve":  base64.StdEncoding.EncodeToString(der),
		"corrupt tail": sendgridExampleKey + "corrupt",
	} {
		t.Run(name, func(t *testing.T) {
			err := VerifySignature(key, sendgridExampleSignature, sendgridExampleTimestamp, []byte(sendgridExampleBody))
			require.ErrorIs(t, err, ErrInvalidPublicKey)
			_, err = NewVerifier(key, 0)
			require.ErrorIs(t, err, ErrInvalidPublicKey)
		})
	}
}

func TestNewVerifierAcceptsPEMAndWrappedBase64(t *testing.T) {
	der, err := base64.StdEncoding.DecodeString(sendgridExampleKey)
	require.NoError(t, err)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	wrapped := sendgridExampleKey[:40] + "\n" + sendgridExampleKey[40:] + "\n"

	for _, key := range []string{pemKey, wrapped} {
		v, err := NewVerifier(key, 0)
		require.NoError(t, err)
		require.NoError(t, v.Verify(sendgridExampleSignature, sendgridExampleTimestamp, []byte(sendgridExampleBody), time.Now()))
	}
}

func TestVerifierTolerance(t *testing.T) {
	signer, err := NewSigner()
	require.NoError(t, err)
	v, err := NewVerifier(signer.PublicKeyBase64(), 5*time.Minute)
	require.NoError(t, err)

	now := time.Unix(1_700_000_000, 0)
	body := []byte(`[]`)
	signAt := func(ts string) string {
		sig, err := signer.Sign(ts, body)
		require.NoError(t, err)
		return sig
	}

	tests := []struct {
		name    string
		ts      string
		wantErr bool
	}{
		{"fresh", strconv.FormatInt(now.Unix(), 10), false},
		{"four minutes old", strconv.FormatInt(now.Add(-4*time.Minute).Unix(), 10), false},
		{"slightly ahead", strconv.FormatInt(now.Add(30*time.Second).Unix(), 10), false},
		{"replayed an hour later", strconv.FormatInt(now.Add(-time.Hour).Unix(), 10), true},
		{"far in the future", strconv.FormatInt(now.Add(time.Hour).Unix(), 10), true},
		{"not unix seconds", "yesterday", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Verify(signAt(tt.ts), tt.ts, body, now)
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidSignature)
			require.ErrorIs(t, err, ErrTimestampOutOfRange)
		})
	}
}

func TestSignerRoundTrips(t *testing.T) {
	signer, err := NewSigner()
	require.NoError(t, err)

	priv, err := signer.PrivateKeyBase64()
	require.NoError(t, err)
	restored, err := ParseSigner(priv)
	require.NoError(t, err)
	assert.Equal(t, signer.PublicKeyBase64(), restored.PublicKeyBase64())

	_, err = ParseSigner("nope")
	require.Error(t, err)

	body := []byte(`[{"event":"delivered"}]`)
	req, err := http.NewRequest(http.MethodPost, "http://example.invalid/webhooks/sendgrid", nil)
	require.NoError(t, err)
	now := time.Unix(1_700_000_000, 0)
	require.NoError(t, restored.SignRequest(req, body, now))
	assert.Equal(t, "1700000000", req.Header.Get(TimestampHeader))

	v, err := NewVerifier(signer.PublicKeyBase64(), time.Minute)
	require.NoError(t, err)
	require.NoError(t, v.Verify(req.Header.Get(SignatureHeader), req.Header.Get(TimestampHeader), body, now))
}

func TestVerifierTakesSeveralKeys(t *testing.T) {
	local, err := NewSigner()
	require.NoError(t, err)
	stranger, err := NewSigner()
	require.NoError(t, err)
	v, err := NewVerifier(sendgridExampleKey+", "+local.PublicKeyBase64()+",", 0)
	require.NoError(t, err)

	require.NoError(t, v.Verify(sendgridExampleSignature, sendgridExampleTimestamp, []byte(sendgridExampleBody), time.Now()), "SendGrid's key")
	body := []byte(`[{"event":"open"}]` + "\r\n")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig, err := local.Sign(ts, body)
	require.NoError(t, err)
	require.NoError(t, v.Verify(sig, ts, body, time.Now()), "the local server's key")
	sig, err = stranger.Sign(ts, body)
	require.NoError(t, err)
	require.ErrorIs(t, v.Verify(sig, ts, body, time.Now()), ErrInvalidSignature, "any other key")

	_, err = NewVerifier(sendgridExampleKey+",***", 0)
	require.ErrorIs(t, err, ErrInvalidPublicKey)
	require.ErrorContains(t, err, "key 2 of 2")
	_, err = NewVerifier(" , ", 0)
	require.ErrorIs(t, err, ErrInvalidPublicKey)
}
