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

// TestReadyzSaysWhatIsDownButNotWhere: a public probe must not hand out
// addresses and users from connection errors.
func TestReadyzSaysWhatIsDownButNotWhere(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://secret-user@127.0.0.1:1/ripen?connect_timeout=1")
	require.NoError(t, err)
	defer pool.Close()
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	defer tc.Close()
	s := api.New(api.UseCases{Store: store.New(pool), TemporalReady: func(ctx context.Context) error {
		_, err := tc.CheckHealth(ctx, nil)
		return err
	}}, api.Config{}, zerolog.Nop(), api.NewMetrics(prometheus.NewRegistry()))
	srv := httptest.NewServer(s.Handler())
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
