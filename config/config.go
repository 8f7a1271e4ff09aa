// Package config reads ripen's configuration from the environment, in one
// place, so every process (worker, API, migrate, ripen-dev) agrees on it.
package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ripen/ripen/journey"
)

// Config is everything ripen's processes need to know.
type Config struct {
	DatabaseURL string

	TemporalAddress   string
	TemporalNamespace string
	TemporalAPIKey    string
	// TemporalTLS is the TLS side of the connection (TEMPORAL_TLS_*).
	TemporalTLS TemporalTLS
	// TemporalUIURL is the Web UI base used in links to runs.
	TemporalUIURL string

	// HTTPAddr is where `ripen api` listens.
	HTTPAddr string
	// WorkerMetricsAddr is where `ripen worker` serves /metrics and /healthz
	// ("" turns it off; the variable says so with "off", since an empty
	// variable means the default).
	WorkerMetricsAddr string
	// PublicURL is the base of tracked, fast-lane and unsubscribe links.
	PublicURL string
	// LinkKeys sign public links: "id:base64,id:base64", newest first.
	LinkKeys string
	// LinkTTL is how long public links stay valid.
	LinkTTL time.Duration

	SendGridAPIKey     string
	SendGridBaseURL    string
	SendGridWebhookKey string
	FromEmail          string
	FromName           string
	ASMGroupID         int

	// FrequencyCap limits content emails per contact across all journeys.
	FrequencyCap FrequencyCap

	LogFormat string // json or console
	LogLevel  string

	// CodecKeys ("id:base64key,…", newest first) turn on payload encryption;
	// CodecCORSOrigin is the Web UI's origin for the /codec endpoint, and
	// CodecAuth is "api-key" (admin keys), "jwt" (the Web UI's access token,
	// see CodecJWT; admin keys still work) or "none".
	CodecKeys       string
	CodecCORSOrigin string
	CodecAuth       string
	CodecJWT        CodecJWT

	Worker WorkerTuning
}

// Codec authorization modes (RIPEN_CODEC_AUTH).
const (
	CodecAuthAPIKey = "api-key"
	CodecAuthJWT    = "jwt"
	CodecAuthNone   = "none"
)

// CodecJWT says which bearer tokens may use the codec endpoint when
// RIPEN_CODEC_AUTH=jwt: tokens signed by Issuer's keys, for Audience, not
// expired.
type CodecJWT struct {
	Issuer   string // RIPEN_CODEC_JWT_ISSUER, exactly as in the tokens' iss
	Audience string // RIPEN_CODEC_JWT_AUDIENCE, one of the tokens' aud
	// JWKSURL (RIPEN_CODEC_JWKS_URL) is where the signing keys are; empty
	// discovers it from Issuer's /.well-known/openid-configuration.
	JWKSURL string
	// Allow (RIPEN_CODEC_JWT_ALLOW) narrows who may decode:
	// "claim=value,claim=value"; a token passes with any one of them.
	// Empty lets every verified token through.
	Allow string
}

// TemporalTLS is the TLS configuration of the Temporal connection, read from
// the variables of the Temporal SDKs' environment configuration. Each
// certificate or key comes from a file (…_PATH) or inline PEM (…_DATA), not
// both.
type TemporalTLS struct {
	// Enabled is TEMPORAL_TLS: nil decides by the rest (TLS when any
	// setting below or TEMPORAL_API_KEY is set), false forces plaintext.
	Enabled          *bool
	ClientCertPath   string
	ClientCertData   string
	ClientKeyPath    string
	ClientKeyData    string
	ServerCACertPath string
	ServerCACertData string
	// ServerName overrides the name the server's certificate must carry
	// (and the SNI sent), e.g. when TEMPORAL_ADDRESS is an IP or a proxy.
	ServerName string
	// DisableHostVerification skips verifying the server's certificate
	// altogether (as the SDKs do); for tests only.
	DisableHostVerification bool
}

// Configured says whether any TLS setting besides TEMPORAL_TLS is given.
func (t TemporalTLS) Configured() bool {
	return t.ClientCertPath != "" || t.ClientCertData != "" || t.ClientKeyPath != "" || t.ClientKeyData != "" ||
		t.ServerCACertPath != "" || t.ServerCACertData != "" || t.ServerName != "" || t.DisableHostVerification
}

