// Package temporalconn dials Temporal the same way for every ripen process:
// a local server, a self-hosted cluster with TLS or mTLS, or Temporal Cloud
// with an API key or mTLS, all from config (the Temporal SDKs' environment
// variable names).
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
	MetricsHandler   client.MetricsHandler
	DataConverter    converter.DataConverter
	FailureConverter converter.FailureConverter
}

// Dial connects to Temporal and checks the connection.
func Dial(ctx context.Context, c config.Config, log zerolog.Logger, o Options) (client.Client, error) {
	opts, err := ClientOptions(c, log, o)
	if err != nil {
		return nil, err
	}
	cl, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("dial temporal at %s (namespace %s%s): %w", c.TemporalAddress, c.TemporalNamespace, describeTLS(opts.ConnectionOptions.TLS), err)
	}
	return cl, nil
}

// ClientOptions turns config into the SDK's client options, reading the
// certificate files it names, without connecting.
func ClientOptions(c config.Config, log zerolog.Logger, o Options) (client.Options, error) {
	opts := client.Options{
		HostPort:       c.TemporalAddress,
		Namespace:      c.TemporalNamespace,
		Logger:         logging.Temporal(log.With().Str("component", "temporal-sdk").Logger().Level(zerolog.WarnLevel)),
		MetricsHandler: o.MetricsHandler,
		DataConverter:  o.DataConverter,
	}
	opts.FailureConverter = o.FailureConverter
	if c.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(c.TemporalAPIKey)
	}
	tc, err := TLSConfig(c.TemporalTLS, c.TemporalAPIKey != "")
	if err != nil {
		return client.Options{}, err
	}
	opts.ConnectionOptions.TLS = tc
	return opts, nil
}

// TLSConfig builds the TLS configuration of the connection, or nil for
// plaintext. TLS is on when TEMPORAL_TLS says so, or, when it is unset, as
// soon as any TLS setting or an API key is given (Temporal Cloud only takes
// API keys over TLS). The server CA and server name apply with or without a
// client certificate: a cluster with server-only TLS needs them too.
func TLSConfig(t config.TemporalTLS, apiKey bool) (*tls.Config, error) {
	on := t.Configured() || apiKey
	if t.Enabled != nil {
		on = *t.Enabled
	}
	if !on {
		return nil, nil
	}
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.DisableHostVerification, //nolint:gosec // TEMPORAL_TLS_DISABLE_HOST_VERIFICATION, as in the SDKs
	}
	caPEM, err := pemFrom("TEMPORAL_TLS_SERVER_CA_CERT", t.ServerCACertPath, t.ServerCACertData)
	if err != nil {
		return nil, err
	}
	if caPEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("TEMPORAL_TLS_SERVER_CA_CERT_%s holds no PEM certificate", pathOrData(t.ServerCACertPath))
		}
		tc.RootCAs = pool
	}
	certPEM, err := pemFrom("TEMPORAL_TLS_CLIENT_CERT", t.ClientCertPath, t.ClientCertData)
	if err != nil {
		return nil, err
	}
	keyPEM, err := pemFrom("TEMPORAL_TLS_CLIENT_KEY", t.ClientKeyPath, t.ClientKeyData)
	if err != nil {
		return nil, err
	}
	switch {
	case certPEM != nil && keyPEM != nil:
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("temporal client certificate (TEMPORAL_TLS_CLIENT_CERT_%s, TEMPORAL_TLS_CLIENT_KEY_%s): %w",
				pathOrData(t.ClientCertPath), pathOrData(t.ClientKeyPath), err)
		}
		tc.Certificates = []tls.Certificate{cert}
	case certPEM != nil || keyPEM != nil:
		return nil, fmt.Errorf("a temporal client certificate needs both TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_*")
	}
	return tc, nil
}

// pemFrom reads the file at path, or takes data; nil when neither is set.
func pemFrom(name, path, data string) ([]byte, error) {
	switch {
	case path != "" && data != "":
		return nil, fmt.Errorf("%s_PATH and %s_DATA are both set: give the file or the PEM, not both", name, name)
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s_PATH: %w", name, err)
		}
		return b, nil
	case data != "":
		return []byte(data), nil
	}
	return nil, nil
}

func pathOrData(path string) string {
	if path != "" {
		return "PATH " + path
	}
	return "DATA"
}

func describeTLS(tc *tls.Config) string {
	switch {
	case tc == nil:
		return ", plaintext"
	case len(tc.Certificates) > 0:
		return ", mTLS"
	}
	return ", TLS"
}
