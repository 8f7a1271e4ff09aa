package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestDefaultsRunAgainstTheLocalStack(t *testing.T) {
	c, err := FromEnv(env(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultDatabaseURL, c.DatabaseURL)
	require.Equal(t, "127.0.0.1:7233", c.TemporalAddress)
	require.Equal(t, "default", c.TemporalNamespace)
	require.Equal(t, FrequencyCap{}, c.FrequencyCap, "unset means no cap")
	require.Equal(t, 90*24*time.Hour, c.LinkTTL)
	require.Equal(t, 400*24*time.Hour, c.EventsRetention)
	require.Equal(t, 30*time.Second, c.Worker.StopTimeout)
	require.Equal(t, "127.0.0.1:9090", c.APIOpsAddr, "API and worker each have an ops listener of their own on one host")
	require.Equal(t, "127.0.0.1:9464", c.WorkerOpsAddr)
	require.Empty(t, c.Warnings)
}

func TestOpsListeners(t *testing.T) {
	// One variable gives a container its one ops port, whatever it runs.
	c, err := FromEnv(env(map[string]string{"RIPEN_OPS_ADDR": "0.0.0.0:9464"}))
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:9464", c.APIOpsAddr)
	require.Equal(t, "0.0.0.0:9464", c.WorkerOpsAddr)
	require.Empty(t, c.Warnings)

	c, err = FromEnv(env(map[string]string{"RIPEN_OPS_ADDR": "off"}))
	require.NoError(t, err)
	require.Empty(t, c.APIOpsAddr)
	require.Empty(t, c.WorkerOpsAddr)

	// The worker's old variable still works, and says it is old.
	c, err = FromEnv(env(map[string]string{"RIPEN_WORKER_METRICS_ADDR": "0.0.0.0:19464"}))
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:19464", c.WorkerOpsAddr)
	require.Equal(t, "127.0.0.1:9090", c.APIOpsAddr, "the old name was the worker's only")
	require.Len(t, c.Warnings, 1)
	require.Contains(t, c.Warnings[0], "RIPEN_OPS_ADDR")
	c, err = FromEnv(env(map[string]string{"RIPEN_WORKER_METRICS_ADDR": "off"}))
	require.NoError(t, err)
	require.Empty(t, c.WorkerOpsAddr)

	c, err = FromEnv(env(map[string]string{"RIPEN_WORKER_METRICS_ADDR": "0.0.0.0:19464", "RIPEN_OPS_ADDR": "0.0.0.0:9464"}))
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:9464", c.WorkerOpsAddr, "the new name wins")
	require.Len(t, c.Warnings, 1)
	require.Contains(t, c.Warnings[0], "ignored")
}

// withKeys is a configuration that passes CheckProduction, plus kv.
func withKeys(kv map[string]string) func(string) string {
	all := map[string]string{"RIPEN_CODEC_KEYS": "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
	for k, v := range kv {
		all[k] = v
	}
	return env(all)
}

func TestProductionRefusesPayloadsInTheClearAndAnOpenCodec(t *testing.T) {
	refused := []struct {
		name string
		env  func(string) string
		says []string
	}{
		{"no codec keys", env(nil), []string{"RIPEN_CODEC_KEYS", "openssl rand -base64 32", "RIPEN_CODEC=off"}},
		{"anyone may decode", withKeys(map[string]string{"RIPEN_CODEC_AUTH": "none"}), []string{"RIPEN_CODEC_AUTH=none"}},
		{"any token of the issuer may decode", withKeys(map[string]string{
			"RIPEN_CODEC_AUTH": "jwt", "RIPEN_CODEC_JWT_ISSUER": "https://login.example.com/", "RIPEN_CODEC_JWT_AUDIENCE": "ripen-codec",
		}), []string{"RIPEN_CODEC_JWT_ALLOW"}},
		{"an allow-list of blanks", withKeys(map[string]string{
			"RIPEN_CODEC_AUTH": "jwt", "RIPEN_CODEC_JWT_ISSUER": "https://login.example.com/", "RIPEN_CODEC_JWT_AUDIENCE": "ripen-codec",
			"RIPEN_CODEC_JWT_ALLOW": "  ",
		}), []string{"RIPEN_CODEC_JWT_ALLOW"}},
		{"every mistake at once", env(map[string]string{"RIPEN_CODEC_AUTH": "none"}), []string{"RIPEN_CODEC_KEYS", "RIPEN_CODEC_AUTH=none"}},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := FromEnv(c.env)
			require.NoError(t, err, "FromEnv reads it (the dev stack builds on it); CheckProduction refuses it")
			err = cfg.CheckProduction()
			require.Error(t, err)
			for _, s := range c.says {
				require.Contains(t, err.Error(), s)
			}
		})
	}

	accepted := map[string]func(string) string{
		"codec keys":                        withKeys(nil),
		"payloads in the clear, on purpose": env(map[string]string{"RIPEN_CODEC": "off"}),
		"RIPEN_CODEC=OFF":                   env(map[string]string{"RIPEN_CODEC": "OFF"}),
		"jwt with an allow-list": withKeys(map[string]string{
			"RIPEN_CODEC_AUTH": "jwt", "RIPEN_CODEC_JWT_ISSUER": "https://login.example.com/", "RIPEN_CODEC_JWT_AUDIENCE": "ripen-codec",
			"RIPEN_CODEC_JWT_ALLOW": "groups=temporal-admins",
		}),
	}
	for name, e := range accepted {
		cfg, err := FromEnv(e)
		require.NoError(t, err, name)
		require.NoError(t, cfg.CheckProduction(), name)
	}
}