// TemporalTLSFromEnv reads the TEMPORAL_TLS_* variables and checks that they
// fit together; getenv is os.Getenv outside tests.
func TemporalTLSFromEnv(getenv func(string) string) (TemporalTLS, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	t := TemporalTLS{
		ClientCertPath: getenv("TEMPORAL_TLS_CLIENT_CERT_PATH"), ClientCertData: getenv("TEMPORAL_TLS_CLIENT_CERT_DATA"),
		ClientKeyPath: getenv("TEMPORAL_TLS_CLIENT_KEY_PATH"), ClientKeyData: getenv("TEMPORAL_TLS_CLIENT_KEY_DATA"),
		ServerCACertPath: getenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH"), ServerCACertData: getenv("TEMPORAL_TLS_SERVER_CA_CERT_DATA"),
		ServerName: getenv("TEMPORAL_TLS_SERVER_NAME"),
	}
	if v := getenv("TEMPORAL_TLS"); v != "" {
		on, err := parseBool("TEMPORAL_TLS", v)
		if err != nil {
			return t, err
		}
		t.Enabled = &on
	}
	if v := getenv("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION"); v != "" {
		off, err := parseBool("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", v)
		if err != nil {
			return t, err
		}
		t.DisableHostVerification = off
	}
	for _, v := range []struct{ name, path, data string }{
		{"TEMPORAL_TLS_CLIENT_CERT", t.ClientCertPath, t.ClientCertData},
		{"TEMPORAL_TLS_CLIENT_KEY", t.ClientKeyPath, t.ClientKeyData},
		{"TEMPORAL_TLS_SERVER_CA_CERT", t.ServerCACertPath, t.ServerCACertData},
	} {
		if v.path != "" && v.data != "" {
			return t, fmt.Errorf("%s_PATH and %s_DATA are both set: give the file or the PEM, not both", v.name, v.name)
		}
	}
	cert := t.ClientCertPath != "" || t.ClientCertData != ""
	key := t.ClientKeyPath != "" || t.ClientKeyData != ""
	if cert != key {
		return t, fmt.Errorf("TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_* go together: set both (the client certificate and its key) or neither")
	}
	if t.Enabled != nil && !*t.Enabled && t.Configured() {
		return t, fmt.Errorf("TEMPORAL_TLS is false, but TLS settings (TEMPORAL_TLS_*) are set: drop one or the other")
	}
	return t, nil
}

// parseBool reads the booleans the Temporal SDKs accept.
func parseBool(key, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s %q: want true or false", key, v)
}

// WorkerTuning sizes the worker; zero values take the SDK's defaults.
type WorkerTuning struct {
	MaxConcurrentActivities    int
	MaxConcurrentWorkflowTasks int
	WorkflowPollers            int
	ActivityPollers            int
	StickyCacheSize            int
	// StickyScheduleToStart is how long a run's next task waits for the
	// worker that holds it in its cache before any worker takes it: after
	// a worker dies, its runs move on after this (SDK default 5s).
	StickyScheduleToStart time.Duration
	StopTimeout           time.Duration
	// DeploymentName and BuildID opt into Worker Versioning.
	DeploymentName string
	BuildID        string
}

// FrequencyCap allows at most Max content emails per contact in Per; zero
// Max means no cap.
type FrequencyCap struct {
	Max int
	Per time.Duration
}

// String formats the cap as it is configured, e.g. "3/7d".
func (f FrequencyCap) String() string {
	if f.Max == 0 {
		return "none"
	}
	return fmt.Sprintf("%d/%s", f.Max, journey.Duration(f.Per))
}

