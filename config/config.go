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
	TemporalTLSCert   string
	TemporalTLSKey    string
	TemporalTLSCA     string
	// TemporalUIURL is the Web UI base used in links to runs.
	TemporalUIURL string

	// HTTPAddr is where `ripen api` listens.
	HTTPAddr string
	// WorkerMetricsAddr is where `ripen worker` serves /metrics and /healthz
	// ("" turns it off).
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
	// CodecAuth is "api-key" (admin keys) or "none".
	CodecKeys       string
	CodecCORSOrigin string
	CodecAuth       string

	Worker WorkerTuning
}

// WorkerTuning sizes the worker; zero values take the SDK's defaults.
type WorkerTuning struct {
	MaxConcurrentActivities    int
	MaxConcurrentWorkflowTasks int
	WorkflowPollers            int
	ActivityPollers            int
	StickyCacheSize            int
	StopTimeout                time.Duration
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
		TemporalTLSCert:    getenv("TEMPORAL_TLS_CLIENT_CERT_PATH"),
		TemporalTLSKey:     getenv("TEMPORAL_TLS_CLIENT_KEY_PATH"),
		TemporalTLSCA:      getenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH"),
		TemporalUIURL:      get("RIPEN_TEMPORAL_UI_URL", "http://127.0.0.1:8233"),
		HTTPAddr:           get("RIPEN_HTTP_ADDR", "127.0.0.1:8080"),
		WorkerMetricsAddr:  get("RIPEN_WORKER_METRICS_ADDR", "127.0.0.1:9464"),
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
	c.CodecKeys = getenv("RIPEN_CODEC_KEYS")
	c.CodecCORSOrigin = get("RIPEN_CODEC_CORS_ORIGIN", c.TemporalUIURL)
	c.CodecAuth = get("RIPEN_CODEC_AUTH", "api-key")
	if c.CodecAuth != "api-key" && c.CodecAuth != "none" {
		return c, fmt.Errorf("RIPEN_CODEC_AUTH %q: want api-key or none", c.CodecAuth)
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
