// Package config reads ripen's configuration from the environment, in one
// place, so every process (worker, API, migrate, ripen-dev) agrees on it.
package config

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
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

	// HTTPAddr is where `ripen api` listens: the public listener, which
	// serves email links and the webhook to the internet.
	HTTPAddr string
	// APIOpsAddr and WorkerOpsAddr are where `ripen api` and `ripen worker`
	// serve /healthz, /readyz and /metrics (RIPEN_OPS_ADDR): never on the
	// public listener, whose readiness and metrics would tell anyone what
	// ripen runs on and how busy it is. One variable for both, so a
	// container or pod has one ops port whatever it runs; unset, each takes
	// its own default so both fit on one host. "" turns it off (the
	// variable says so with "off", since an empty variable means the
	// default).
	APIOpsAddr    string
	WorkerOpsAddr string
	// PublicURL is the base of tracked, fast-lane and unsubscribe links.
	PublicURL string
	// LinkKeys sign public links: "id:base64,id:base64", newest first.
	LinkKeys string
	// LinkTTL is how long public links stay valid.
	LinkTTL time.Duration
	// HandoffLinkTTL (RIPEN_HANDOFF_LINK_TTL, default 30d) is how long the
	// link to a hand-off's page in the owner's email stays valid: it
	// answers the hand-off without a key, so it lives shorter than
	// contacts' links.
	HandoffLinkTTL time.Duration
	// EventsRetention (RIPEN_EVENTS_RETENTION, default 400d; 0 keeps
	// events for ever) is how long engagement events are kept: a daily
	// Temporal Schedule deletes older ones in batches. Reports read what
	// the events left on the runs, not the events.
	EventsRetention time.Duration
	// RateLimitKey bounds the requests of each API key
	// (RIPEN_RATE_LIMIT_KEY), RateLimitPublic those of each client address
	// on the public routes (RIPEN_RATE_LIMIT_PUBLIC); zero is no limit.
	RateLimitKey    RateLimit
	RateLimitPublic RateLimit
	// TrustedProxies (RIPEN_TRUSTED_PROXIES) are the peers whose
	// X-Forwarded-For names the client: its last hop that is no trusted
	// proxy itself.
	TrustedProxies []netip.Prefix

	SendGridAPIKey     string
	SendGridBaseURL    string
	SendGridWebhookKey string
	FromEmail          string
	FromName           string
	ASMGroupID         int

	// FrequencyCap limits content emails per contact across all journeys.
	FrequencyCap FrequencyCap

	// WebhooksAllowPrivate (RIPEN_WEBHOOKS_ALLOW_PRIVATE) lets outbound
	// webhooks use http and reach loopback, private and link-local
	// addresses: for a dev stack, never where ripen runs for real, whose
	// internal network a webhook URL must not reach.
	WebhooksAllowPrivate bool

	LogFormat string // json or console
	LogLevel  string

	// CodecKeys ("id:base64key,…", newest first) turn on payload encryption;
	// CodecCORSOrigin is the Web UI's origin for the /codec endpoint, and
	// CodecAuth is "api-key" (admin keys), "jwt" (the Web UI's access token,
	// see CodecJWT; admin keys still work) or "none".
	// CodecOff (RIPEN_CODEC=off) says payloads may go to Temporal in the
	// clear: without it, CheckProduction wants CodecKeys.
	CodecKeys       string
	CodecOff        bool
	CodecCORSOrigin string
	CodecAuth       string
	CodecJWT        CodecJWT

	Worker WorkerTuning

	// Warnings are settings that still work but should change (deprecated
	// names); the processes log them at start.
	Warnings []string
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

// RateLimit is a token bucket: Rate requests a second on average, up to
// Burst at once. The zero RateLimit is no limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Off says the limit is turned off.
func (l RateLimit) Off() bool { return l.Rate <= 0 }

// String formats the limit as it is configured, e.g. "50/s burst 100".
func (l RateLimit) String() string {
	if l.Off() {
		return "off"
	}
	return strconv.FormatFloat(l.Rate, 'f', -1, 64) + "/s burst " + strconv.Itoa(l.Burst)
}

