package activities

import (
	"context"
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// LoadRunContext tells the workflow the customer's owner and timezone, and
// whether anyone can be mailed: the same store.RunContexts the API reads to
// start a run with its context, so both agree. With the journey's audience
// (req.Personas) only a contact of those personas counts as reachable. It
// only reads, so retries are safe.
func (a *Activities) LoadRunContext(ctx context.Context, req workflows.RunContextRequest) (workflows.RunContext, error) {
	rcs, err := a.Store.RunContexts(ctx, []string{req.CustomerID})
	if err != nil {
		return workflows.RunContext{}, fmt.Errorf("load customer %s: %w", req.CustomerID, err)
	}
	rc, ok := rcs[req.CustomerID]
	if !ok {
		return workflows.RunContext{}, temporal.NewNonRetryableApplicationError("customer "+req.CustomerID+" does not exist", "UnknownCustomer", nil)
	}
	if len(req.Personas) > 0 && rc.Reachable {
		// The journey mails only its audience: someone of it must remain.
		if rc.Reachable, err = a.Store.ReachableIn(ctx, req.CustomerID, req.Personas); err != nil {
			return workflows.RunContext{}, fmt.Errorf("check who of customer %s can be mailed: %w", req.CustomerID, err)
		}
	}
	out := workflows.RunContext{OwnerID: rc.OwnerID, Timezone: rc.Timezone, Reachable: rc.Reachable}
	if rc.Reachable {
		if out.Timezones, err = a.reachableZones(ctx, req); err != nil {
			return workflows.RunContext{}, err
		}
	}
	return out, nil
}

// reachableZones are the distinct timezones (contactZone) of the
// customer's contacts of the audience (req.Personas; none: every contact)
// whose address is not suppressed, sorted.
func (a *Activities) reachableZones(ctx context.Context, req workflows.RunContextRequest) ([]string, error) {
	cust, err := a.Store.GetCustomer(ctx, req.CustomerID)
	if err != nil {
		return nil, storeError(err, "Customer", "load customer "+req.CustomerID)
	}
	var zones []string
	for _, ct := range cust.Contacts {
		if len(req.Personas) > 0 && !slices.Contains(req.Personas, cust.PersonaOf(ct)) {
			continue
		}
		zone := contactZone(cust, ct)
		if slices.Contains(zones, zone) {
			continue
		}
		suppressed, err := a.Store.IsSuppressed(ctx, ct.Email)
		if err != nil {
			return nil, fmt.Errorf("check suppression of contact %s: %w", ct.ID, err)
		}
		if !suppressed {
			zones = append(zones, zone)
		}
	}
	slices.Sort(zones)
	return zones, nil
}

// contactZone is the timezone contact ct is sent in: its own, else the
// customer's (the first contact's that names one, as the run's Timezone),
// else UTC. SendRequest.Timezone names a zone this way.
func contactZone(c store.Customer, ct store.Contact) string {
	if ct.Timezone != "" {
		return ct.Timezone
	}
	for _, o := range c.Contacts {
		if o.Timezone != "" {
			return o.Timezone
		}
	}
	return "UTC"
}

// SyncRun writes the run's projection and, once the run has completed,
// records its end with store.EndRun, which closes the hand-offs it left open
// (stopped or unsubscribed while waiting for sales). The
// snapshot's run key tells this run from the workflow ID's earlier ones,
// whose ended row the store keeps when this run takes it over. The store
// ignores snapshots older than the one it has, keeps an ended run once and
// closes only open hand-offs, so retries and reordering are safe.
func (a *Activities) SyncRun(ctx context.Context, snap workflows.RunSnapshot) error {
	r := store.Run{
		WorkflowID: snap.WorkflowID, RunKey: snap.RunKey, JourneyID: snap.JourneyID, Version: snap.Version,
		CustomerID: snap.CustomerID, OwnerID: snap.OwnerID, Status: snap.Status, Stage: snap.Stage,
		Score: snap.Score, MQN: snap.MQN, Cycle: snap.Cycle, Outcome: snap.Outcome,
		StartedAt: snap.StartedAt, UpdatedAt: snap.At,
	}
	ended := snap.Status == workflows.StatusCompleted
	if ended {
		at := snap.At
		r.EndedAt = &at
	}
	if !ended || snap.RunKey == "" {
		// A snapshot the store refuses (a missing time, an unknown
		// customer, owner or journey version) is refused on every retry.
		if err := a.Store.UpsertRun(ctx, r); err != nil {
			return storeError(err, "Run", "record run "+snap.WorkflowID)
		}
		return nil
	}
	if err := a.Store.EndRun(ctx, r, snap.RunKey); err != nil {
		return storeError(err, "Run", "record the end of run "+snap.RunKey)
	}
	a.Metrics.ended(snap.JourneyID, snap.Outcome)
	return nil
}
