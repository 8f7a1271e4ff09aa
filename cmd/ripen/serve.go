package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/api"
	"github.com/ripen/ripen/codec"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/logging"
	"github.com/ripen/ripen/metrics"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/temporalconn"
	"github.com/ripen/ripen/worker"
	"github.com/ripen/ripen/workflows"
)

// setup reads the configuration and builds the logger every command uses.
func setup() (config.Config, zerolog.Logger, error) {
	cfg, err := config.FromEnv(nil)
	return cfg, logging.New(cfg.LogFormat, cfg.LogLevel), err
}

func linkSigner(cfg config.Config) (*linktoken.Signer, error) {
	if cfg.LinkKeys == "" {
		return nil, errors.New("RIPEN_LINK_KEYS is required: e.g. k1:$(openssl rand -base64 32); add new keys in front to rotate")
	}
	s, err := linktoken.ParseKeys(cfg.LinkKeys)
	if err != nil {
		return nil, fmt.Errorf("RIPEN_LINK_KEYS: %w", err)
	}
	return s, nil
}

// deps are what the worker and the API both need, opened from config.
type deps struct {
	cfg   config.Config
	log   zerolog.Logger
	links *linktoken.Signer
	store *store.Store
	tc    client.Client
	codec *codec.Codec // nil without RIPEN_CODEC_KEYS
}

// open reads the configuration and connects to Postgres and Temporal, with
// the Temporal SDK's metrics on reg.
func open(ctx context.Context, name string, args []string, stderr io.Writer, reg *prometheus.Registry) (*deps, error) {
	fs := newFlags(name, stderr)
	if _, err := parseArgs(fs, args); err != nil {
		return nil, exitError(2)
	}
	cfg, log, err := setup()
	if err != nil {
		return nil, err
	}
	links, err := linkSigner(cfg)
	if err != nil {
		return nil, err
	}
	var cod *codec.Codec
	opts := temporalconn.Options{MetricsHandler: metrics.NewTemporalHandler(reg)}
	if cfg.CodecKeys != "" {
		if cod, err = codec.New(cfg.CodecKeys); err != nil {
			return nil, fmt.Errorf("RIPEN_CODEC_KEYS: %w", err)
		}
		opts.DataConverter = cod.DataConverter(nil)
		opts.FailureConverter = cod.FailureConverter(opts.DataConverter)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := requireSchema(ctx, st, log); err != nil {
		st.Close()
		return nil, err
	}
	tc, err := temporalconn.Dial(ctx, cfg, log, opts)
	if err != nil {
		st.Close()
		return nil, err
	}
	// Visibility and the Web UI need ripen's search attributes: refuse to
	// start without them, and say how to add them.
	if err := temporalconn.CheckSearchAttributes(ctx, tc, cfg.TemporalNamespace, workflows.SearchAttributes()); err != nil {
		var missing *temporalconn.SearchAttributesError
		if errors.As(err, &missing) {
			tc.Close()
			st.Close()
			return nil, err
		}
		log.Warn().Err(err).Msg("could not check the namespace's search attributes")
	}
	return &deps{cfg: cfg, log: log, links: links, store: st, tc: tc, codec: cod}, nil
}

func (d *deps) close() {
	d.tc.Close()
	d.store.Close()
}

func runWorker(ctx context.Context, args []string, stderr io.Writer) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d, err := open(ctx, "ripen worker", args, stderr, reg)
	if err != nil {
		return err
	}
	defer d.close()
	cfg, log := d.cfg, d.log
	probes := workerProbes(d.store, d.tc)
	stopProbes := func() {}
	if cfg.WorkerMetricsAddr != "" {
		// Up until the worker has stopped: /readyz says "draining" then.
		if stopProbes, err = worker.ServeProbes(cfg.WorkerMetricsAddr, probes.Handler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})), log); err != nil {
			return err
		}
		log.Info().Str("addr", cfg.WorkerMetricsAddr).Msg("worker /metrics, /healthz and /readyz")
	}
	defer stopProbes()
	if cfg.SendGridAPIKey == "" {
		log.Warn().Msg("SENDGRID_API_KEY is empty: SendGrid will refuse mail unless SENDGRID_BASE_URL points at ripen sendgrid-dev")
	}
	acts := &activities.Activities{
		Store: d.store,
		Mail:  sendgrid.New(sendgrid.Config{APIKey: cfg.SendGridAPIKey, BaseURL: cfg.SendGridBaseURL}),
		Links: d.links,
		Config: activities.Config{
			From: sendgrid.Address{Email: cfg.FromEmail, Name: cfg.FromName}, ASMGroupID: cfg.ASMGroupID,
			PublicURL: cfg.PublicURL, TemporalUIURL: cfg.TemporalUIURL, Namespace: cfg.TemporalNamespace,
			FrequencyMax: cfg.FrequencyCap.Max, FrequencyPer: cfg.FrequencyCap.Per, LinkTTL: cfg.LinkTTL,
		},
		Log:     log.With().Str("component", "activities").Logger(),
		Metrics: activities.NewMetrics(reg),
	}
	w := worker.New(d.tc, acts, cfg.Worker)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	log.Info().Str("temporal", cfg.TemporalAddress).Str("namespace", cfg.TemporalNamespace).Str("frequency_cap", cfg.FrequencyCap.String()).Msg("worker running on task queue ripen")
	<-ctx.Done()
	log.Info().Msg("worker draining")
	probes.Drain()
	w.Stop()
	return nil
}

