package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/ripen/ripen/api"
	"github.com/ripen/ripen/store"
)

// downServer is an API whose Postgres and Temporal do not answer.
func downServer(t *testing.T) *api.Server {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), "postgres://secret-user@127.0.0.1:1/ripen?connect_timeout=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	return api.New(api.UseCases{Store: store.New(pool), TemporalReady: func(ctx context.Context) error {
		_, err := tc.CheckHealth(ctx, nil)
		return err
	}}, api.Config{}, zerolog.Nop(), api.NewMetrics(prometheus.NewRegistry()))
}

// TestReadyzSaysWhatIsDownButNotWhere: a probe must not hand out addresses
// and users from connection errors, even on the ops listener.
func TestReadyzSaysWhatIsDownButNotWhere(t *testing.T) {
	srv := httptest.NewServer(downServer(t).OpsHandler())
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	var checks map[string]string
	require.NoError(t, json.Unmarshal(body, &checks), "%s", body)
	require.Equal(t, map[string]string{"postgres": "unavailable", "temporal": "unavailable"}, checks)
	require.NotContains(t, string(body), "127.0.0.1")
	require.NotContains(t, string(body), "secret-user")
}

// TestReadinessAndMetricsAreNotPublic: the public listener serves email
// links and the webhook to the internet, and answers 404 for /readyz and
// /metrics; the ops listener (RIPEN_OPS_ADDR) answers them. Liveness is on
// both.
func TestReadinessAndMetricsAreNotPublic(t *testing.T) {
	s := downServer(t)
	public := httptest.NewServer(s.Handler())
	defer public.Close()
	ops := httptest.NewServer(s.OpsHandler())
	defer ops.Close()
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}

	for _, path := range []string{"/readyz", "/metrics"} {
		code, body := get(public.URL + path)
		require.Equal(t, http.StatusNotFound, code, "the public listener serves %s: %s", path, body)
	}
	code, _ := get(public.URL + "/healthz")
	require.Equal(t, http.StatusOK, code)

	code, _ = get(ops.URL + "/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code, "readiness is answered (and Postgres is down)")
	code, body := get(ops.URL + "/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "ripen_http_request_duration_seconds")
	code, _ = get(ops.URL + "/healthz")
	require.Equal(t, http.StatusOK, code)
	code, _ = get(ops.URL + "/v1/personas")
	require.Equal(t, http.StatusNotFound, code, "the ops listener serves nothing of the API")
}