func TestCodecOffAndKeysContradictEachOther(t *testing.T) {
	_, err := FromEnv(withKeys(map[string]string{"RIPEN_CODEC": "off"}))
	require.ErrorContains(t, err, "RIPEN_CODEC=off")
	require.ErrorContains(t, err, "RIPEN_CODEC_KEYS")
	_, err = FromEnv(env(map[string]string{"RIPEN_CODEC": "no"}))
	require.ErrorContains(t, err, "RIPEN_CODEC")
}

func TestFrequencyCap(t *testing.T) {
	cases := []struct {
		in   string
		want FrequencyCap
		bad  bool
	}{
		{"3/7d", FrequencyCap{Max: 3, Per: 7 * 24 * time.Hour}, false},
		{" 1/36h ", FrequencyCap{Max: 1, Per: 36 * time.Hour}, false},
		{"3", FrequencyCap{}, true},
		{"0/7d", FrequencyCap{}, true},
		{"3/week", FrequencyCap{}, true},
	}
	for _, c := range cases {
		got, err := ParseFrequencyCap(c.in)
		if c.bad {
			require.ErrorContains(t, err, "RIPEN_FREQUENCY_CAP", c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
	}
	require.Equal(t, "3/1w", FrequencyCap{Max: 3, Per: 7 * 24 * time.Hour}.String())
}

func TestBadValuesNameTheVariable(t *testing.T) {
	for key, val := range map[string]string{
		"RIPEN_LINK_TTL":                         "soon",
		"RIPEN_EVENTS_RETENTION":                 "7d", // shorter than a detector's window may be
		"SENDGRID_ASM_GROUP_ID":                  "abc",
		"RIPEN_CODEC_AUTH":                       "maybe",
		"RIPEN_WORKER_MAX_CONCURRENT_ACTIVITIES": "-1",
		"RIPEN_WORKER_DEPLOYMENT_NAME":           "ripen",
		"RIPEN_WORKER_WORKFLOW_POLLERS":          "four",
		"TEMPORAL_TLS":                           "perhaps",
		"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION": "perhaps",
	} {
		_, err := FromEnv(env(map[string]string{key: val}))
		require.Error(t, err, key)
		require.Contains(t, err.Error(), key)
	}
}

func TestEventsMayBeKeptForEver(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"RIPEN_EVENTS_RETENTION": "0"}))
	require.NoError(t, err)
	require.Zero(t, c.EventsRetention)
	c, err = FromEnv(env(map[string]string{"RIPEN_EVENTS_RETENTION": "730d"}))
	require.NoError(t, err)
	require.Equal(t, 730*24*time.Hour, c.EventsRetention)
}

