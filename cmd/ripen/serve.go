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

	"github.com/rs/zerolog"

	"github.com/ripen/ripen/app"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/logging"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/sendgrid/sendgriddev"
	"github.com/ripen/ripen/store"
)

// setup reads the configuration and builds the logger every command uses.
func setup() (config.Config, zerolog.Logger, error) {
	cfg, err := config.FromEnv(nil)
	return cfg, logging.New(cfg.LogFormat, cfg.LogLevel), err
}

// runWorker is `ripen worker`, runAPI `ripen api`: each opens the parts
// from the environment (package app) and runs its own.
func runWorker(ctx context.Context, args []string, stderr io.Writer) error {
	return runParts(ctx, "ripen worker", args, stderr, app.Parts{Worker: true})
}

func runAPI(ctx context.Context, args []string, stderr io.Writer) error {
	return runParts(ctx, "ripen api", args, stderr, app.Parts{API: true})
}

func runParts(ctx context.Context, name string, args []string, stderr io.Writer, parts app.Parts) error {
	fs := newFlags(name, stderr)
	if _, err := parseArgs(fs, args); err != nil {
		return exitError(2)
	}
	cfg, log, err := setup()
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Run(ctx, parts)
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
		fmt.Fprint(stderr, "usage: ripen apikeys create --role ROLE --label TEXT [--owner OWNER_ID] [--expires 90d] | list | revoke ID\n")
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
		owner := fs.String("owner", "", "with --role sales: bind the key to this account owner, so it sees and answers only their hand-offs and runs")
		expires := fs.String("expires", "", "the key stops working after this long, e.g. 90d or 12h (default: never)")
		if _, err := parseArgs(fs, args[1:]); err != nil {
			return exitError(2)
		}
		if *role == "" || *label == "" {
			return errors.New("--role and --label are required")
		}
		k := store.NewAPIKey{Role: *role, Label: *label, OwnerID: *owner}
		if *owner != "" && *role != store.RoleSales {
			return fmt.Errorf("--owner binds sales keys only, not --role %s", *role)
		}
		if *expires != "" {
			d, err := journey.ParseDuration(*expires)
			if err != nil || d <= 0 {
				return fmt.Errorf("--expires %q: want a positive duration such as 90d or 12h", *expires)
			}
			at := time.Now().Add(d.Std())
			k.ExpiresAt = &at
		}
		if *owner != "" {
			// The schema refuses an unknown owner too; this says which flag.
			if _, err := st.GetOwner(ctx, *owner); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("--owner %s: no such account owner (an admin creates it with PUT /v1/owners/%s)", *owner, *owner)
			}
		}
		key, _, err := st.CreateAPIKeyWith(ctx, k)
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
		fmt.Fprintln(tw, "ID\tROLE\tLABEL\tPREFIX\tOWNER\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Role, k.Label, k.Prefix, or(k.OwnerID, "-"),
				k.CreatedAt.Format(time.DateTime), when(k.ExpiresAt), when(k.LastUsedAt), when(k.RevokedAt))
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

func or(s, none string) string {
	if s == "" {
		return none
	}
	return s
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
	dataDir := fs.String("data-dir", ".ripen", "keeps the webhook signing key (so the verification key stays valid) and the inbox")
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
	srv, err := sendgriddev.New(sendgriddev.Options{APIKey: *apiKey, WebhookURL: *webhook, Signer: signer, Log: log,
		InboxFile: filepath.Join(*dataDir, "sendgrid-inbox.json")})
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
