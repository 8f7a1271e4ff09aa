package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/store"
)

// runHealthcheck is `ripen healthcheck URL`: exit 0 when URL answers 2xx.
// Container health checks use it, since the image has no shell or curl.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ripen healthcheck", stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	url, err := oneArg(pos, "URL, e.g. http://127.0.0.1:9464/readyz (the ops listener, RIPEN_OPS_ADDR)")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("healthcheck %s: %s\n%s", url, resp.Status, body)
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, resp.Status)
	return nil
}

// checkSchema is `ripen migrate --check [--wait D]`: exit 0 once the schema
// is at least this binary's, e.g. in an init container that holds a pod
// until the migration Job has run. It changes nothing.
func checkSchema(ctx context.Context, cfg config.Config, wait time.Duration, stdout io.Writer) error {
	deadline := time.Now().Add(wait)
	for {
		status, err := schemaStatus(ctx, cfg.DatabaseURL)
		if err == nil && !status.Behind() {
			fmt.Fprintln(stdout, status.String())
			return nil
		}
		if err == nil {
			err = errors.New(status.String())
		}
		if !time.Now().Before(deadline) {
			return err
		}
		fmt.Fprintf(stdout, "waiting: %v\n", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(min(5*time.Second, time.Until(deadline)+time.Millisecond)):
		}
	}
}

func schemaStatus(ctx context.Context, url string) (store.SchemaStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := store.Open(ctx, url)
	if err != nil {
		return store.SchemaStatus{}, err
	}
	defer st.Close()
	return st.SchemaStatus(ctx)
}