func TestWorkerTuningFromTheEnvironment(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"RIPEN_WORKER_MAX_CONCURRENT_ACTIVITIES":        "100",
		"RIPEN_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS":    "50",
		"RIPEN_WORKER_WORKFLOW_POLLERS":                 "4",
		"RIPEN_WORKER_ACTIVITY_POLLERS":                 "8",
		"RIPEN_WORKER_STICKY_CACHE_SIZE":                "5000",
		"RIPEN_WORKER_STOP_TIMEOUT":                     "2m",
		"RIPEN_WORKER_STICKY_SCHEDULE_TO_START_TIMEOUT": "2s",
		"RIPEN_WORKER_DEPLOYMENT_NAME":                  "ripen",
		"RIPEN_WORKER_BUILD_ID":                         "1.5.0",
	}))
	require.NoError(t, err)
	require.Equal(t, WorkerTuning{
		MaxConcurrentActivities: 100, MaxConcurrentWorkflowTasks: 50, WorkflowPollers: 4, ActivityPollers: 8,
		StickyCacheSize: 5000, StickyScheduleToStart: 2 * time.Second, StopTimeout: 2 * time.Minute, DeploymentName: "ripen", BuildID: "1.5.0",
	}, c.Worker)
}

func TestUnsetWorkerTuningKeepsTheSDKDefaults(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"RIPEN_WORKER_BUILD_ID": "1.5.0"}))
	require.NoError(t, err)
	require.Equal(t, WorkerTuning{StopTimeout: 30 * time.Second, BuildID: "1.5.0"}, c.Worker,
		"a build ID alone (the image sets one) does not turn on versioning")
}

func TestTemporalTLSFromTheEnvironment(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"TEMPORAL_TLS":                           "on",
		"TEMPORAL_TLS_CLIENT_CERT_PATH":          "/tls/tls.crt",
		"TEMPORAL_TLS_CLIENT_KEY_DATA":           "-----BEGIN PRIVATE KEY-----",
		"TEMPORAL_TLS_SERVER_CA_CERT_DATA":       "-----BEGIN CERTIFICATE-----",
		"TEMPORAL_TLS_SERVER_NAME":               "temporal.internal",
		"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION": "0",
	}))
	require.NoError(t, err)
	on := true
	require.Equal(t, TemporalTLS{
		Enabled: &on, ClientCertPath: "/tls/tls.crt", ClientKeyData: "-----BEGIN PRIVATE KEY-----",
		ServerCACertData: "-----BEGIN CERTIFICATE-----", ServerName: "temporal.internal",
	}, c.TemporalTLS)
	require.True(t, c.TemporalTLS.Configured())

	c, err = FromEnv(env(nil))
	require.NoError(t, err)
	require.Equal(t, TemporalTLS{}, c.TemporalTLS)
	require.False(t, c.TemporalTLS.Configured())
}

func TestCodecAuthModes(t *testing.T) {
	c, err := FromEnv(env(nil))
	require.NoError(t, err)
	require.Equal(t, CodecAuthAPIKey, c.CodecAuth)
	require.Equal(t, c.TemporalUIURL, c.CodecCORSOrigin)

	c, err = FromEnv(env(map[string]string{
		"RIPEN_CODEC_AUTH": "jwt", "RIPEN_CODEC_JWT_ISSUER": "https://login.example.com/", "RIPEN_CODEC_JWT_AUDIENCE": "ripen-codec",
		"RIPEN_CODEC_JWKS_URL": "https://login.example.com/keys", "RIPEN_CODEC_JWT_ALLOW": "groups=temporal-admins",
	}))
	require.NoError(t, err)
	require.Equal(t, CodecJWT{Issuer: "https://login.example.com/", Audience: "ripen-codec",
		JWKSURL: "https://login.example.com/keys", Allow: "groups=temporal-admins"}, c.CodecJWT)

	_, err = FromEnv(env(map[string]string{"RIPEN_CODEC_AUTH": "jwt", "RIPEN_CODEC_JWT_ISSUER": "https://login.example.com/"}))
	require.ErrorContains(t, err, "RIPEN_CODEC_JWT_AUDIENCE")

	c, err = FromEnv(env(map[string]string{"RIPEN_CODEC_AUTH": "none"}))
	require.NoError(t, err)
	require.Equal(t, CodecAuthNone, c.CodecAuth)
}

func TestForeignEnvKeepsOnlyWhatRipenDoesNotRead(t *testing.T) {
	got := ForeignEnv([]string{"PATH=/usr/bin", "RIPEN_FREQUENCY_CAP=1/7d", "DATABASE_URL=postgres://x", "TEMPORAL_ADDRESS=a:1",
		"SENDGRID_API_KEY=k", "HOME=/root", "DATABASE_URLS=kept"})
	require.Equal(t, []string{"PATH=/usr/bin", "HOME=/root", "DATABASE_URLS=kept"}, got)
}
