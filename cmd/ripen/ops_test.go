package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/store/storetest"
)

func TestHealthcheckExitsZeroOnlyOn2xx(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte("postgres: ok\n"))
	}))
	defer srv.Close()

	out, _, code := runCLI(t, "healthcheck", srv.URL+"/readyz")
	require.Zero(t, code)
	require.Contains(t, out, "200 OK")

	status = http.StatusServiceUnavailable
	_, errOut, code := runCLI(t, "healthcheck", srv.URL+"/readyz")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "503")

	srv.Close()
	_, _, code = runCLI(t, "healthcheck", "--timeout=1s", srv.URL+"/readyz")
	require.Equal(t, 1, code, "nobody listening")
	_, _, code = runCLI(t, "healthcheck")
	require.Equal(t, 1, code, "the URL is required")
}

func TestWorkerAndAPIRefuseASchemaThatIsBehind(t *testing.T) {
	url := storetest.NewDatabase(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("RIPEN_LINK_KEYS", "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1") // never reached
	t.Setenv("RIPEN_CODEC", "off")
	t.Setenv("RIPEN_CODEC_KEYS", "")
	for _, cmd := range []string{"worker", "api"} {
		_, errOut, code := runCLI(t, cmd)
		require.Equal(t, 1, code, cmd)
		require.Contains(t, errOut, "run `ripen migrate`", cmd)
	}

	// migrate --check says the same and changes nothing; --wait gives up.
	_, errOut, code := runCLI(t, "migrate", "--check", "--wait=1ms")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "this ripen needs")
	st, err := store.Open(context.Background(), url)
	require.NoError(t, err)
	defer st.Close()
	status, err := st.SchemaStatus(context.Background())
	require.NoError(t, err)
	require.Zero(t, status.Database)

	_, _, code = runCLI(t, "migrate")
	require.Zero(t, code)
	out, _, code := runCLI(t, "migrate", "--check")
	require.Zero(t, code)
	require.Contains(t, out, "as this ripen expects")
}

// Worker and API refuse to start, before they connect to anything, on what
// is fine for the dev stack but not in production: payloads in Temporal in
// the clear without RIPEN_CODEC=off, a codec endpoint anyone may use.
func TestWorkerAndAPIRefuseProductionWithoutEncryptionOrWithAnOpenCodec(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/ripen?connect_timeout=1") // never reached
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
	t.Setenv("RIPEN_LINK_KEYS", "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	t.Setenv("RIPEN_CODEC", "")
	t.Setenv("RIPEN_CODEC_KEYS", "")
	t.Setenv("RIPEN_CODEC_AUTH", "")
	for _, cmd := range []string{"worker", "api"} {
		_, errOut, code := runCLI(t, cmd)
		require.Equal(t, 1, code, cmd)
		require.Contains(t, errOut, "RIPEN_CODEC_KEYS is required", cmd)
		require.Contains(t, errOut, "openssl rand -base64 32", cmd)
		require.Contains(t, errOut, "RIPEN_CODEC=off", cmd)
	}

	t.Setenv("RIPEN_CODEC_KEYS", "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	t.Setenv("RIPEN_CODEC_AUTH", "none")
	for _, cmd := range []string{"worker", "api"} {
		_, errOut, code := runCLI(t, cmd)
		require.Equal(t, 1, code, cmd)
		require.Contains(t, errOut, "RIPEN_CODEC_AUTH=none", cmd)
	}

	// Saying so explicitly gets past the check (to the unreachable database).
	t.Setenv("RIPEN_CODEC_KEYS", "")
	t.Setenv("RIPEN_CODEC_AUTH", "")
	t.Setenv("RIPEN_CODEC", "off")
	_, errOut, code := runCLI(t, "worker")
	require.Equal(t, 1, code)
	require.NotContains(t, errOut, "RIPEN_CODEC")
}
