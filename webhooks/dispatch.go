package webhooks

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// KeepEvents is how long outbound events and their attempts are kept once
// dispatched: deliveries give up after a day, and the attempts stay
// readable for a week.
const KeepEvents = 7 * 24 * time.Hour

// Dispatcher turns outbound events into deliveries: it takes the events due
// from the store's outbox in batches and starts a WebhookDelivery workflow
// per (webhook, event) subscribed, then marks the events dispatched, in the
// transaction that holds them (store.DispatchOutboundEvents). The workflow
// ID is derived from the pair and may not be reused, so a crash between
// the start and the mark dispatches again into "already started", which
// counts as done: each pair is delivered by one workflow. Any number of
// dispatchers may run (each worker runs one); they take different events.
type Dispatcher struct {
	Store    *store.Store
	Temporal client.Client
	Log      zerolog.Logger
	// Interval between polls when nothing was due (default 500ms); Batch
	// events per transaction (default 100).
	Interval time.Duration
	Batch    int
}

// Run dispatches until ctx ends. A failure (Temporal or Postgres away) is
// logged and tried again, backing off to maxRetryWait: the events stay due.
func (d *Dispatcher) Run(ctx context.Context) {
	interval, batch := d.Interval, d.Batch
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	if batch <= 0 {
		batch = 100
	}
	t := time.NewTimer(0)
	defer t.Stop()
	wait := interval
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := d.Store.DispatchOutboundEvents(ctx, batch, d.start)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			d.Log.Warn().Err(err).Dur("retry_in", wait).Msg("webhook events not dispatched; trying again")
			t.Reset(wait)
			wait = min(2*wait, maxRetryWait)
			continue
		}
		wait = interval
		if n == batch {
			t.Reset(0) // more may be due
		} else {
			t.Reset(interval)
		}
	}
}

// maxRetryWait bounds the pause after failed dispatches.
const maxRetryWait = 10 * time.Second

// start starts the deliveries of a batch, a few at a time.
func (d *Dispatcher) start(ctx context.Context, ds []store.Dispatch) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, dp := range ds {
		g.Go(func() error { return d.startOne(gctx, dp) })
	}
	return g.Wait()
}

func (d *Dispatcher) startOne(ctx context.Context, dp store.Dispatch) error {
	opts := client.StartWorkflowOptions{
		ID:                    workflows.WebhookWorkflowID(dp.WebhookID, dp.EventID),
		TaskQueue:             workflows.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// Started before: running or done, it is the one delivery.
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            "webhook " + dp.WebhookID,
	}
	in := workflows.WebhookDeliveryInput{WebhookID: dp.WebhookID, EventID: dp.EventID}
	_, err := d.Temporal.ExecuteWorkflow(ctx, opts, workflows.WebhookDelivery, in)
	if err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return fmt.Errorf("start delivery %s: %w", opts.ID, err)
	}
	return nil
}