// ParseFrequencyCap parses "3/7d"; "" means no cap.
func ParseFrequencyCap(s string) (FrequencyCap, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return FrequencyCap{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	max, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || max < 1 {
		return FrequencyCap{}, fmt.Errorf("RIPEN_FREQUENCY_CAP %q: want COUNT/DURATION such as 3/7d", s)
	}
	d, err := journey.ParseDuration(per)
	if err != nil || d <= 0 {
		return FrequencyCap{}, fmt.Errorf("RIPEN_FREQUENCY_CAP %q: want COUNT/DURATION such as 3/7d", s)
	}
	return FrequencyCap{Max: max, Per: d.Std()}, nil
}

// DefaultDatabaseURL is the local Postgres with trust auth.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/ripen?sslmode=disable"

// FromEnv reads the configuration; getenv is os.Getenv outside tests.
func FromEnv(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	get := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL:        get("DATABASE_URL", DefaultDatabaseURL),
		TemporalAddress:    get("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		TemporalNamespace:  get("TEMPORAL_NAMESPACE", "default"),
		TemporalAPIKey:     getenv("TEMPORAL_API_KEY"),
		TemporalUIURL:      get("RIPEN_TEMPORAL_UI_URL", "http://127.0.0.1:8233"),
		HTTPAddr:           get("RIPEN_HTTP_ADDR", "127.0.0.1:8080"),
		WorkerMetricsAddr:  offMeansEmpty(get("RIPEN_WORKER_METRICS_ADDR", "127.0.0.1:9464")),
		PublicURL:          strings.TrimRight(get("RIPEN_PUBLIC_URL", "http://127.0.0.1:8080"), "/"),
		LinkKeys:           getenv("RIPEN_LINK_KEYS"),
		SendGridAPIKey:     getenv("SENDGRID_API_KEY"),
		SendGridBaseURL:    get("SENDGRID_BASE_URL", "https://api.sendgrid.com"),
		SendGridWebhookKey: getenv("SENDGRID_WEBHOOK_VERIFICATION_KEY"),
		FromEmail:          get("RIPEN_FROM_EMAIL", "nurture@ripen.example"),
		FromName:           get("RIPEN_FROM_NAME", "ripen"),
		LogFormat:          get("RIPEN_LOG_FORMAT", "json"),
		LogLevel:           get("RIPEN_LOG_LEVEL", "info"),
	}
	var err error
	if c.TemporalTLS, err = TemporalTLSFromEnv(getenv); err != nil {
		return c, err
	}
	c.CodecKeys = getenv("RIPEN_CODEC_KEYS")
	c.CodecCORSOrigin = get("RIPEN_CODEC_CORS_ORIGIN", c.TemporalUIURL)
	c.CodecAuth = get("RIPEN_CODEC_AUTH", CodecAuthAPIKey)
	c.CodecJWT = CodecJWT{
		Issuer: getenv("RIPEN_CODEC_JWT_ISSUER"), Audience: getenv("RIPEN_CODEC_JWT_AUDIENCE"),
		JWKSURL: getenv("RIPEN_CODEC_JWKS_URL"), Allow: getenv("RIPEN_CODEC_JWT_ALLOW"),
	}
	switch c.CodecAuth {
	case CodecAuthAPIKey, CodecAuthNone:
	case CodecAuthJWT:
		if c.CodecJWT.Issuer == "" || c.CodecJWT.Audience == "" {
			return c, fmt.Errorf("RIPEN_CODEC_AUTH=jwt needs RIPEN_CODEC_JWT_ISSUER and RIPEN_CODEC_JWT_AUDIENCE (and RIPEN_CODEC_JWKS_URL unless the issuer publishes /.well-known/openid-configuration)")
		}
	default:
		return c, fmt.Errorf("RIPEN_CODEC_AUTH %q: want api-key, jwt or none", c.CodecAuth)
	}
	c.Worker.DeploymentName = getenv("RIPEN_WORKER_DEPLOYMENT_NAME")
	c.Worker.BuildID = getenv("RIPEN_WORKER_BUILD_ID")
	if c.Worker.DeploymentName != "" && c.Worker.BuildID == "" {
		return c, fmt.Errorf("RIPEN_WORKER_DEPLOYMENT_NAME is set: RIPEN_WORKER_BUILD_ID is required too")
	}
	for key, dst := range map[string]*int{
		"RIPEN_WORKER_MAX_CONCURRENT_ACTIVITIES":     &c.Worker.MaxConcurrentActivities,
		"RIPEN_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS": &c.Worker.MaxConcurrentWorkflowTasks,
		"RIPEN_WORKER_WORKFLOW_POLLERS":              &c.Worker.WorkflowPollers,
		"RIPEN_WORKER_ACTIVITY_POLLERS":              &c.Worker.ActivityPollers,
		"RIPEN_WORKER_STICKY_CACHE_SIZE":             &c.Worker.StickyCacheSize,
	} {
		if v := getenv(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return c, fmt.Errorf("%s %q: want a positive number", key, v)
			}
			*dst = n
		}
	}
	stop, err := journey.ParseDuration(get("RIPEN_WORKER_STOP_TIMEOUT", "30s"))
	if err != nil {
		return c, fmt.Errorf("RIPEN_WORKER_STOP_TIMEOUT: %w", err)
	}
	c.Worker.StopTimeout = stop.Std()
	if v := getenv("RIPEN_WORKER_STICKY_SCHEDULE_TO_START_TIMEOUT"); v != "" {
		d, err := journey.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("RIPEN_WORKER_STICKY_SCHEDULE_TO_START_TIMEOUT %q: want a duration such as 5s", v)
		}
		c.Worker.StickyScheduleToStart = d.Std()
	}
	if c.FrequencyCap, err = ParseFrequencyCap(getenv("RIPEN_FREQUENCY_CAP")); err != nil {
		return c, err
	}
	ttl, err := journey.ParseDuration(get("RIPEN_LINK_TTL", "90d"))
	if err != nil || ttl <= 0 {
		return c, fmt.Errorf("RIPEN_LINK_TTL: want a duration such as 90d")
	}
	c.LinkTTL = ttl.Std()
	if v := getenv("SENDGRID_ASM_GROUP_ID"); v != "" {
		if c.ASMGroupID, err = strconv.Atoi(v); err != nil {
			return c, fmt.Errorf("SENDGRID_ASM_GROUP_ID %q: want a number", v)
		}
	}
	return c, nil
}

// offMeansEmpty reads "off" as turned off ("").
func offMeansEmpty(v string) string {
	if strings.EqualFold(v, "off") {
		return ""
	}
	return v
}
