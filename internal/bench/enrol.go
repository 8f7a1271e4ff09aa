package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/ripen/ripen/workflows"
)

// enrolment enrols every nurture customer through the API in bulk and waits
// until each run's first email is recorded as sent in the outbox.
func (b *bench) enrolment(ctx context.Context) error {
	e := &b.rep.Enrolment
	e.Customers = len(b.nurture)
	b.progress("enrolment: %d customers through /v1/journeys/%s/enrollments", e.Customers, nurtureJourney)
	start := time.Now()
	res, err := b.enrolAll(ctx, nurtureJourney, b.nurture)
	e.Requests, e.Statuses, e.Retried = res.requests, res.statuses, res.retried
	if err != nil {
		return err
	}
	apiTook := time.Since(start)
	e.Started = res.started
	e.RequestS = secs(apiTook)
	e.APIStartsPerS = perSecond(e.Started, apiTook)

	sent, took, err := b.waitFirstSends(ctx, nurtureJourney, "welcome", e.Started, start)
	e.FirstSends = sent
	if err != nil {
		return err
	}
	e.AllFirstSendsS = secs(took)
	e.RunsPerS = perSecond(e.Started, took)
	e.FirstSend, err = b.firstSendLatency(ctx, nurtureJourney, "welcome", start)
	if err != nil {
		return err
	}
	b.progress("enrolment: %d runs started in %.1fs, all first emails sent after %.1fs (%.1f runs/s)",
		e.Started, apiTook.Seconds(), took.Seconds(), e.RunsPerS)
	return nil
}

// enrolled is the outcome of enrolAll.
type enrolled struct {
	requests int
	// statuses are the first answer for each customer.
	statuses map[string]int
	started  int
	retried  int
}

// enrolAll enrols customers in batches and, as a client should, enrols
// again those whose start failed (an overloaded server times out); a run a
// timed-out start did create answers already-running then. It fails unless
// every customer ends up with a run.
func (b *bench) enrolAll(ctx context.Context, journeyID string, ids []string) (enrolled, error) {
	out := enrolled{statuses: map[string]int{}}
	todo := ids
	for attempt := 0; len(todo) > 0; attempt++ {
		results, requests, err := b.api.enrol(ctx, journeyID, todo, b.cfg.EnrolBatch)
		out.requests += requests
		if err != nil {
			return out, err
		}
		var again []string
		firstErr := ""
		for _, r := range results {
			if attempt == 0 {
				out.statuses[r.Status]++
			}
			switch {
			case r.Status == "started", attempt > 0 && r.Status == "already-running":
				out.started++
			case r.Status == "failed":
				again = append(again, r.CustomerID)
				if firstErr == "" {
					firstErr = r.Error
				}
			default:
				return out, fmt.Errorf("enrol %s in %s: %s", r.CustomerID, journeyID, r.Status)
			}
		}
		if len(again) > 0 && attempt == 4 {
			return out, fmt.Errorf("enrol in %s: %d starts still failing after %d attempts: %s", journeyID, len(again), attempt+1, firstErr)
		}
		if len(again) > 0 {
			b.progress("enrolment in %s: %d starts failed (%s); enrolling them again", journeyID, len(again), firstErr)
			out.retried += len(again)
			if err := sleepCtx(ctx, 2*time.Second); err != nil {
				return out, err
			}
		}
		todo = again
	}
	return out, nil
}

// runKeyPrefix matches the outbox rows of a journey's runs (run keys are
// the workflow ID, a slash and the first run ID).
func runKeyPrefix(journeyID string) string { return workflows.WorkflowID(journeyID, "") }

// waitFirstSends polls the outbox until want emails of the step are sent.
func (b *bench) waitFirstSends(ctx context.Context, journeyID, step string, want int, start time.Time) (int, time.Duration, error) {
	limit := 2*time.Minute + time.Duration(want)*100*time.Millisecond
	var n int
	for {
		err := b.st.Store.Pool().QueryRow(ctx, `
			SELECT count(*) FROM outbox
			WHERE kind = 'content' AND step_id = $1 AND sent_at IS NOT NULL AND starts_with(run_key, $2)`,
			step, runKeyPrefix(journeyID)).Scan(&n)
		if err != nil {
			return n, 0, fmt.Errorf("count first sends: %w", err)
		}
		if n >= want {
			return n, time.Since(start), nil
		}
		if time.Since(start) > limit {
			return n, 0, fmt.Errorf("only %d of %d first emails sent after %s", n, want, limit)
		}
		select {
		case <-ctx.Done():
			return n, 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// firstSendLatency is, per run, the time from the enrolment request to its
// first email being accepted by SendGrid (the outbox's sent_at; Postgres
// and the benchmark share the machine's clock).
func (b *bench) firstSendLatency(ctx context.Context, journeyID, step string, start time.Time) (Latency, error) {
	rows, err := b.st.Store.Pool().Query(ctx, `
		SELECT sent_at FROM outbox
		WHERE kind = 'content' AND step_id = $1 AND sent_at IS NOT NULL AND starts_with(run_key, $2)`,
		step, runKeyPrefix(journeyID))
	if err != nil {
		return Latency{}, err
	}
	defer rows.Close()
	var ds []time.Duration
	for rows.Next() {
		var at time.Time
		if err := rows.Scan(&at); err != nil {
			return Latency{}, err
		}
		ds = append(ds, max(0, at.Sub(start)))
	}
	return latencyOf(ds), rows.Err()
}
