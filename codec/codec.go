// Package codec encrypts Temporal payloads with AES-256-GCM, so workflow
// histories kept by Temporal (self-hosted or Temporal Cloud) hold ciphertext
// only, and serves the codec endpoint the Temporal Web UI and CLI call to
// show operators the plaintext.
//
// Keys are named: every encrypted payload carries the ID of the key that
// sealed it in its metadata, so keys rotate by adding a new one in front and
// keeping the old ones until no open history needs them. Payloads without
// that metadata (histories recorded before encryption was turned on) pass
// through unchanged.
//
// The package knows nothing of journeys, HTTP routing or API keys: the caller
// decides who may use the endpoint.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

const (
	// MetadataEncoding is the payload metadata key Temporal uses for a
	// payload's encoding.
	MetadataEncoding = converter.MetadataEncoding
	// Encoding names an encrypted payload.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key that sealed the payload.
	MetadataKeyID = "encryption-key-id"
	// MetadataCipher names the cipher, so another one can follow.
	MetadataCipher = "encryption-cipher"
	// Cipher is the only cipher this package writes and reads.
	Cipher = "AES-256-GCM"

	keySize = 32
)

// ErrUnknownKey means a payload was sealed with a key this codec does not
// hold: an old key was removed too early, or the keys differ between processes.
var ErrUnknownKey = errors.New("payload sealed with an unknown key")

// Codec is a converter.PayloadCodec: it encrypts with the first key and
// decrypts with any of its keys. It is safe for concurrent use.
type Codec struct {
	current string
	keys    map[string]cipher.AEAD
	order   []string
	auth    Authorizer // see SetAuthorizer
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New parses keys as "id:base64key,id2:base64key2": each key is 32 random
// bytes in standard or URL-safe base64 (e.g. `openssl rand -base64 32`).
// The first key encrypts; all of them decrypt.
func New(keys string) (*Codec, error) {
	c := &Codec{keys: map[string]cipher.AEAD{}}
	for i, entry := range strings.Split(keys, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, secret, ok := strings.Cut(entry, ":")
		id, secret = strings.TrimSpace(id), strings.TrimSpace(secret)
		if !ok || id == "" || secret == "" {
			return nil, fmt.Errorf("codec key %d: want ID:BASE64KEY", i+1)
		}
		if err := checkKeyID(id); err != nil {
			return nil, fmt.Errorf("codec key %d: %w", i+1, err)
		}
		if _, dup := c.keys[id]; dup {
			return nil, fmt.Errorf("codec key %q is listed twice", id)
		}
		raw, err := decodeKey(secret)
		if err != nil {
			return nil, fmt.Errorf("codec key %q: %w", id, err)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("codec key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("codec key %q: %w", id, err)
		}
		c.keys[id] = aead
		c.order = append(c.order, id)
	}
	if len(c.order) == 0 {
		return nil, errors.New("no codec keys: want ID:BASE64KEY[,ID:BASE64KEY...], e.g. k1:$(openssl rand -base64 32)")
	}
	c.current = c.order[0]
	return c, nil
}

// KeyID is the ID of the key that encrypts.
func (c *Codec) KeyID() string { return c.current }

// KeyIDs lists every key ID, the encrypting one first.
func (c *Codec) KeyIDs() []string { return append([]string(nil), c.order...) }

// DataConverter wraps parent (the SDK's default when nil) so that every
// payload it produces is encrypted and every encrypted payload it reads is
// decrypted. Use it for client.Options.DataConverter in every process that
// talks to Temporal: worker, API and tools.
func (c *Codec) DataConverter(parent converter.DataConverter) converter.DataConverter {
	if parent == nil {
		parent = converter.GetDefaultDataConverter()
	}
	return converter.NewCodecDataConverter(parent, c)
}

// FailureConverter encrypts the message and stack trace of every failure
// too (the SDK's EncodeCommonAttributes). Failure texts are written into
// workflow history in plain text otherwise, and an error may carry what the
// payloads are sealed to hide: a database error quoting a value, a rejected
// URL. Use it with DataConverter, in every process that talks to Temporal.
func (c *Codec) FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	if dc == nil {
		dc = c.DataConverter(nil)
	}
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
}

// Encode encrypts each payload with the current key. The whole payload,
// metadata included, is sealed, so the original encoding is restored on
// decode; the key ID is also the additional authenticated data, so a payload
// relabelled with another key ID fails to open.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.keys[c.current]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("encode payload %d: %w", i, err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("encode payload %d: nonce: %w", i, err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding: []byte(Encoding),
				MetadataKeyID:    []byte(c.current),
				MetadataCipher:   []byte(Cipher),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.current)),
		}
	}
	return out, nil
}

// Decode decrypts payloads this codec (or another with the same key) sealed
// and returns every other payload unchanged.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		d, err := c.open(p)
		if err != nil {
			return payloads, fmt.Errorf("decode payload %d: %w", i, err)
		}
		out[i] = d
	}
	return out, nil
}

func (c *Codec) open(p *commonpb.Payload) (*commonpb.Payload, error) {
	if ci := string(p.GetMetadata()[MetadataCipher]); ci != "" && ci != Cipher {
		return nil, fmt.Errorf("cipher %q is not supported", ci)
	}
	id := string(p.GetMetadata()[MetadataKeyID])
	aead, ok := c.keys[id]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownKey, id, strings.Join(c.order, ", "))
	}
	data := p.GetData()
	if len(data) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("ciphertext too short")
	}
	nonce, sealed := data[:aead.NonceSize()], data[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, sealed, []byte(id))
	if err != nil {
		return nil, fmt.Errorf("open with key %q: message authentication failed", id)
	}
	var orig commonpb.Payload
	if err := proto.Unmarshal(plain, &orig); err != nil {
		return nil, fmt.Errorf("decrypted payload: %w", err)
	}
	return &orig, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != keySize {
				return nil, fmt.Errorf("key is %d bytes, want %d (AES-256)", len(b), keySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("key is not base64")
}

// checkKeyID keeps key IDs short and printable: they travel in every
// payload's metadata and in error messages.
func checkKeyID(id string) error {
	if len(id) > 64 {
		return fmt.Errorf("key ID %q is longer than 64 characters", id)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return fmt.Errorf("key ID %q: use letters, digits, '-', '_' and '.'", id)
		}
	}
	return nil
}
