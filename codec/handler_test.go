package codec_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ripen/ripen/codec"
)

const uiOrigin = "https://temporal.example.com"

// codecServer runs the handler as the API would mount it, accepting the
// bearer token "operator".
func codecServer(t *testing.T, c *codec.Codec) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(codec.Handler(c, uiOrigin+", http://localhost:8233", func(r *http.Request) bool {
		return r.Header.Get("Authorization") == "Bearer operator"
	}))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, origin, token string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func payloadsJSON(t *testing.T, ps ...*commonpb.Payload) []byte {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	require.NoError(t, err)
	return b
}

func readPayloads(t *testing.T, resp *http.Response) []*commonpb.Payload {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var out commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(b, &out))
	return out.Payloads
}

func TestEndpointDecodesWhatTheWorkerEncrypted(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	srv := codecServer(t, c)
	original := payload(t, map[string]any{"step": "checklist", "score": 21})
	sealed, err := c.Encode([]*commonpb.Payload{original})
	require.NoError(t, err)
	plain := payload(t, "recorded before encryption")

	resp := post(t, srv.URL+"/codec/decode", uiOrigin, "operator", payloadsJSON(t, sealed[0], plain))
	require.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	got := readPayloads(t, resp)
	require.Len(t, got, 2)
	require.True(t, proto.Equal(original, got[0]), "got %v", got[0])
	require.True(t, proto.Equal(plain, got[1]))
}

func TestEndpointEncodesForTheCLI(t *testing.T) {
	// `temporal workflow signal --codec-endpoint` encodes input through us; no Origin.
	c := mustCodec(t, newKey(t, "k1"))
	srv := codecServer(t, c)
	resp := post(t, srv.URL+"/codec/encode", "", "operator", payloadsJSON(t, payload(t, "pause")))
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	got := readPayloads(t, resp)
	require.Len(t, got, 1)
	require.Equal(t, codec.Encoding, string(got[0].Metadata[codec.MetadataEncoding]))
	dec, err := c.Decode(got)
	require.NoError(t, err)
	var s string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(dec[0], &s))
	require.Equal(t, "pause", s)
}

func TestPreflightFromTheUIOriginNeedsNoAuthorization(t *testing.T) {
	srv := codecServer(t, mustCodec(t, newKey(t, "k1")))
	for _, path := range []string{"/codec/decode", "/codec/encode"} {
		req, err := http.NewRequest(http.MethodOptions, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Origin", uiOrigin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
		require.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
		require.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
		require.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
		allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
		for _, h := range []string{"authorization", "content-type", "x-namespace"} {
			require.Contains(t, allowed, h)
		}
		require.Contains(t, resp.Header.Values("Vary"), "Origin")
	}
}

func TestOtherOriginsAreRefused(t *testing.T) {
	srv := codecServer(t, mustCodec(t, newKey(t, "k1")))
	req, err := http.NewRequest(http.MethodOptions, srv.URL+"/codec/decode", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	resp = post(t, srv.URL+"/codec/decode", "https://evil.example", "operator", payloadsJSON(t))
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestRequestsWithoutAuthorizationAreRefused(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	sealed, err := c.Encode([]*commonpb.Payload{payload(t, "secret")})
	require.NoError(t, err)
	srv := codecServer(t, c)
	for _, token := range []string{"", "wrong"} {
		resp := post(t, srv.URL+"/codec/decode", uiOrigin, token, payloadsJSON(t, sealed...))
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		b, _ := io.ReadAll(resp.Body)
		require.NotContains(t, string(b), "secret")
		// The browser must be able to read the refusal.
		require.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	}

	// A nil authorize refuses everyone.
	closed := httptest.NewServer(codec.Handler(c, uiOrigin, nil))
	defer closed.Close()
	resp := post(t, closed.URL+"/codec/decode", "", "operator", payloadsJSON(t, sealed...))
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestBadRequests(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	srv := codecServer(t, c)
	sealed, err := c.Encode([]*commonpb.Payload{payload(t, "x")})
	require.NoError(t, err)
	sealed[0].Data[len(sealed[0].Data)-1] ^= 1

	cases := []struct {
		name   string
		method string
		path   string
		body   []byte
		want   int
	}{
		{"unknown path", http.MethodPost, "/codec/other", payloadsJSON(t), http.StatusNotFound},
		{"GET", http.MethodGet, "/codec/decode", nil, http.StatusMethodNotAllowed},
		{"not JSON", http.MethodPost, "/codec/decode", []byte("payloads"), http.StatusBadRequest},
		{"unknown field", http.MethodPost, "/codec/decode", []byte(`{"payload": []}`), http.StatusBadRequest},
		{"tampered payload", http.MethodPost, "/codec/decode", payloadsJSON(t, sealed...), http.StatusBadRequest},
		{"too large", http.MethodPost, "/codec/encode", bytes.Repeat([]byte(" "), codec.MaxBodyBytes+1), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, bytes.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer operator")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			require.Equal(t, tc.want, resp.StatusCode)
		})
	}
}

func TestEmptyBatch(t *testing.T) {
	srv := codecServer(t, mustCodec(t, newKey(t, "k1")))
	got := readPayloads(t, post(t, srv.URL+"/codec/decode", "", "operator", []byte(`{"payloads": []}`)))
	require.Empty(t, got)
}
