package app

import (
	"net"
	"net/http"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// The ops listener binds at once, so a busy port fails start-up naming the
// variable to change, and it stops when told.
func TestTheOpsListenerBindsAtOnceAndStopsWhenTold(t *testing.T) {
	stop, err := serveOps("127.0.0.1:0", http.NotFoundHandler(), zerolog.Nop())
	require.NoError(t, err)
	stop()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	_, err = serveOps(ln.Addr().String(), http.NotFoundHandler(), zerolog.Nop())
	require.ErrorContains(t, err, "RIPEN_OPS_ADDR")
}
