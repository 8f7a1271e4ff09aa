package sendgrid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Headers of a signed Event Webhook post.
const (
	SignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	TimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

var (
	// ErrInvalidSignature is wrapped by every verification failure caused by
	// the request: a missing, garbled or mismatching signature or timestamp.
	// Answer it with 401.
	ErrInvalidSignature = errors.New("sendgrid webhook: invalid signature")
	// ErrTimestampOutOfRange is wrapped, together with ErrInvalidSignature,
	// when a correctly signed post is older (or further in the future) than
	// the allowed tolerance: a replay.
	ErrTimestampOutOfRange = errors.New("sendgrid webhook: timestamp out of range")
	// ErrInvalidPublicKey means the configured verification key is not a
	// base64 DER (PKIX) ECDSA P-256 public key: a configuration mistake.
	ErrInvalidPublicKey = errors.New("sendgrid webhook: invalid verification key")
)

// Verifier checks Event Webhook signatures with one public key, or several
// (a key being rotated, or a local server's key next to SendGrid's). Build it
// once at start-up (so a bad key fails early) and share it: it is safe for
// concurrent use.
type Verifier struct {
	keys      []*ecdsa.PublicKey
	tolerance time.Duration
}

// NewVerifier parses publicKeyBase64, the verification key as SendGrid shows
// it (base64 of the DER-encoded PKIX public key; PEM is accepted too), or
// several such keys separated by commas: a post signed with any of them
// verifies. A positive tolerance rejects posts whose timestamp is further
// than tolerance from the verifying clock; zero accepts any timestamp.
func NewVerifier(publicKeyBase64 string, tolerance time.Duration) (*Verifier, error) {
	parts := strings.Split(publicKeyBase64, ",")
	if len(parts) == 1 {
		key, err := parsePublicKey(publicKeyBase64)
		if err != nil {
			return nil, err
		}
		return &Verifier{keys: []*ecdsa.PublicKey{key}, tolerance: tolerance}, nil
	}
	v := &Verifier{tolerance: tolerance}
	for i, part := range parts {
		if strings.TrimSpace(part) == "" {
			continue // "key1,key2," or "key1,,key2"
		}
		key, err := parsePublicKey(part)
		if err != nil {
			return nil, fmt.Errorf("key %d of %d: %w", i+1, len(parts), err)
		}
		v.keys = append(v.keys, key)
	}
	if len(v.keys) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrInvalidPublicKey)
	}
	return v, nil
}

// MaxBatchBytes bounds the body of one Event Webhook post. SendGrid posts a
// batch "within approximately 30 seconds or when the batch size reaches 768
// kilobytes" (its Event Webhook documentation); the batch that crosses that
// mark carries one event more, a few KiB at most. 1 MiB leaves a third for
// that and for custom args, and is all an unsigned sender can make a
// receiver hold per post.
const MaxBatchBytes = 1 << 20

// maxSignatureLen bounds the signature header before it is decoded: an
// ASN.1 ECDSA P-256 signature is at most 72 bytes, 96 in base64.
const maxSignatureLen = 128

// CheckHeaders checks all of a post that can be checked before its body is
// read: both headers are there, the signature is base64 of a plausible
// length, and (with a tolerance) the timestamp is within it. A post that
// fails it can be refused unread; one that passes still needs Verify. now
// is the verifying clock.
func (v *Verifier) CheckHeaders(signatureBase64, timestamp string, now time.Time) error {
	_, err := v.checkHeaders(signatureBase64, timestamp, now)
	return err
}

func (v *Verifier) checkHeaders(signatureBase64, timestamp string, now time.Time) ([]byte, error) {
	signatureBase64 = strings.TrimSpace(signatureBase64)
	if signatureBase64 == "" {
		return nil, fmt.Errorf("%w: missing %s", ErrInvalidSignature, SignatureHeader)
	}
	if timestamp == "" {
		return nil, fmt.Errorf("%w: missing %s", ErrInvalidSignature, TimestampHeader)
	}
	if len(signatureBase64) > maxSignatureLen {
		return nil, fmt.Errorf("%w: signature is longer than an ECDSA P-256 signature", ErrInvalidSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(signatureBase64)
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not base64", ErrInvalidSignature)
	}
	if v.tolerance > 0 {
		sec, err := strconv.ParseInt(timestamp, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %w: timestamp %.20q is not unix seconds", ErrInvalidSignature, ErrTimestampOutOfRange, timestamp)
		}
		age := now.Sub(time.Unix(sec, 0))
		if age > v.tolerance || age < -v.tolerance {
			return nil, fmt.Errorf("%w: %w: signed %s ago, tolerance %s", ErrInvalidSignature, ErrTimestampOutOfRange, age.Round(time.Second), v.tolerance)
		}
	}
	return sig, nil
}

// Verify checks that signatureBase64 (the SignatureHeader value) is
// SendGrid's ECDSA P-256/SHA-256 signature of timestamp (the TimestampHeader
// value) followed by rawBody, exactly as received, after CheckHeaders. now
// is the verifying clock, used only with a tolerance.
func (v *Verifier) Verify(signatureBase64, timestamp string, rawBody []byte, now time.Time) error {
	sig, err := v.checkHeaders(signatureBase64, timestamp, now)
	if err != nil {
		return err
	}
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(rawBody)
	digest := h.Sum(nil)
	if !slices.ContainsFunc(v.keys, func(k *ecdsa.PublicKey) bool { return ecdsa.VerifyASN1(k, digest, sig) }) {
		return fmt.Errorf("%w: signature does not match", ErrInvalidSignature)
	}
	return nil
}

// VerifySignature checks one Event Webhook post without a timestamp
// tolerance; see Verifier for the details and for checking the age.
// A bad key gives an error wrapping ErrInvalidPublicKey, a bad post one
// wrapping ErrInvalidSignature.
func VerifySignature(publicKeyBase64 string, signatureBase64, timestamp string, rawBody []byte) error {
	v, err := NewVerifier(publicKeyBase64, 0)
	if err != nil {
		return err
	}
	return v.Verify(signatureBase64, timestamp, rawBody, time.Time{})
}

// parsePublicKey decodes a base64 (or PEM) DER PKIX ECDSA P-256 public key.
func parsePublicKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if block, _ := pem.Decode([]byte(s)); block != nil {
		der = block.Bytes
	} else {
		compact := strings.Join(strings.Fields(s), "")
		var err error
		der, err = base64.StdEncoding.DecodeString(compact)
		if err != nil {
			der, err = base64.RawStdEncoding.DecodeString(compact)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: not base64", ErrInvalidPublicKey)
		}
	}
	if len(der) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrInvalidPublicKey)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPublicKey, err)
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: not an ECDSA P-256 key", ErrInvalidPublicKey)
	}
	return key, nil
}