func runAPI(ctx context.Context, args []string, stderr io.Writer) error {
	m := api.NewMetrics(nil)
	d, err := open(ctx, "ripen api", args, stderr, m.Registry())
	if err != nil {
		return err
	}
	defer d.close()
	cfg, log := d.cfg, d.log
	if err := codecAuthorizer(ctx, cfg, d.codec, log); err != nil {
		return err
	}
	if cfg.SendGridWebhookKey == "" {
		log.Warn().Msg("SENDGRID_WEBHOOK_VERIFICATION_KEY is empty: the SendGrid webhook will refuse every post")
	}
	srv := api.New(d.store, d.tc, d.links, api.Config{
		PublicURL: cfg.PublicURL, TemporalUIURL: cfg.TemporalUIURL, Namespace: cfg.TemporalNamespace,
		WebhookKey: cfg.SendGridWebhookKey, LinkTTL: cfg.LinkTTL,
		Codec: d.codec, CodecCORSOrigin: cfg.CodecCORSOrigin, CodecAuthNone: cfg.CodecAuth == "none",
	}, log.With().Str("component", "api").Logger(), m)
	go srv.Prune(ctx, time.Hour)
	log.Info().Str("addr", cfg.HTTPAddr).Str("public_url", cfg.PublicURL).Msg("API listening")
	return srv.Run(ctx, cfg.HTTPAddr)
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ripen migrate", stderr)
	create := fs.Bool("create-database", false, "create the database first when it does not exist")
	check := fs.Bool("check", false, "change nothing: exit 0 when the schema is up to date, 1 when it needs ripen migrate")
	wait := fs.Duration("wait", 0, "with --check: wait up to this long for the schema to be migrated (init containers)")
	if _, err := parseArgs(fs, args); err != nil {
		return exitError(2)
	}
	cfg, _, err := setup()
	if err != nil {
		return err
	}
	if *check {
		return checkSchema(ctx, cfg, *wait, stdout)
	}
	if *create {
		if err := store.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	}
	applied, version, err := store.ApplyMigrations(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "schema up to date at version %d\n", version)
		return nil
	}
	fmt.Fprintf(stdout, "applied %s; schema at version %d\n", strings.Join(applied, ", "), version)
	return nil
}

func runAPIKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, "usage: ripen apikeys create --role ROLE --label TEXT | list | revoke ID\n")
		return exitError(2)
	}
	cfg, _, err := setup()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "create":
		fs := newFlags("ripen apikeys create", stderr)
		role := fs.String("role", "", "marketing, sales or admin (required)")
		label := fs.String("label", "", "what the key is for, e.g. \"CRM sync\" (required)")
		if _, err := parseArgs(fs, args[1:]); err != nil {
			return exitError(2)
		}
		if *role == "" || *label == "" {
			return errors.New("--role and --label are required")
		}
		key, _, err := st.CreateAPIKey(ctx, *role, *label)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, key)
		return nil
	case "list":
		keys, err := st.ListAPIKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tLABEL\tPREFIX\tCREATED\tLAST USED\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Role, k.Label, k.Prefix, k.CreatedAt.Format(time.DateTime), when(k.LastUsedAt), when(k.RevokedAt))
		}
		return tw.Flush()
	case "revoke":
		var id int64
		if len(args) != 2 {
			return errors.New("usage: ripen apikeys revoke ID")
		}
		if _, err := fmt.Sscan(args[1], &id); err != nil {
			return fmt.Errorf("key ID %q: want the number `ripen apikeys list` shows", args[1])
		}
		if err := st.RevokeAPIKey(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked key %d\n", id)
		return nil
	}
	return fmt.Errorf("unknown apikeys command %q (create, list, revoke)", args[0])
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateTime)
}

func runSendGridDev(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("ripen sendgrid-dev", stderr)
	addr := fs.String("addr", "127.0.0.1:8025", "listen address")
	webhook := fs.String("webhook-url", "", "where to post signed Event Webhook events, e.g. http://127.0.0.1:8080/webhooks/sendgrid")
	apiKey := fs.String("api-key", "", "if set, mail sends must carry this key")
	dataDir := fs.String("data-dir", ".ripen", "keeps the webhook signing key, so the verification key stays valid")
	if _, err := parseArgs(fs, args); err != nil {
		return exitError(2)
	}
	_, log, err := setup()
	if err != nil {
		return err
	}
	signer, err := devSigner(*dataDir)
	if err != nil {
		return err
	}
	srv, err := sendgriddev.New(sendgriddev.Options{APIKey: *apiKey, WebhookURL: *webhook, Signer: signer, Log: log})
	if err != nil {
		return err
	}
	defer srv.Close()
	log.Info().Str("addr", *addr).Str("webhook_url", *webhook).Str("verification_key", srv.PublicKeyBase64()).Msg("local SendGrid server: inbox at http://" + *addr + "/")
	return srv.ListenAndServe(ctx, *addr)
}

// devSigner keeps the local server's webhook key across restarts.
func devSigner(dir string) (*sendgrid.Signer, error) {
	path := filepath.Join(dir, "sendgrid-webhook-key")
	if b, err := os.ReadFile(path); err == nil {
		return sendgrid.ParseSigner(strings.TrimSpace(string(b)))
	}
	s, err := sendgrid.NewSigner()
	if err != nil {
		return nil, err
	}
	priv, err := s.PrivateKeyBase64()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return s, os.WriteFile(path, []byte(priv+"\n"), 0o600)
}
