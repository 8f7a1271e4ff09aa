package sendgrid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Signer signs Event Webhook posts the way SendGrid does, with its own
// ECDSA P-256 key. The local SendGrid server and tests use it; production
// only verifies. It is safe for concurrent use.
type Signer struct {
	key *ecdsa.PrivateKey
}

// NewSigner returns a Signer with a fresh P-256 key.
func NewSigner() (*Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate webhook signing key: %w", err)
	}
	return &Signer{key: key}, nil
}

// ParseSigner restores a Signer from PrivateKeyBase64's output, so a local
// server can keep its key (and the verification key configured elsewhere)
// across restarts.
func ParseSigner(privateKeyBase64 string) (*Signer, error) {
	der, err := base64.StdEncoding.DecodeString(privateKeyBase64)
	if err != nil {
		return nil, fmt.Errorf("parse webhook signing key: not base64: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse webhook signing key: %w", err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("parse webhook signing key: not an ECDSA P-256 key")
	}
	return &Signer{key: key}, nil
}

// PrivateKeyBase64 returns the private key as base64 PKCS #8 DER, for
// ParseSigner. Keep it secret.
func (s *Signer) PrivateKeyBase64() (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		return "", fmt.Errorf("encode webhook signing key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// PublicKeyBase64 returns the verification key as SendGrid shows it: base64
// of the DER-encoded PKIX public key.
func (s *Signer) PublicKeyBase64() string {
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	if err != nil {
		// A P-256 public key always marshals.
		panic(fmt.Sprintf("sendgrid: marshal webhook public key: %v", err))
	}
	return base64.StdEncoding.EncodeToString(der)
}

// Sign returns the base64 ASN.1 ECDSA signature of timestamp followed by
// body, the value of SignatureHeader.
func (s *Signer) Sign(timestamp string, body []byte) (string, error) {
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(body)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, h.Sum(nil))
	if err != nil {
		return "", fmt.Errorf("sign webhook payload: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// SignRequest signs body as sent at now and sets SignatureHeader and
// TimestampHeader on r. body must be r's body, byte for byte.
func (s *Signer) SignRequest(r *http.Request, body []byte, now time.Time) error {
	ts := strconv.FormatInt(now.Unix(), 10)
	sig, err := s.Sign(ts, body)
	if err != nil {
		return err
	}
	r.Header.Set(SignatureHeader, sig)
	r.Header.Set(TimestampHeader, ts)
	return nil
}
