package chaos

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	tclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"

	"github.com/ripen/ripen/codec"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/internal/freeport"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sendgrid"
)

// stack is ripen as separate processes: the embedded Temporal server on its
// own, two workers, the API and the local SendGrid server, against a fresh
// database on the local Postgres.
type stack struct {
	cfg Config
	dir string // logs, Temporal's SQLite file, the webhook key

	serverURL string // Postgres server (database "postgres")
	dbName    string
	dbURL     string

	temporalAddr string
	apiURL       string
	opsURL       string // the API's ops listener: /readyz, /metrics
	sendgridURL  string

	temporal *proc
	sendgrid *proc
	api      *proc
	workers  []*proc

	// signer signs webhook posts as the local SendGrid server does (the
	// suite writes its key, so both sign alike).
	signer       *sendgrid.Signer
	marketingKey string
	salesKey     string
	adminKey     string

	pool *pgxpool.Pool
	tc   tclient.Client
	// dc reads the payloads in histories: the workers seal them with the
	// codec key the suite gives them, as production does.
	dc   converter.DataConverter
	http *client
}

// startStack creates the database and starts every process.
func startStack(ctx context.Context, cfg Config, progress func(string, ...any)) (*stack, error) {
	s := &stack{cfg: cfg}
	dir := cfg.WorkDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "ripen-chaos-"); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s.dir = dir

	// A fresh database per run.
	u, err := serverURL(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	s.dbName = fmt.Sprintf("ripen_chaos_%d", time.Now().Unix())
	u.Path = "/postgres"
	s.serverURL = u.String()
	u.Path = "/" + s.dbName
	s.dbURL = u.String()

	ports, err := freePorts(7)
	if err != nil {
		return nil, err
	}
	temporalPort, uiPort, sendgridPort, apiPort, opsPort := ports[0], ports[1], ports[2], ports[3], ports[6]
	s.temporalAddr = "127.0.0.1:" + strconv.Itoa(temporalPort)
	s.apiURL = "http://127.0.0.1:" + strconv.Itoa(apiPort)
	s.opsURL = "http://127.0.0.1:" + strconv.Itoa(opsPort)
	s.sendgridURL = "http://127.0.0.1:" + strconv.Itoa(sendgridPort)
	s.http = newClient(s.apiURL, 48)

	// The webhook key: written where sendgrid-dev looks for it, so the
	// suite can sign storm batches exactly as the server signs its own.
	if s.signer, err = sendgrid.NewSigner(); err != nil {
		return nil, err
	}
	priv, err := s.signer.PrivateKeyBase64()
	if err != nil {
		return nil, err
	}
	sgDir := filepath.Join(dir, "sendgrid")
	if err := os.MkdirAll(sgDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(sgDir, "sendgrid-webhook-key"), []byte(priv+"\n"), 0o600); err != nil {
		return nil, err
	}
	linkKey, err := linktoken.GenerateKey("chaos")
	if err != nil {
		return nil, err
	}
	codecKey := make([]byte, 32)
	if _, err := rand.Read(codecKey); err != nil {
		return nil, err
	}
	codecKeys := "chaos:" + base64.StdEncoding.EncodeToString(codecKey)
	cod, err := codec.New(codecKeys)
	if err != nil {
		return nil, err
	}
	s.dc = cod.DataConverter(nil)

	env := config.ForeignEnv(os.Environ())
	env = append(env,
		"DATABASE_URL="+s.dbURL,
		"TEMPORAL_ADDRESS="+s.temporalAddr,
		"TEMPORAL_NAMESPACE=default",
		"RIPEN_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(apiPort),
		"RIPEN_PUBLIC_URL="+s.apiURL,
		"RIPEN_TEMPORAL_UI_URL=http://127.0.0.1:"+strconv.Itoa(uiPort),
		"RIPEN_LINK_KEYS="+linktoken.FormatKeys(linkKey),
		"RIPEN_CODEC_KEYS="+codecKeys,
		"SENDGRID_BASE_URL="+s.sendgridURL,
		"SENDGRID_API_KEY=chaos",
		"SENDGRID_WEBHOOK_VERIFICATION_KEY="+s.signer.PublicKeyBase64(),
		"RIPEN_LOG_FORMAT=json",
		"RIPEN_LOG_LEVEL=info",
		// Every contact, SendGrid's webhook and the attackers come from
		// this machine: the attackers name their own addresses through a
		// proxy header, and the limits sit above what the drivers need,
		// so that only the hostile phase meets them.
		"RIPEN_TRUSTED_PROXIES=127.0.0.0/8,::1/128",
		"RIPEN_RATE_LIMIT_KEY=400/s burst 800",
		"RIPEN_RATE_LIMIT_PUBLIC=400/s burst 800",
		// The suite's webhook receiver listens on this machine.
		"RIPEN_WEBHOOKS_ALLOW_PRIVATE=true",
	)

	progress("database %s; processes log to %s", s.dbName, dir)
	if out, err := runCmd(ctx, env, cfg.RipenBin, "migrate", "--create-database"); err != nil {
		return s, fmt.Errorf("ripen migrate: %v: %s", err, out)
	}
	for _, k := range []struct {
		role string
		dst  *string
	}{{"marketing", &s.marketingKey}, {"sales", &s.salesKey}, {"admin", &s.adminKey}} {
		out, err := runCmd(ctx, env, cfg.RipenBin, "apikeys", "create", "--role", k.role, "--label", "chaos "+k.role)
		if err != nil {
			return s, fmt.Errorf("ripen apikeys create: %v: %s", err, out)
		}
		*k.dst = strings.TrimSpace(out)
	}
	if s.pool, err = pgxpool.New(ctx, s.dbURL); err != nil {
		return s, err
	}

	temporalArgv := append(append([]string(nil), cfg.TemporalCommand...),
		"--data-dir", filepath.Join(dir, "temporal"), "--temporal-port", strconv.Itoa(temporalPort),
		"--ui-port", strconv.Itoa(uiPort), "--log-level", "warn")
	if cfg.TemporalStore != "" {
		temporalArgv = append(temporalArgv, "--temporal-store", cfg.TemporalStore, "--database-url", s.dbURL)
	}
	if cfg.TemporalShards > 0 {
		temporalArgv = append(temporalArgv, "--temporal-shards", strconv.Itoa(cfg.TemporalShards))
	}
	s.temporal = &proc{name: "temporal", argv: temporalArgv, env: env, logPath: filepath.Join(dir, "temporal.log")}
	s.temporal.ready = func(context.Context) error {
		b, err := os.ReadFile(s.temporal.logPath)
		if err != nil {
			return err
		}
		s.temporal.mu.Lock()
		starts := s.temporal.starts
		s.temporal.mu.Unlock()
		if strings.Count(string(b), "Temporal on ") < starts {
			return errors.New("not listening yet")
		}
		return nil
	}
	s.sendgrid = &proc{name: "sendgrid-dev", env: env, logPath: filepath.Join(dir, "sendgrid-dev.log"),
		argv: []string{cfg.RipenBin, "sendgrid-dev", "--addr", "127.0.0.1:" + strconv.Itoa(sendgridPort),
			"--webhook-url", s.apiURL + "/webhooks/sendgrid", "--data-dir", sgDir},
		ready: httpReady(s.sendgridURL + "/api/faults")}
	s.api = &proc{name: "api", argv: []string{cfg.RipenBin, "api"}, logPath: filepath.Join(dir, "api.log"),
		env:   append(append([]string(nil), env...), "RIPEN_OPS_ADDR="+strings.TrimPrefix(s.opsURL, "http://")),
		ready: httpReady(s.opsURL + "/readyz")}
	for i := 0; i < 2; i++ {
		metrics := "127.0.0.1:" + strconv.Itoa(ports[4+i])
		w := &proc{name: fmt.Sprintf("worker-%d", i+1), argv: []string{cfg.RipenBin, "worker"},
			env:     append(append([]string(nil), env...), "RIPEN_OPS_ADDR="+metrics),
			logPath: filepath.Join(dir, fmt.Sprintf("worker-%d.log", i+1)), ready: httpReady("http://" + metrics + "/healthz")}
		s.workers = append(s.workers, w)
	}

	for _, p := range append([]*proc{s.temporal, s.sendgrid, s.api}, s.workers...) {
		if err := p.start(ctx); err != nil {
			return s, err
		}
	}
	s.tc, err = tclient.Dial(tclient.Options{HostPort: s.temporalAddr, Namespace: "default",
		Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return s, fmt.Errorf("dial temporal: %w", err)
	}
	progress("stack up: Temporal %s, API %s, SendGrid %s, 2 workers", s.temporalAddr, s.apiURL, s.sendgridURL)
	return s, nil
}

// stop ends every process and, unless kept, drops the database and the
// work directory.
func (s *stack) stop(keep bool) error {
	if s.tc != nil {
		s.tc.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
	var procs []*proc
	procs = append(procs, s.workers...)
	procs = append(procs, s.api, s.sendgrid, s.temporal)
	for _, p := range procs {
		if p != nil {
			p.stop(10 * time.Second)
		}
	}
	if keep {
		return nil
	}
	var errs []error
	if s.dbName != "" {
		names := []string{s.dbName}
		if s.cfg.TemporalStore == "postgres" {
			// `ripen-dev temporal --temporal-store postgres` keeps Temporal
			// in databases named after ripen's (devtemporal.PostgresFor).
			names = append(names, s.dbName+"_temporal", s.dbName+"_temporal_visibility")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, s.serverURL)
		if err != nil {
			errs = append(errs, fmt.Errorf("drop database %s: %w", s.dbName, err))
		}
		for _, name := range names {
			if err != nil {
				break
			}
			if _, xerr := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); xerr != nil {
				errs = append(errs, fmt.Errorf("drop database %s: %w", name, xerr))
			}
		}
		if conn != nil {
			conn.Close(ctx)
		}
	}
	if s.cfg.WorkDir == "" && s.dir != "" {
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func runCmd(ctx context.Context, env []string, argv ...string) (string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String() + errb.String(), err
	}
	return out.String(), nil
}

func httpReady(u string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		c := &http.Client{Timeout: 2 * time.Second}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %s", u, resp.Status)
		}
		return nil
	}
}

// freePorts takes n distinct ports for the child processes to bind.
func freePorts(n int) ([]int, error) {
	var ports []int
	for i := 0; i < n; i++ {
		p, err := freeport.Take("127.0.0.1")
		if err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}
	return ports, nil
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// serverURL reads a Postgres URL or key=value DSN as a URL, whose database
// the suite then replaces with its own.
func serverURL(s string) (*url.URL, error) {
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("database URL: %w", err)
		}
		return u, nil
	}
	c, err := pgx.ParseConfig(s)
	if err != nil {
		return nil, fmt.Errorf("database DSN: %w", err)
	}
	u := &url.URL{Scheme: "postgres", Host: net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))), RawQuery: "sslmode=disable"}
	if c.Password != "" {
		u.User = url.UserPassword(c.User, c.Password)
	} else {
		u.User = url.User(c.User)
	}
	if c.TLSConfig != nil {
		u.RawQuery = "sslmode=require"
	}
	return u, nil
}
