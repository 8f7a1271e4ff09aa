// Package temporalconn dials Temporal the same way for every ripen process:
// a local server, a self-hosted cluster with mTLS, or Temporal Cloud with an
// API key, all from config.
package temporalconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/logging"
)

// Options tune a connection beyond config.
type Options struct {
	MetricsHandler client.MetricsHandler
	DataConverter  converter.DataConverter
}

// Dial connects to Temporal and checks the connection.
func Dial(ctx context.Context, c config.Config, log zerolog.Logger, o Options) (client.Client, error) {
	opts := client.Options{
		HostPort:       c.TemporalAddress,
		Namespace:      c.TemporalNamespace,
		Logger:         logging.Temporal(log.With().Str("component", "temporal-sdk").Logger().Level(zerolog.WarnLevel)),
		MetricsHandler: o.MetricsHandler,
		DataConverter:  o.DataConverter,
	}
	if c.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(c.TemporalAPIKey)
		opts.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if c.TemporalTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(c.TemporalTLSCert, c.TemporalTLSKey)
		if err != nil {
			return nil, fmt.Errorf("load temporal client certificate: %w", err)
		}
		tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		if c.TemporalTLSCA != "" {
			pem, err := os.ReadFile(c.TemporalTLSCA)
			if err != nil {
				return nil, fmt.Errorf("read temporal server CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("temporal server CA %s holds no certificate", c.TemporalTLSCA)
			}
			tc.RootCAs = pool
		}
		opts.ConnectionOptions.TLS = tc
	}
	cl, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("dial temporal at %s (namespace %s): %w", c.TemporalAddress, c.TemporalNamespace, err)
	}
	return cl, nil
}
