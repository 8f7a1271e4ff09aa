package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// LoadRunContext tells the workflow the customer's owner and timezone, and
// whether anyone can be mailed. It only reads, so retries are safe.
func (a *Activities) LoadRunContext(ctx context.Context, req workflows.RunContextRequest) (workflows.RunContext, error) {
	c, err := a.Store.GetCustomer(ctx, req.CustomerID)
	if errors.Is(err, store.ErrNotFound) {
		return workflows.RunContext{}, temporal.NewNonRetryableApplicationError("customer "+req.CustomerID+" does not exist", "UnknownCustomer", err)
	}
	if err != nil {
		return workflows.RunContext{}, fmt.Errorf("load customer %s: %w", req.CustomerID, err)
	}
	rc := workflows.RunContext{OwnerID: c.Owner.ID}
	for _, ct := range c.Contacts {
		if rc.Timezone == "" {
			rc.Timezone = ct.Timezone
		}
		suppressed, err := a.Store.IsSuppressed(ctx, ct.Email)
		if err != nil {
			return rc, fmt.Errorf("check suppression of contact %s: %w", ct.ID, err)
		}
		rc.Reachable = rc.Reachable || !suppressed
	}
	return rc, nil
}

// SyncRun writes the run's projection. The store ignores snapshots older
// than the one it has, so retries and reordering are safe.
func (a *Activities) SyncRun(ctx context.Context, snap workflows.RunSnapshot) error {
	r := store.Run{
		WorkflowID: snap.WorkflowID, JourneyID: snap.JourneyID, Version: snap.Version,
		CustomerID: snap.CustomerID, OwnerID: snap.OwnerID, Status: snap.Status, Stage: snap.Stage,
		Score: snap.Score, MQN: snap.MQN, Cycle: snap.Cycle, Outcome: snap.Outcome,
		StartedAt: snap.StartedAt, UpdatedAt: snap.At,
	}
	if snap.Status == workflows.StatusCompleted {
		at := snap.At
		r.EndedAt = &at
	}
	if err := a.Store.UpsertRun(ctx, r); err != nil {
		return fmt.Errorf("record run %s: %w", snap.WorkflowID, err)
	}
	return nil
}
