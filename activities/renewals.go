package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"go.temporal.io/sdk/temporal"

	"github.com/ripen/ripen/fault"
	"github.com/ripen/ripen/journey"
	"github.com/ripen/ripen/journeys"
	"github.com/ripen/ripen/runs"
	"github.com/ripen/ripen/store"
	"github.com/ripen/ripen/workflows"
)

// Renewals is the renewal detector's activity. It is a struct of its own
// rather than a part of Activities because it enrols customers, which is
// the runs use case's job: it holds the use cases, and the journey's
// activities need none of them.
type Renewals struct {
	Store    *store.Store
	Journeys *journeys.Service
	Runs     *runs.Service
	Log      zerolog.Logger
}

// renewalBatch bounds the customers of one enrolment call (well under
// runs.MaxEnrolment), so a large day is many moderate requests.
const renewalBatch = 1000

// DetectRenewals enrols, in every live journey whose detector watches
// renewals, the accounts owning the products whose renewal opens its offer
// (journey.RenewalProducts) that renew between req.Day and req.Day plus
// renews_within, when the offer fits what they own (journey.Eligible). It
// enrols through runs.Service.Enrol, as marketing does, so the newest
// version, archiving, suppression and the runs projection hold as for
// every enrolment.
//
// It is idempotent, so Temporal may retry it and the schedule may fire
// twice or on consecutive days: each (journey, account, renewal day) is
// claimed in renewal_enrolments before its run is started, and a claim
// that got an answer (started, already running, suppressed, ...) is never
// enrolled again; only one that did not start (failed, or no answer
// recorded because the process stopped) is tried again, where Temporal's
// workflow ID (one run per journey and customer) answers "already running"
// for a run that did start.
func (r *Renewals) DetectRenewals(ctx context.Context, req workflows.RenewalRequest) (workflows.RenewalResult, error) {
	res := workflows.RenewalResult{Results: map[string]int{}}
	day, err := time.Parse(time.DateOnly, req.Day)
	if err != nil {
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("day %q is not a date", req.Day), "InvalidRequest", err)
	}
	published, err := r.Journeys.Published(ctx)
	if err != nil {
		return res, fmt.Errorf("list journeys for renewals: %w", err)
	}
	for _, v := range published {
		def := v.Definition
		if !def.Detector.OnRenewal() {
			continue
		}
		res.Journeys++
		to := day.Add(def.Detector.RenewsWithin.Std()).Format(time.DateOnly)
		if err := r.detect(ctx, def, req.Day, to, &res); err != nil {
			return res, err
		}
	}
	// Failed starts are recorded as such and claimed again; failing the
	// activity has Temporal retry them within minutes rather than a day.
	if n := res.Results[runs.EnrolFailed]; n > 0 {
		return res, fmt.Errorf("%d renewal enrolments did not start; retrying them", n)
	}
	if res.Journeys > 0 {
		r.Log.Info().Str("day", req.Day).Int("journeys", res.Journeys).Int("due", res.Due).Int("ineligible", res.Ineligible).
			Int("claimed", res.Claimed).Interface("results", res.Results).Msg("renewal detector")
	}
	return res, nil
}

// detect enrols the due, eligible accounts of one journey.
func (r *Renewals) detect(ctx context.Context, def *journey.Definition, from, to string, res *workflows.RenewalResult) error {
	due, err := r.Store.DueRenewals(ctx, journey.RenewalProducts(def.Offer), from, to)
	if err != nil {
		return fmt.Errorf("renewals due for %s: %w", def.ID, err)
	}
	res.Due += len(due)
	ids := make([]string, len(due))
	for i, d := range due {
		ids[i] = d.CustomerID
	}
	owned, err := r.Store.OwnedProducts(ctx, ids)
	if err != nil {
		return fmt.Errorf("products of accounts renewing for %s: %w", def.ID, err)
	}
	// Ineligible accounts are left unclaimed: should they come to fit the
	// offer before their renewal (an order), a later firing enrols them.
	var eligible []store.Renewal
	for _, d := range due {
		if ok, _ := journey.Eligible(def.Offer, owned[d.CustomerID]); ok {
			eligible = append(eligible, d)
		} else {
			res.Ineligible++
		}
	}
	for len(eligible) > 0 {
		n := min(len(eligible), renewalBatch)
		if err := r.enrol(ctx, def.ID, eligible[:n], res); err != nil {
			return err
		}
		eligible = eligible[n:]
	}
	return nil
}

// enrol claims a batch of renewals, enrols the claimed ones and records
// each one's answer.
func (r *Renewals) enrol(ctx context.Context, journeyID string, batch []store.Renewal, res *workflows.RenewalResult) error {
	claimed, err := r.Store.ClaimRenewals(ctx, journeyID, batch)
	if err != nil {
		return fmt.Errorf("claim renewals for %s: %w", journeyID, err)
	}
	if len(claimed) == 0 {
		return nil
	}
	ids := make([]string, len(claimed))
	for i, c := range claimed {
		ids[i] = c.CustomerID
	}
	results, err := r.Runs.Enrol(ctx, journeyID, ids)
	var f *fault.Error
	if errors.As(err, &f) {
		// Archived or gone since it was listed: its claims stay pending,
		// so they are enrolled if the journey is published again in time.
		r.Log.Warn().Str("journey", journeyID).Err(err).Msg("renewal detector skips a journey that takes no enrolments")
		return nil
	}
	if err != nil {
		return fmt.Errorf("enrol renewals in %s: %w", journeyID, err)
	}
	statuses := make(map[string]string, len(results))
	for _, e := range results {
		statuses[e.CustomerID] = e.Status
		res.Results[e.Status]++
	}
	res.Claimed += len(claimed)
	if err := r.Store.DecideRenewals(ctx, journeyID, claimed, statuses); err != nil {
		// The runs started; left pending, a retry finds them running.
		return fmt.Errorf("record renewal enrolments in %s: %w", journeyID, err)
	}
	return nil
}
