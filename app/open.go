package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/ripen/ripen/codec"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/metrics"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/temporalconn"
	"github.com/ripen/ripen/worker"
	"github.com/ripen/ripen/workflows"
)

// Open connects to Postgres and Temporal as cfg says, checks that both are
// fit for this binary (the schema migrated, the search attributes there),
// and builds every part. Close releases the connections. It is the way in
// for `ripen api` and `ripen worker`, so it refuses what production must
// not run with (config.CheckProduction) before it connects to anything.
func Open(ctx context.Context, cfg config.Config, log zerolog.Logger) (*App, error) {
	if err := cfg.CheckProduction(); err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		log.Warn().Msg(w)
	}
	links, err := LinkSigner(cfg)
	if err != nil {
		return nil, err
	}
	reg := NewRegistry()
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
	return New(cfg, Deps{Store: st, Temporal: tc, Links: links, Codec: cod, Registry: reg, Log: log}, Tuning{}), nil
}

// Close releases what Open connected.
func (a *App) Close() {
	a.Temporal.Close()
	a.Store.Close()
}

// LinkSigner reads the keys that sign public links (RIPEN_LINK_KEYS).
func LinkSigner(cfg config.Config) (*linktoken.Signer, error) {
	if cfg.LinkKeys == "" {
		return nil, errors.New("RIPEN_LINK_KEYS is required: e.g. k1:$(openssl rand -base64 32); add new keys in front to rotate")
	}
	s, err := linktoken.ParseKeys(cfg.LinkKeys)
	if err != nil {
		return nil, fmt.Errorf("RIPEN_LINK_KEYS: %w", err)
	}
	return s, nil
}

// requireSchema refuses to run on a database that misses migrations this
// binary needs, and warns when a newer release migrated it further (the
// normal state while an upgrade rolls out).
func requireSchema(ctx context.Context, st *store.Store, log zerolog.Logger) error {
	status, err := st.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	switch {
	case status.Behind():
		return errors.New(status.String())
	case status.Ahead():
		log.Warn().Int64("schema", status.Database).Int64("binary_schema", status.Binary).Msg(status.String())
	}
	return nil
}

// Parts say which processes Run runs.
type Parts struct {
	API, Worker bool
}

// Run runs the parts under one errgroup until ctx ends or one fails: the
// API (with its pruning and its ops listener on cfg.APIOpsAddr), the worker
// (with its /metrics and probes on cfg.WorkerOpsAddr). On the way out the
// worker drains first.
func (a *App) Run(ctx context.Context, parts Parts) error {
	g, ctx := errgroup.WithContext(ctx)
	if parts.API {
		if err := a.authorizeCodec(ctx); err != nil {
			return err
		}
		if a.Config.SendGridWebhookKey == "" {
			a.Log.Warn().Msg("SENDGRID_WEBHOOK_VERIFICATION_KEY is empty: the SendGrid webhook will refuse every post")
		}
		g.Go(func() error { return a.ServeAPI(ctx) })
	}
	if parts.Worker {
		g.Go(func() error { return a.runWorker(ctx) })
	}
	return g.Wait()
}

// runWorker runs the worker until ctx ends. Its probes stay up until the
// worker has stopped: /readyz says "draining" then.
func (a *App) runWorker(ctx context.Context) error {
	cfg, log := a.Config, a.Log
	probes := &worker.Probes{Checks: map[string]func(context.Context) error{
		"postgres": a.Store.Ping,
		"temporal": func(ctx context.Context) error {
			_, err := a.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
	}}
	if cfg.WorkerOpsAddr != "" {
		stop, err := serveOps(cfg.WorkerOpsAddr, probes.Handler(promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{})), log)
		if err != nil {
			return err
		}
		defer stop()
		log.Info().Str("addr", cfg.WorkerOpsAddr).Msg("worker ops listener: /healthz, /readyz and /metrics")
	}
	if cfg.SendGridAPIKey == "" {
		log.Warn().Msg("SENDGRID_API_KEY is empty: SendGrid will refuse mail unless SENDGRID_BASE_URL points at ripen sendgrid-dev")
	}
	// The worker runs what the schedules start, so it sees to them.
	if err := a.EnsureSchedules(ctx); err != nil {
		return err
	}
	w := a.NewWorker()
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

// authorizeCodec gives the codec endpoint its JWT authorizer when
// RIPEN_CODEC_AUTH=jwt.
func (a *App) authorizeCodec(ctx context.Context) error {
	cfg, c, log := a.Config, a.Codec, a.Log
	if cfg.CodecAuth != config.CodecAuthJWT {
		return nil
	}
	if c == nil {
		log.Warn().Msg("RIPEN_CODEC_AUTH=jwt, but RIPEN_CODEC_KEYS is empty: there is no codec endpoint to guard")
		return nil
	}
	auth, err := codec.NewJWTAuthorizer(ctx, codec.JWTConfig{
		Issuer: cfg.CodecJWT.Issuer, Audience: cfg.CodecJWT.Audience, JWKSURL: cfg.CodecJWT.JWKSURL, Allow: cfg.CodecJWT.Allow,
	})
	if err != nil {
		return fmt.Errorf("RIPEN_CODEC_AUTH=jwt: %w", err)
	}
	c.SetAuthorizer(auth)
	log.Info().Str("issuer", cfg.CodecJWT.Issuer).Str("audience", cfg.CodecJWT.Audience).Msg("codec endpoint takes the Web UI's access token (and admin API keys)")
	return nil
}

// serveOps listens on addr at once (so a busy port fails start-up, naming
// the variable) and serves h until stop is called. Callers stop it after
// their part has stopped, so probes and metrics stay up through a drain.
func serveOps(addr string, h http.Handler, log zerolog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ops listener on %s (RIPEN_OPS_ADDR): %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Str("addr", addr).Msg("ops listener")
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-served
	}, nil
}
