package codec

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// MaxBodyBytes bounds a codec request. Temporal refuses payloads above 2 MB
// by default; base64 and JSON add a third, and the UI sends several at once.
const MaxBodyBytes = 8 << 20

// Paths the handler serves, as the Temporal codec-server protocol names them
// under the endpoint the UI or CLI is given (here: {base}/codec).
const (
	EncodePath = "/codec/encode"
	DecodePath = "/codec/decode"
)

// allowedHeaders are what the Web UI sends: its access token, the JSON body
// and the namespace the payloads belong to.
const allowedHeaders = "Authorization, Content-Type, X-Namespace"

// Handler serves POST /codec/encode and POST /codec/decode in the Temporal
// codec-server protocol: a JSON body {"payloads": [...]} of payloads in
// protojson form, answered in the same form.
//
// allowedOrigin is the Web UI's origin (e.g. https://temporal.example.com;
// several may be separated by commas); the handler answers CORS preflights
// from it without authorization, as browsers send none. "" allows no
// cross-origin use (the CLI's --codec-endpoint still works).
//
// authorize decides whether a request may use the codec, e.g. by its
// Authorization header; a nil authorize refuses every request.
func Handler(c *Codec, allowedOrigin string, authorize func(*http.Request) bool) http.Handler {
	origins := map[string]bool{}
	for _, o := range strings.Split(allowedOrigin, ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			origins[o] = true
		}
	}
	return &handler{codec: c, origins: origins, authorize: authorize}
}

type handler struct {
	codec     *Codec
	origins   map[string]bool
	authorize func(*http.Request) bool
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var transform func([]*commonpb.Payload) ([]*commonpb.Payload, error)
	switch r.URL.Path {
	case EncodePath:
		transform = h.codec.Encode
	case DecodePath:
		transform = h.codec.Decode
	default:
		http.NotFound(w, r)
		return
	}
	origin := r.Header.Get("Origin")
	if origin != "" {
		w.Header().Add("Vary", "Origin")
		if !h.origins[origin] {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", allowedHeaders)
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	if h.authorize == nil || !h.authorize(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ripen-codec"`)
		http.Error(w, "not authorized to use the codec", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		http.Error(w, "body larger than "+strconv.Itoa(MaxBodyBytes)+" bytes", http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	var in commonpb.Payloads
	if err := protojson.Unmarshal(body, &in); err != nil {
		http.Error(w, `want {"payloads": [...]} with protojson payloads`, http.StatusBadRequest)
		return
	}
	out, err := transform(in.GetPayloads())
	if err != nil {
		// The reason (unknown key, tampered data) is safe to show: it names
		// key IDs, never key material or plaintext.
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(resp)
}
