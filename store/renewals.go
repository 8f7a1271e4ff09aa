package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Renewal is the day an account's product renews, which may enrol it in a
// journey whose detector watches renewals (renews_within).
type Renewal struct {
	CustomerID string
	// RenewsAt is a calendar day, "2006-01-02".
	RenewsAt string
}

// RenewalStatusPending is a claimed renewal whose enrolment answered
// nothing yet; it and the enrolment result "failed" may be claimed again.
const RenewalStatusPending = "pending"

const sqlDueRenewals = `
SELECT DISTINCT ON (customer_id) customer_id, to_char(renews_at, 'YYYY-MM-DD')
FROM customer_products
WHERE product = ANY($1::text[]) AND renews_at BETWEEN $2::date AND $3::date
ORDER BY customer_id, renews_at`

// DueRenewals returns the accounts owning any of products that renew
// between the days from and to ("2006-01-02", both included), each once
// with its earliest such renewal, ordered by customer. It reads the
// (product, renews_at) index, so a daily run costs one range scan per
// product.
func (s *Store) DueRenewals(ctx context.Context, products []string, from, to string) ([]Renewal, error) {
	rows, _ := s.pool.Query(ctx, sqlDueRenewals, nonNil(products), from, to)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Renewal])
	if err != nil {
		return nil, pgErr("read", "due renewals", "", err)
	}
	return out, nil
}

const sqlClaimRenewals = `
INSERT INTO renewal_enrolments AS r (journey_id, customer_id, renews_at)
SELECT $1, c.customer_id, c.renews_at::date
FROM unnest($2::text[], $3::text[]) AS c (customer_id, renews_at)
ON CONFLICT (journey_id, customer_id, renews_at) DO UPDATE
    SET attempts = r.attempts + 1, claimed_at = now(), status = 'pending', decided_at = NULL
    WHERE r.status IN ('pending', 'failed')
RETURNING customer_id, to_char(renews_at, 'YYYY-MM-DD')`

// ClaimRenewals records that the journey is about to enrol each account
// for its renewal, and returns the renewals to enrol now: those never
// claimed before, and those whose earlier claim did not end in an answer
// (pending: the process stopped before it recorded one) or ended "failed".
// A renewal whose enrolment was answered (started, already running,
// suppressed, ...) is not returned again, however often it is claimed:
// the primary key (journey, customer, renewal day) makes it one row.
func (s *Store) ClaimRenewals(ctx context.Context, journeyID string, renewals []Renewal) ([]Renewal, error) {
	if len(renewals) == 0 {
		return nil, nil
	}
	customers := make([]string, len(renewals))
	days := make([]string, len(renewals))
	for i, r := range renewals {
		customers[i], days[i] = r.CustomerID, r.RenewsAt
	}
	rows, _ := s.pool.Query(ctx, sqlClaimRenewals, journeyID, customers, days)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Renewal])
	if err != nil {
		return nil, pgErr("claim", "renewal enrolments", journeyID, err)
	}
	return out, nil
}

const sqlDecideRenewals = `
UPDATE renewal_enrolments AS r SET status = d.status, decided_at = now()
FROM unnest($2::text[], $3::text[], $4::text[]) AS d (customer_id, renews_at, status)
WHERE r.journey_id = $1 AND r.customer_id = d.customer_id AND r.renews_at = d.renews_at::date`

// DecideRenewals records what each claimed renewal's enrolment answered
// (statuses keyed by customer, as runs.EnrolResult.Status). Recording it
// again is harmless.
func (s *Store) DecideRenewals(ctx context.Context, journeyID string, renewals []Renewal, statuses map[string]string) error {
	var customers, days, status []string
	for _, r := range renewals {
		if st, ok := statuses[r.CustomerID]; ok {
			customers, days, status = append(customers, r.CustomerID), append(days, r.RenewsAt), append(status, st)
		}
	}
	if len(customers) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, sqlDecideRenewals, journeyID, customers, days, status)
	return pgErr("record", "renewal enrolments", journeyID, err)
}

const sqlRenewalEnrolments = `
SELECT customer_id, to_char(renews_at, 'YYYY-MM-DD'), status, attempts
FROM renewal_enrolments WHERE journey_id = $1 ORDER BY customer_id, renews_at`

// RenewalEnrolment is a renewal a journey claimed, and what became of it.
type RenewalEnrolment struct {
	Renewal
	Status   string
	Attempts int
}

// RenewalEnrolments lists the renewals the journey claimed, by customer.
func (s *Store) RenewalEnrolments(ctx context.Context, journeyID string) ([]RenewalEnrolment, error) {
	rows, _ := s.pool.Query(ctx, sqlRenewalEnrolments, journeyID)
	var out []RenewalEnrolment
	var e RenewalEnrolment
	_, err := pgx.ForEachRow(rows, []any{&e.CustomerID, &e.RenewsAt, &e.Status, &e.Attempts}, func() error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, pgErr("read", "renewal enrolments", journeyID, err)
	}
	return out, nil
}