// Default rate limits: well above what a client or the dev stack's bench
// sends, far below what takes an API process down.
var (
	DefaultRateLimitKey    = RateLimit{Rate: 50, Burst: 100}
	DefaultRateLimitPublic = RateLimit{Rate: 20, Burst: 40}
)

// ParseRateLimit parses the variable key's value: "RATE/UNIT" with UNIT s,
// m or h and an optional " burst N" ("50/s burst 100", "600/m"), or "off".
// Without a burst it is twice the rate per second.
func ParseRateLimit(key, v string) (RateLimit, error) {
	bad := fmt.Errorf("%s %q: want RATE/UNIT [burst N] such as 50/s burst 100 (UNIT s, m or h), or off", key, v)
	f := strings.Fields(strings.ToLower(v))
	if len(f) == 1 && f[0] == "off" {
		return RateLimit{}, nil
	}
	if len(f) != 1 && (len(f) != 3 || f[1] != "burst") {
		return RateLimit{}, bad
	}
	n, unit, ok := strings.Cut(f[0], "/")
	count, err := strconv.ParseFloat(n, 64)
	per := map[string]float64{"s": 1, "m": 60, "h": 3600}[unit]
	if !ok || err != nil || count <= 0 || count > 1e9 || per == 0 {
		return RateLimit{}, bad
	}
	l := RateLimit{Rate: count / per, Burst: max(1, int(math.Ceil(2*count/per)))}
	if len(f) == 3 {
		if l.Burst, err = strconv.Atoi(f[2]); err != nil || l.Burst < 1 {
			return RateLimit{}, fmt.Errorf("%s %q: the burst must be a positive whole number", key, v)
		}
	}
	return l, nil
}

// ParseTrustedProxies parses RIPEN_TRUSTED_PROXIES: addresses or CIDRs,
// comma-separated.
func ParseTrustedProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("RIPEN_TRUSTED_PROXIES: %q is neither an address nor a CIDR such as 10.0.0.0/8", part)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// DefaultDatabaseURL is the local Postgres with trust auth.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/ripen?sslmode=disable"

// The ops listeners' defaults when RIPEN_OPS_ADDR is unset: on loopback
// only, and apart, so `ripen api` and `ripen worker` fit on one host.
const (
	DefaultAPIOpsAddr    = "127.0.0.1:9090"
	DefaultWorkerOpsAddr = "127.0.0.1:9464"
)

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
	c.APIOpsAddr = offMeansEmpty(get("RIPEN_OPS_ADDR", DefaultAPIOpsAddr))
	c.WorkerOpsAddr = offMeansEmpty(get("RIPEN_OPS_ADDR", get("RIPEN_WORKER_METRICS_ADDR", DefaultWorkerOpsAddr)))
	switch old := getenv("RIPEN_WORKER_METRICS_ADDR"); {
	case old != "" && getenv("RIPEN_OPS_ADDR") != "":
		c.Warnings = append(c.Warnings, "RIPEN_WORKER_METRICS_ADDR is ignored: RIPEN_OPS_ADDR, its new name, is set too; drop RIPEN_WORKER_METRICS_ADDR")
	case old != "":
		c.Warnings = append(c.Warnings, "RIPEN_WORKER_METRICS_ADDR is deprecated: rename it to RIPEN_OPS_ADDR")
	}
	var err error
	if c.TemporalTLS, err = TemporalTLSFromEnv(getenv); err != nil {
		return c, err
	}
	c.CodecKeys = getenv("RIPEN_CODEC_KEYS")
	switch v := getenv("RIPEN_CODEC"); strings.ToLower(v) {
	case "", "on":
	case "off":
		c.CodecOff = true
		if c.CodecKeys != "" {
			return c, fmt.Errorf("RIPEN_CODEC=off, but RIPEN_CODEC_KEYS is set: drop RIPEN_CODEC to encrypt payloads, or the keys to run without")
		}
	default:
		return c, fmt.Errorf("RIPEN_CODEC %q: want off (payloads in the clear) or leave it unset", v)
	}
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
	httl, err := journey.ParseDuration(get("RIPEN_HANDOFF_LINK_TTL", "30d"))
	if err != nil || httl <= 0 {
		return c, fmt.Errorf("RIPEN_HANDOFF_LINK_TTL: want a duration such as 30d")
	}
	c.HandoffLinkTTL = httl.Std()
	if v := get("RIPEN_EVENTS_RETENTION", "400d"); v == "0" {
		c.EventsRetention = 0
	} else if ret, err := journey.ParseDuration(v); err != nil || ret < journey.Duration(90*24*time.Hour) {
		return c, fmt.Errorf("RIPEN_EVENTS_RETENTION: want a duration of at least 90d such as 400d, or 0 to keep events for ever")
	} else {
		c.EventsRetention = ret.Std()
	}
	c.RateLimitKey, c.RateLimitPublic = DefaultRateLimitKey, DefaultRateLimitPublic
	if v := getenv("RIPEN_RATE_LIMIT_KEY"); v != "" {
		if c.RateLimitKey, err = ParseRateLimit("RIPEN_RATE_LIMIT_KEY", v); err != nil {
			return c, err
		}
	}
	if v := getenv("RIPEN_RATE_LIMIT_PUBLIC"); v != "" {
		if c.RateLimitPublic, err = ParseRateLimit("RIPEN_RATE_LIMIT_PUBLIC", v); err != nil {
			return c, err
		}
	}
	if c.TrustedProxies, err = ParseTrustedProxies(getenv("RIPEN_TRUSTED_PROXIES")); err != nil {
		return c, err
	}
	if v := getenv("RIPEN_WEBHOOKS_ALLOW_PRIVATE"); v != "" {
		if c.WebhooksAllowPrivate, err = parseBool("RIPEN_WEBHOOKS_ALLOW_PRIVATE", v); err != nil {
			return c, err
		}
	}
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

