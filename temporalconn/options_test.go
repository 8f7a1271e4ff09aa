package temporalconn_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/temporalconn"
)

// pki is a CA and a client certificate it signed, as PEM and as files.
type pki struct {
	caPEM, certPEM, keyPEM    string
	caPath, certPath, keyPath string
	ca                        *x509.Certificate
}

func newPKI(t *testing.T) pki {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ripen"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)

	p := pki{
		caPEM:   string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		keyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
		ca:      ca,
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	p.caPath, p.certPath, p.keyPath = write("ca.crt", p.caPEM), write("tls.crt", p.certPEM), write("tls.key", p.keyPEM)
	return p
}

// optionsFrom turns an environment into client options, as ripen's
// processes do.
func optionsFrom(t *testing.T, env map[string]string) (*tls.Config, error) {
	t.Helper()
	c, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	opts, err := temporalconn.ClientOptions(c, zerolog.Nop(), temporalconn.Options{})
	if err != nil {
		return nil, err
	}
	require.Equal(t, c.TemporalAddress, opts.HostPort)
	require.Equal(t, c.TemporalNamespace, opts.Namespace)
	require.Equal(t, c.TemporalAPIKey != "", opts.Credentials != nil, "an API key becomes the credentials")
	return opts.ConnectionOptions.TLS, nil
}

func TestTLSFromTheEnvironment(t *testing.T) {
	p := newPKI(t)
	caPool := x509.NewCertPool()
	caPool.AddCert(p.ca)

	t.Run("nothing set is plaintext, for a local server", func(t *testing.T) {
		tc, err := optionsFrom(t, nil)
		require.NoError(t, err)
		require.Nil(t, tc)
	})
	t.Run("an API key implies TLS against the system roots", func(t *testing.T) {
		tc, err := optionsFrom(t, map[string]string{"TEMPORAL_API_KEY": "k"})
		require.NoError(t, err)
		require.NotNil(t, tc)
		require.Nil(t, tc.RootCAs)
		require.Empty(t, tc.Certificates)
		require.GreaterOrEqual(t, tc.MinVersion, uint16(tls.VersionTLS12))
	})
	t.Run("TEMPORAL_TLS=false keeps an API key on plaintext", func(t *testing.T) {
		tc, err := optionsFrom(t, map[string]string{"TEMPORAL_API_KEY": "k", "TEMPORAL_TLS": "false"})
		require.NoError(t, err)
		require.Nil(t, tc)
	})
	t.Run("TEMPORAL_TLS=true alone is server-only TLS", func(t *testing.T) {
		tc, err := optionsFrom(t, map[string]string{"TEMPORAL_TLS": "true"})
		require.NoError(t, err)
		require.NotNil(t, tc)
		require.Empty(t, tc.Certificates)
	})
	t.Run("the server CA and name apply without a client certificate", func(t *testing.T) {
		tc, err := optionsFrom(t, map[string]string{
			"TEMPORAL_TLS_SERVER_CA_CERT_PATH": p.caPath, "TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
		})
		require.NoError(t, err)
		require.NotNil(t, tc)
		require.True(t, caPool.Equal(tc.RootCAs))
		require.Equal(t, "temporal.internal", tc.ServerName)
		require.Empty(t, tc.Certificates)
		require.False(t, tc.InsecureSkipVerify)
	})
	t.Run("the server CA and name apply with an API key", func(t *testing.T) {
		tc, err := optionsFrom(t, map[string]string{
			"TEMPORAL_API_KEY": "k", "TEMPORAL_TLS_SERVER_CA_CERT_DATA": p.caPEM, "TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
		})
		require.NoError(t, err)
		require.True(t, caPool.Equal(tc.RootCAs))
		require.Equal(t, "temporal.internal", tc.ServerName)
	})
	for name, env := range map[string]map[string]string{
		"mTLS from files": {
			"TEMPORAL_TLS_CLIENT_CERT_PATH": p.certPath, "TEMPORAL_TLS_CLIENT_KEY_PATH": p.keyPath,
			"TEMPORAL_TLS_SERVER_CA_CERT_PATH": p.caPath,
		},
		"mTLS from inline PEM": {
			"TEMPORAL_TLS_CLIENT_CERT_DATA": p.certPEM, "TEMPORAL_TLS_CLIENT_KEY_DATA": p.keyPEM,
			"TEMPORAL_TLS_SERVER_CA_CERT_DATA": p.caPEM,
		},
	} {
		t.Run(name, func(t *testing.T) {
			tc, err := optionsFrom(t, env)
			require.NoError(t, err)
			require.Len(t, tc.Certificates, 1)
			leaf, err := x509.ParseCertificate(tc.Certificates[0].Certificate[0])
			require.NoError(t, err)
			require.Equal(t, "ripen", leaf.Subject.CommonName)
			require.True(t, caPool.Equal(tc.RootCAs))
		})
	}
	t.Run("mTLS to Temporal Cloud: client certificate, system roots", func(t *testing.T) {
		tc, err := optionsFrom(t, map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": p.certPath, "TEMPORAL_TLS_CLIENT_KEY_DATA": p.keyPEM})
		require.NoError(t, err)
		require.Len(t, tc.Certificates, 1)
		require.Nil(t, tc.RootCAs)
	})
	t.Run("host verification can be turned off", func(t *testing.T) {
		tc, err := optionsFrom(t, map[string]string{"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION": "yes"})
		require.NoError(t, err)
		require.True(t, tc.InsecureSkipVerify)
	})
}

func TestTLSMistakesNameTheVariable(t *testing.T) {
	p := newPKI(t)
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"file and PEM both":    {map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": p.caPath, "TEMPORAL_TLS_SERVER_CA_CERT_DATA": p.caPEM}, "TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_SERVER_CA_CERT_DATA"},
		"certificate, no key":  {map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": p.certPath}, "TEMPORAL_TLS_CLIENT_KEY_"},
		"key, no certificate":  {map[string]string{"TEMPORAL_TLS_CLIENT_KEY_DATA": p.keyPEM}, "TEMPORAL_TLS_CLIENT_CERT_"},
		"TLS off with a CA":    {map[string]string{"TEMPORAL_TLS": "false", "TEMPORAL_TLS_SERVER_CA_CERT_DATA": p.caPEM}, "TEMPORAL_TLS is false"},
		"not a boolean":        {map[string]string{"TEMPORAL_TLS": "maybe"}, "TEMPORAL_TLS"},
		"missing CA file":      {map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": p.caPath + ".gone"}, "TEMPORAL_TLS_SERVER_CA_CERT_PATH"},
		"CA that is no PEM":    {map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_DATA": "hello"}, "TEMPORAL_TLS_SERVER_CA_CERT_DATA"},
		"key of another cert":  {map[string]string{"TEMPORAL_TLS_CLIENT_CERT_DATA": p.certPEM, "TEMPORAL_TLS_CLIENT_KEY_DATA": newPKI(t).keyPEM}, "TEMPORAL_TLS_CLIENT_CERT_DATA"},
		"bad host verif value": {map[string]string{"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION": "sure"}, "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := optionsFrom(t, c.env)
			require.ErrorContains(t, err, c.want)
		})
	}
}
