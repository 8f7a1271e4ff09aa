package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// WebView is a page view (or download) of a site's visitor not yet known.
type WebView struct {
	ID         int64     `db:"id"`
	SiteID     string    `db:"site_id"`
	VisitorID  string    `db:"visitor_id"`
	Kind       string    `db:"kind"`
	Page       string    `db:"page"` // origin and path
	Topic      string    `db:"topic"`
	OccurredAt time.Time `db:"occurred_at"`
}

// VisitorContact returns the contact a site's visitor was identified as,
// and false while it is anonymous.
func (s *Store) VisitorContact(ctx context.Context, siteID, visitorID string) (ContactRef, bool, error) {
	var ref ContactRef
	err := s.pool.QueryRow(ctx, `SELECT customer_id, contact_id FROM web_visitors WHERE site_id = $1 AND visitor_id = $2`,
		siteID, visitorID).Scan(&ref.CustomerID, &ref.ContactID)
	if errors.Is(err, pgx.ErrNoRows) {
		return ContactRef{}, false, nil
	}
	return ref, err == nil, pgErr("get", "web visitor", visitorID, err)
}

// The contact a visitor is known as, and, only for a visitor not known,
// the view kept (unless max are kept already): one round trip for the
// common case of a page view.
const sqlTakeWebView = `
WITH known AS (
    SELECT customer_id, contact_id FROM web_visitors WHERE site_id = $1 AND visitor_id = $2
), kept AS (
    INSERT INTO web_views (site_id, visitor_id, kind, page, topic, occurred_at)
    SELECT $1, $2, $3, $4, $5, $6
    WHERE NOT EXISTS (SELECT FROM known)
      AND (SELECT count(*) FROM web_views WHERE site_id = $1 AND visitor_id = $2) < $7
    RETURNING id
)
SELECT (SELECT customer_id FROM known), (SELECT contact_id FROM known), EXISTS (SELECT FROM kept)`

// TakeWebView returns the contact a site's visitor is known as; for a
// visitor not known it keeps the view as KeepWebView does and reports
// whether it did.
func (s *Store) TakeWebView(ctx context.Context, v WebView, max int) (ref ContactRef, known, kept bool, err error) {
	var customerID, contactID *string
	err = s.pool.QueryRow(ctx, sqlTakeWebView, v.SiteID, v.VisitorID, v.Kind, v.Page, v.Topic, v.OccurredAt, max).
		Scan(&customerID, &contactID, &kept)
	if err != nil {
		return ContactRef{}, false, false, pgErr("take", "web view", v.VisitorID, err)
	}
	if customerID != nil && contactID != nil {
		return ContactRef{CustomerID: *customerID, ContactID: *contactID}, true, false, nil
	}
	return ContactRef{}, false, kept, nil
}

// IdentifyVisitor records that a site's visitor is the contact of ref (a
// later identity replaces an earlier one: a shared computer).
func (s *Store) IdentifyVisitor(ctx context.Context, siteID, visitorID string, ref ContactRef) error {
	_, err := s.pool.Exec(ctx, `
INSERT INTO web_visitors (site_id, visitor_id, customer_id, contact_id)
VALUES ($1, $2, $3, $4)
ON CONFLICT (site_id, visitor_id) DO UPDATE SET
    customer_id = EXCLUDED.customer_id, contact_id = EXCLUDED.contact_id, identified_at = now()`,
		siteID, visitorID, ref.CustomerID, ref.ContactID)
	return pgErr("identify", "web visitor", visitorID, err)
}

// WebViewsOf returns a visitor's kept views since a time, oldest first.
func (s *Store) WebViewsOf(ctx context.Context, siteID, visitorID string, since time.Time) ([]WebView, error) {
	rows, _ := s.pool.Query(ctx, `
SELECT id, site_id, visitor_id, kind, page, topic, occurred_at
FROM web_views
WHERE site_id = $1 AND visitor_id = $2 AND occurred_at >= $3
ORDER BY occurred_at, id`, siteID, visitorID, since)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[WebView])
	return out, pgErr("list", "web views", visitorID, err)
}

// DropWebViews forgets views once they are counted as events.
func (s *Store) DropWebViews(ctx context.Context, ids []int64) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM web_views WHERE id = ANY($1)`, ids)
	return pgErr("drop", "web views", "", err)
}

// PruneWebViews forgets anonymous views older than before.
func (s *Store) PruneWebViews(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM web_views WHERE occurred_at < $1`, before)
	return tag.RowsAffected(), pgErr("prune", "web views", "", err)
}

// ClaimVisitor stores that a site's visitor (or, without consent to track,
// nobody in particular: visitorID "") typed the address of ref's contact
// into a form. A claim is kept as claimed: it never names the visitor, so
// their page views do not score.
func (s *Store) ClaimVisitor(ctx context.Context, siteID, visitorID string, ref ContactRef) error {
	_, err := s.pool.Exec(ctx, `
INSERT INTO web_claims (site_id, visitor_id, customer_id, contact_id)
VALUES ($1, $2, $3, $4)
ON CONFLICT (site_id, visitor_id, customer_id, contact_id) DO UPDATE SET claimed_at = now()`,
		siteID, visitorID, ref.CustomerID, ref.ContactID)
	return pgErr("claim", "web visitor", visitorID, err)
}

// WebClaim is one claimed identity: who a site's visitor said they were.
type WebClaim struct {
	SiteID     string    `db:"site_id" json:"site_id"`
	VisitorID  string    `db:"visitor_id" json:"visitor_id,omitempty"`
	CustomerID string    `db:"customer_id" json:"customer_id"`
	ContactID  string    `db:"contact_id" json:"contact_id"`
	ClaimedAt  time.Time `db:"claimed_at" json:"claimed_at"`
}

// ClaimsOf returns the claimed identities of a customer, newest first.
func (s *Store) ClaimsOf(ctx context.Context, customerID string) ([]WebClaim, error) {
	rows, _ := s.pool.Query(ctx, `
SELECT site_id, visitor_id, customer_id, contact_id, claimed_at
FROM web_claims WHERE customer_id = $1 ORDER BY claimed_at DESC`, customerID)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[WebClaim])
	return out, pgErr("list", "web claims", customerID, err)
}