// CheckProduction refuses what is fine on a laptop but not where ripen runs
// for real: payloads going to Temporal in the clear without anyone having
// said so (RIPEN_CODEC=off), and a codec endpoint that lets anyone decode
// them. `ripen api` and `ripen worker` call it (app.Open); the dev stack
// builds its own configuration and does not.
func (c Config) CheckProduction() error {
	var errs []error
	if c.CodecKeys == "" && !c.CodecOff {
		errs = append(errs, errors.New("RIPEN_CODEC_KEYS is required: without it workflow payloads (content, notes, scores) "+
			"sit in Temporal's history in the clear. Make a key with RIPEN_CODEC_KEYS=k1:$(openssl rand -base64 32), the same on "+
			"every worker and API, and keep it in your secret store; or set RIPEN_CODEC=off to run without encryption on purpose"))
	}
	switch {
	case c.CodecAuth == CodecAuthNone:
		errs = append(errs, errors.New("RIPEN_CODEC_AUTH=none lets anyone who reaches /codec/decode read every payload: "+
			"use api-key (admin keys) or jwt with RIPEN_CODEC_JWT_ALLOW"))
	case c.CodecAuth == CodecAuthJWT && strings.TrimSpace(c.CodecJWT.Allow) == "":
		errs = append(errs, errors.New("RIPEN_CODEC_AUTH=jwt needs RIPEN_CODEC_JWT_ALLOW: without it every token the issuer "+
			"signs for the audience may decode payloads; name who may, e.g. RIPEN_CODEC_JWT_ALLOW=groups=temporal-admins"))
	}
	return errors.Join(errs...)
}

// ForeignEnv is environ without the variables ripen's processes read
// (RIPEN_*, TEMPORAL_*, SENDGRID_*, DATABASE_URL): what a tool that starts
// ripen processes of its own passes on, so that a developer's settings do
// not leak into the stack it configures.
func ForeignEnv(environ []string) []string {
	var env []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "RIPEN_") || strings.HasPrefix(k, "TEMPORAL_") || strings.HasPrefix(k, "SENDGRID_") || k == "DATABASE_URL" {
			continue
		}
		env = append(env, kv)
	}
	return env
}
