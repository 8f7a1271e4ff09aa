package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/codec"
	"github.com/ripen/ripen/store/storetest"
)

// uiToken stands in for codec.JWTAuthorizer (tested in codec): it admits
// the one token the Web UI would forward.
type uiToken string

func (u uiToken) Authorize(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bearer "+string(u)
}

// With RIPEN_CODEC_AUTH=jwt the codec endpoint takes the Web UI's access
// token, and admin API keys still work for the CLI; other keys and tokens
// are refused.
func TestCodecTakesTheUIsTokenAndAdminKeys(t *testing.T) {
	st := storetest.NewDB(t)
	ctx := context.Background()
	admin, _, err := st.CreateAPIKey(ctx, RoleAdmin, "ops")
	require.NoError(t, err)
	sales, _, err := st.CreateAPIKey(ctx, "sales", "crm")
	require.NoError(t, err)

	post := func(s *Server, auth string) int {
		r := httptest.NewRequest(http.MethodPost, codec.DecodePath, strings.NewReader(`{"payloads":[]}`))
		if auth != "" {
			r.Header.Set("Authorization", "Bearer "+auth)
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		return w.Code
	}
	newCodec := func() *codec.Codec {
		c, err := codec.New("k1:" + base64.StdEncoding.EncodeToString(make([]byte, 32)))
		require.NoError(t, err)
		return c
	}

	jwtCodec := newCodec()
	jwtCodec.SetAuthorizer(uiToken("eyJ.ui.token"))
	jwt := New(UseCases{Store: st}, Config{Codec: jwtCodec}, zerolog.Nop(), nil)
	require.Equal(t, http.StatusOK, post(jwt, "eyJ.ui.token"), "the UI's token")
	require.Equal(t, http.StatusOK, post(jwt, admin), "an admin key, for the CLI")
	require.Equal(t, http.StatusUnauthorized, post(jwt, sales))
	require.Equal(t, http.StatusUnauthorized, post(jwt, "eyJ.other.token"))
	require.Equal(t, http.StatusUnauthorized, post(jwt, ""))

	apiKey := New(UseCases{Store: st}, Config{Codec: newCodec()}, zerolog.Nop(), nil)
	require.Equal(t, http.StatusOK, post(apiKey, admin))
	require.Equal(t, http.StatusUnauthorized, post(apiKey, "eyJ.ui.token"), "api-key mode knows no tokens")
}
