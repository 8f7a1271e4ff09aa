package devstack

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/devtemporal"
	"github.com/ripen/ripen/internal/freeport"
	"github.com/ripen/ripen/store/storetest"
	"github.com/ripen/ripen/temporalconn"
	"github.com/ripen/ripen/workflows"
)

// A step that fails after the listeners are open (here: TLS settings that
// do not parse) must leave their ports free.
func TestAFailedStartFreesItsPorts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	apiPort, sgPort, opsPort, sitePort := freePort(t), freePort(t), freePort(t), freePort(t)
	_, err := Start(ctx, Options{
		DatabaseURL: storetest.NewDatabase(t), APIPort: apiPort, SendGridPort: sgPort, OpsPort: opsPort, WebsitePort: sitePort,
		TemporalAddress: "127.0.0.1:1", TemporalTLS: config.TemporalTLS{ServerCACertData: "not a certificate"},
		Log: zerolog.Nop(),
	})
	require.ErrorContains(t, err, "TEMPORAL_TLS_SERVER_CA_CERT_DATA")
	for _, port := range []int{apiPort, sgPort, opsPort, sitePort} {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		require.NoError(t, err, "port %d is still held", port)
		ln.Close()
	}
}

// With --temporal-address, ripen-dev adds its search attributes to a
// namespace that lacks them, as the embedded server does for its own.
func TestAnExistingTemporalGetsTheSearchAttributes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devtemporal.Start(ctx, devtemporal.Options{Port: freePort(t), Namespace: "elsewhere", Log: zerolog.Nop()})
	require.NoError(t, err)
	defer srv.Stop()

	st, err := Start(ctx, Options{
		DatabaseURL: storetest.NewDatabase(t), TemporalAddress: srv.Address(), TemporalNamespace: "elsewhere",
		NoWorker: true, Log: zerolog.Nop(),
	})
	require.NoError(t, err)
	defer st.Stop()
	require.Nil(t, st.Temporal)
	require.NoError(t, temporalconn.CheckSearchAttributes(ctx, st.Client, "elsewhere", workflows.SearchAttributes()))

	// A namespace that does not exist is named, with the command to create it.
	_, err = Start(ctx, Options{
		DatabaseURL: st.DatabaseURL, TemporalAddress: srv.Address(), TemporalNamespace: "nowhere",
		NoWorker: true, Log: zerolog.Nop(),
	})
	require.ErrorContains(t, err, "temporal operator namespace create --namespace nowhere")
}

// Readiness and metrics are on the ops port, as on RIPEN_OPS_ADDR in
// production; the API's port, which serves email links to the internet,
// answers neither.
func TestTheOpsPortServesReadinessAndMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opsPort := freePort(t)
	st, err := Start(ctx, Options{DatabaseURL: storetest.NewDatabase(t), UIPort: -1, OpsPort: opsPort, NoWorker: true, Log: zerolog.Nop()})
	require.NoError(t, err)
	defer st.Stop()
	require.Equal(t, "http://127.0.0.1:"+strconv.Itoa(opsPort), st.OpsURL)

	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	code, body := get(st.OpsURL + "/readyz")
	require.Equal(t, http.StatusOK, code, body)
	require.JSONEq(t, `{"postgres": "ok", "temporal": "ok"}`, body)
	code, body = get(st.OpsURL + "/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "go_goroutines")
	code, _ = get(st.OpsURL + "/healthz")
	require.Equal(t, http.StatusOK, code)

	for _, path := range []string{"/readyz", "/metrics"} {
		code, _ = get(st.APIURL + path)
		require.Equal(t, http.StatusNotFound, code, "the API's port serves %s", path)
	}
	code, _ = get(st.APIURL + "/healthz")
	require.Equal(t, http.StatusOK, code, "liveness stays on both")
}

func freePort(t *testing.T) int {
	t.Helper()
	port, err := freeport.Take("127.0.0.1")
	require.NoError(t, err)
	return port
}
