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

// KeepWebView keeps an anonymous visitor's view unless the visitor has
// max views kept already (the first ones are the ones kept: a visitor who
// never becomes known cannot fill the table). It reports whether it kept
// the view.
func (s *Store) KeepWebView(ctx context.Context, v WebView, max int) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
INSERT INTO web_views (site_id, visitor_id, kind, page, topic, occurred_at)
SELECT $1, $2, $3, $4, $5, $6
WHERE (SELECT count(*) FROM web_views WHERE site_id = $1 AND visitor_id = $2) < $7`,
		v.SiteID, v.VisitorID, v.Kind, v.Page, v.Topic, v.OccurredAt, max)
	return err == nil && tag.RowsAffected() == 1, pgErr("keep", "web view", v.VisitorID, err)
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
