package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// ContactRef names a contact and the customer it belongs to.
type ContactRef struct {
	CustomerID string
	ContactID  string
}

// Contacts match an address whatever its case, as suppressions do; the
// index on lower(email) serves the join.
const sqlContactsByEmail = `
SELECT a.addr, c.customer_id, c.id
FROM (SELECT DISTINCT unnest($1::text[])) AS a(addr)
JOIN contacts c ON lower(c.email) = lower(a.addr)
ORDER BY a.addr, c.customer_id, c.id`

// ContactsByEmail returns, for each of emails (keyed as given), the
// contacts that have that address, ordered by customer and contact ID;
// an address no contact has is absent.
func (s *Store) ContactsByEmail(ctx context.Context, emails []string) (map[string][]ContactRef, error) {
	out := map[string][]ContactRef{}
	if len(emails) == 0 {
		return out, nil
	}
	rows, _ := s.pool.Query(ctx, sqlContactsByEmail, emails)
	var addr string
	var ref ContactRef
	_, err := pgx.ForEachRow(rows, []any{&addr, &ref.CustomerID, &ref.ContactID}, func() error {
		out[addr] = append(out[addr], ref)
		return nil
	})
	return out, pgErr("find", "contacts by email", "", err)
}
