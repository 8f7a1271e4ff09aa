package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Customer is an existing customer account with its account owner (a sales
// rep) and the contacts who receive email.
type Customer struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Persona  string    `json:"persona,omitempty"`
	Owner    Owner     `json:"owner"`
	Contacts []Contact `json:"contacts"`
	// Products are what the account owns (PutCustomer: nil keeps them).
	Products []Product `json:"products"`
}

// Owner is a customer's account owner in sales.
type Owner struct {
	ID    string `json:"id" db:"id"`
	Name  string `json:"name" db:"name"`
	Email string `json:"email" db:"email"`
}

// Contact is a person at a customer who receives email. Timezone is an IANA
// name ("" means UTC).
type Contact struct {
	ID        string `json:"id" db:"id"`
	Email     string `json:"email" db:"email"`
	FirstName string `json:"first_name" db:"first_name"`
	LastName  string `json:"last_name" db:"last_name"`
	Timezone  string `json:"timezone" db:"timezone"`
	Locale    string `json:"locale" db:"locale"`
	// Persona is the contact's own; "" means the customer's (PersonaOf).
	Persona string `json:"persona,omitempty" db:"persona"`
	// Phone is for the rep to call: optional, digits and the usual
	// separators (ValidPhone).
	Phone string `json:"phone,omitempty" db:"phone"`
}

// Name is the contact's first and last name, as far as known ("" for
// neither).
func (c Contact) Name() string {
	return strings.TrimSpace(c.FirstName + " " + c.LastName)
}

// PersonaOf is the persona that chooses ct's email: its own, or else the
// customer's.
func (c Customer) PersonaOf(ct Contact) string {
	if ct.Persona != "" {
		return ct.Persona
	}
	return c.Persona
}

const sqlPutCustomer = `
INSERT INTO customers (id, name, persona_id, owner_id)
VALUES ($1, $2, NULLIF($3, ''), $4)
ON CONFLICT (id) DO UPDATE SET
    name       = EXCLUDED.name,
    persona_id = EXCLUDED.persona_id,
    owner_id   = EXCLUDED.owner_id,
    updated_at = now()`

const sqlDeleteOtherContacts = `
DELETE FROM contacts
WHERE customer_id = $1 AND NOT (id = ANY($2::text[]))`

// A contact ID that belongs to another customer updates nothing and returns
// no row.
const sqlPutContact = `
INSERT INTO contacts (id, customer_id, position, email, first_name, last_name, timezone, locale, persona_id, phone)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, ''), $10)
ON CONFLICT (id) DO UPDATE SET
    position   = EXCLUDED.position,
    email      = EXCLUDED.email,
    first_name = EXCLUDED.first_name,
    last_name  = EXCLUDED.last_name,
    timezone   = EXCLUDED.timezone,
    locale     = EXCLUDED.locale,
    persona_id = EXCLUDED.persona_id,
    phone      = EXCLUDED.phone,
    updated_at = now()
WHERE contacts.customer_id = EXCLUDED.customer_id
RETURNING id`

// PutCustomer creates or replaces a customer with its contacts in one
// transaction, and contacts no longer listed are removed. The owner is a
// known one, named by ID (its name and email, when given, must be its
// current ones: anything else is ErrForbidden, as a customer's write never
// changes a known owner), or a new one given with its email, which is
// created. Every mistake in the record is reported at once as FieldErrors
// (ErrInvalid); a contact ID of another customer is ErrConflict.
func (s *Store) PutCustomer(ctx context.Context, c Customer) error {
	check := checkCustomer(c)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The references, in the same pass as the rest, so a request
		// learns of an unknown persona and a bad email together.
		var personaOK bool
		if err := tx.QueryRow(ctx, sqlPersonaKnown, c.Persona).Scan(&personaOK); err != nil {
			return err
		}
		if !personaOK {
			check.add("persona", "unknown persona")
		}
		if err := checkContactPersonas(ctx, tx, check, c.Contacts); err != nil {
			return err
		}
		if err := checkCatalogued(ctx, tx, check, c.Products); err != nil {
			return err
		}
		var known *Owner
		if c.Owner.ID != "" {
			var err error
			if known, err = lockedOwner(ctx, tx, c.Owner.ID); err != nil {
				return err
			}
		}
		if known == nil && c.Owner.ID != "" && c.Owner.Email == "" {
			check.add("owner.id", "unknown account owner")
		}
		if err := check.err(); err != nil {
			return err
		}
		if known == nil {
			created, err := createOwnerIfNew(ctx, tx, c.ID, c.Owner)
			if err != nil {
				return err
			}
			if !created {
				// Another write created it since the look-up: it is
				// known now, and compared like any known owner.
				if known, err = lockedOwner(ctx, tx, c.Owner.ID); err != nil {
					return err
				}
			}
		}
		if known != nil {
			if err := ownerUnchanged(c.ID, c.Owner, *known); err != nil {
				return err
			}
		}
		b := &pgx.Batch{}
		b.Queue(sqlPutCustomer, c.ID, c.Name, c.Persona, c.Owner.ID)
		ids := make([]string, len(c.Contacts))
		for i, ct := range c.Contacts {
			ids[i] = ct.ID
		}
		b.Queue(sqlDeleteOtherContacts, c.ID, ids)
		for i, ct := range c.Contacts {
			b.Queue(sqlPutContact, ct.ID, c.ID, i, ct.Email, ct.FirstName, ct.LastName, ct.Timezone, ct.Locale, ct.Persona, ct.Phone)
		}

		br := tx.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return pgErr("put", "customer", c.ID, err)
		}
		if _, err := br.Exec(); err != nil {
			return pgErr("put", "customer", c.ID, err)
		}
		for i, ct := range c.Contacts {
			var id string
			err := br.QueryRow().Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				return conflict("customer", c.ID, fmt.Sprintf("contacts[%d].id", i),
					fmt.Sprintf("contact %q belongs to another customer", ct.ID))
			}
			if err != nil {
				return withField(pgErr("put", "contact", ct.ID, err), fmt.Sprintf("contacts[%d].", i), "customer", c.ID)
			}
		}
		if err := br.Close(); err != nil {
			return err
		}
		return putProducts(ctx, tx, c.ID, c.Products)
	})
	return pgErr("put", "customer", c.ID, err)
}

const sqlPersonaKnown = `SELECT $1::text = '' OR EXISTS (SELECT FROM personas WHERE id = $1)`

// checkContactPersonas names each contact whose persona is unknown, at its
// own field, so a list of many contacts says which one is wrong.
func checkContactPersonas(ctx context.Context, tx pgx.Tx, check *fieldCheck, contacts []Contact) error {
	var named []string
	for _, ct := range contacts {
		if ct.Persona != "" {
			named = append(named, ct.Persona)
		}
	}
	if len(named) == 0 {
		return nil
	}
	rows, _ := tx.Query(ctx, sqlMissingPersonas, named)
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("check contact personas: %w", err)
	}
	for i, ct := range contacts {
		if ct.Persona != "" && slices.Contains(missing, ct.Persona) {
			check.add(fmt.Sprintf("contacts[%d].persona", i), fmt.Sprintf("unknown persona %q", ct.Persona))
		}
	}
	return nil
}

// checkCustomer finds every mistake the schema would refuse one at a time,
// and what it cannot check: a customer has one or more contacts, listed
// once each, in valid timezones. References are checked by PutCustomer.
func checkCustomer(c Customer) *fieldCheck {
	check := &fieldCheck{record: "customer", recordID: c.ID}
	check.id("id", c.ID)
	check.required("name", c.Name)
	if c.Owner.ID == "" {
		check.add("owner.id", "is required")
	} else {
		check.id("owner.id", c.Owner.ID)
	}
	checkOwnerName(check, "owner.name", c.Owner.Name)
	if c.Owner.Email != "" {
		check.email("owner.email", c.Owner.Email)
	}
	if len(c.Contacts) == 0 {
		check.add("contacts", "a customer needs at least one contact")
	}
	seen := make(map[string]bool, len(c.Contacts))
	for i, ct := range c.Contacts {
		at := func(field string) string { return fmt.Sprintf("contacts[%d].%s", i, field) }
		switch {
		case seen[ct.ID]:
			check.add(at("id"), fmt.Sprintf("contact %q is listed twice", ct.ID))
		default:
			check.id(at("id"), ct.ID)
		}
		seen[ct.ID] = true
		check.email(at("email"), ct.Email)
		if !ValidPhone(ct.Phone) {
			check.add(at("phone"), phoneRule)
		}
		if ct.Timezone != "" {
			if _, err := time.LoadLocation(ct.Timezone); err != nil || ct.Timezone == "Local" {
				check.add(at("timezone"), fmt.Sprintf("unknown timezone %q", ct.Timezone))
			}
		}
	}
	checkProducts(check, c.Products)
	return check
}

// FieldErrors is every mistake found in one record, in the order of its
// fields: errors.Is matches ErrInvalid, errors.As finds the first *Error,
// and the API lists each as a field problem.
type FieldErrors []*Error

func (fe FieldErrors) Error() string {
	msgs := make([]string, len(fe))
	for i, e := range fe {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns each problem, for errors.Is and errors.As.
func (fe FieldErrors) Unwrap() []error {
	out := make([]error, len(fe))
	for i, e := range fe {
		out[i] = e
	}
	return out
}

// fieldCheck collects a record's mistakes in one pass. The rules are the
// schema's (its CHECKs stay as the last word), with the same messages.
type fieldCheck struct {
	record, recordID string
	errs             FieldErrors
}

func (c *fieldCheck) add(field, msg string) {
	c.errs = append(c.errs, &Error{Kind: ErrInvalid, Record: c.record, ID: c.recordID, Field: field, Msg: msg})
}

// err is nil without mistakes, else the FieldErrors.
func (c *fieldCheck) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

// id: 1 to 200 characters without '/' or whitespace (the schema's IDs).
func (c *fieldCheck) id(field, v string) {
	if n := utf8.RuneCountInString(v); n < 1 || n > 200 || strings.ContainsFunc(v, func(r rune) bool { return r == '/' || unicode.IsSpace(r) }) {
		c.add(field, idRule)
	}
}

func (c *fieldCheck) required(field, v string) {
	if v == "" {
		c.add(field, "is required")
	}
}

// email: something@somewhere without whitespace, as the schema checks.
func (c *fieldCheck) email(field, v string) {
	local, domain, ok := strings.Cut(v, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || strings.ContainsFunc(v, unicode.IsSpace) {
		c.add(field, emailRule)
	}
}

const sqlGetCustomer = `
SELECT c.id, c.name, COALESCE(c.persona_id, ''), o.id, o.name, o.email
FROM customers c
JOIN owners o ON o.id = c.owner_id
WHERE c.id = $1`

const sqlGetContacts = `
SELECT id, email, first_name, last_name, timezone, locale, COALESCE(persona_id, '') AS persona, phone
FROM contacts
WHERE customer_id = $1
ORDER BY position, id`

func scanCustomer(row pgx.CollectableRow) (Customer, error) {
	var c Customer
	err := row.Scan(&c.ID, &c.Name, &c.Persona, &c.Owner.ID, &c.Owner.Name, &c.Owner.Email)
	return c, err
}

// GetCustomer returns the customer with its owner and contacts, or ErrNotFound.
func (s *Store) GetCustomer(ctx context.Context, id string) (Customer, error) {
	b := &pgx.Batch{}
	b.Queue(sqlGetCustomer, id)
	b.Queue(sqlGetContacts, id)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()

	rows, _ := br.Query()
	c, err := pgx.CollectExactlyOneRow(rows, scanCustomer)
	if err != nil {
		return Customer{}, pgErr("get", "customer", id, err)
	}
	rows, _ = br.Query()
	c.Contacts, err = pgx.CollectRows(rows, pgx.RowToStructByName[Contact])
	if err != nil {
		return Customer{}, pgErr("get", "customer", id, err)
	}
	if err := br.Close(); err != nil {
		return Customer{}, pgErr("get", "customer", id, err)
	}
	products, err := s.customerProducts(ctx, []string{id})
	c.Products = products[id]
	return c, pgErr("get", "customer", id, err)
}

const sqlListCustomers = `
SELECT c.id, c.name, COALESCE(c.persona_id, ''), o.id, o.name, o.email
FROM customers c
JOIN owners o ON o.id = c.owner_id
WHERE c.id > $1 AND ($3 = '' OR c.owner_id = $3)
ORDER BY c.id
LIMIT $2`

const sqlListContacts = `
SELECT customer_id, id, email, first_name, last_name, timezone, locale, COALESCE(persona_id, ''), phone
FROM contacts
WHERE customer_id = ANY($1::text[])
ORDER BY customer_id, position, id`

// ListCustomers returns one page of customers ordered by ID, each with its
// owner and contacts.
func (s *Store) ListCustomers(ctx context.Context, page Page) ([]Customer, error) {
	return s.ListCustomersOf(ctx, "", page)
}

// ListCustomersOf is ListCustomers of the customers ownerID owns ("":
// every customer).
func (s *Store) ListCustomersOf(ctx context.Context, ownerID string, page Page) ([]Customer, error) {
	rows, _ := s.pool.Query(ctx, sqlListCustomers, page.After, page.limit(), ownerID)
	cs, err := pgx.CollectRows(rows, scanCustomer)
	if err != nil || len(cs) == 0 {
		return cs, pgErr("list", "customers", "", err)
	}
	ids := make([]string, len(cs))
	byID := make(map[string]*Customer, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
		byID[cs[i].ID] = &cs[i]
		cs[i].Contacts = []Contact{}
	}
	rows, _ = s.pool.Query(ctx, sqlListContacts, ids)
	var customerID string
	var ct Contact
	_, err = pgx.ForEachRow(rows,
		[]any{&customerID, &ct.ID, &ct.Email, &ct.FirstName, &ct.LastName, &ct.Timezone, &ct.Locale, &ct.Persona, &ct.Phone},
		func() error {
			c := byID[customerID]
			c.Contacts = append(c.Contacts, ct)
			return nil
		})
	if err != nil {
		return nil, pgErr("list", "customers", "", err)
	}
	products, err := s.customerProducts(ctx, ids)
	for i := range cs {
		cs[i].Products = products[cs[i].ID]
	}
	return cs, pgErr("list", "customers", "", err)
}

const sqlGetContact = `
SELECT customer_id, id, email, first_name, last_name, timezone, locale, COALESCE(persona_id, ''), phone
FROM contacts
WHERE id = $1`

// GetContact returns a contact and the ID of its customer, or ErrNotFound.
func (s *Store) GetContact(ctx context.Context, id string) (Contact, string, error) {
	var customerID string
	var ct Contact
	err := s.pool.QueryRow(ctx, sqlGetContact, id).
		Scan(&customerID, &ct.ID, &ct.Email, &ct.FirstName, &ct.LastName, &ct.Timezone, &ct.Locale, &ct.Persona, &ct.Phone)
	if err != nil {
		return Contact{}, "", pgErr("get", "contact", id, err)
	}
	return ct, customerID, nil
}

const sqlMissingCustomers = `
SELECT DISTINCT ON (id) id
FROM unnest($1::text[]) AS wanted (id)
WHERE NOT EXISTS (SELECT FROM customers c WHERE c.id = wanted.id)
ORDER BY id`

// MissingCustomers returns those of ids that name no customer, sorted and
// without repeats, so a bulk request can list every unknown one at once.
func (s *Store) MissingCustomers(ctx context.Context, ids []string) ([]string, error) {
	rows, _ := s.pool.Query(ctx, sqlMissingCustomers, nonNil(ids))
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return missing, pgErr("check", "customers", "", err)
}

// RunContext is what a journey run needs to know of its customer, with no
// personal data: the account owner's ID, the timezone sends are timed in,
// and whether any contact may be mailed.
type RunContext struct {
	CustomerID string `db:"customer_id"`
	OwnerID    string `db:"owner_id"`
	// Timezone is the first contact's that names one, in GetCustomer's
	// order (position, then ID); "" means UTC.
	Timezone string `db:"timezone"`
	// Reachable: some contact's address is not suppressed.
	Reachable bool `db:"reachable"`
	// Timezones are the distinct zones of the contacts whose address is
	// not suppressed, sorted; a contact without one has Timezone, else
	// "UTC".
	Timezones []string `db:"timezones"`
	// Personas are the distinct personas of the contacts (each its own,
	// else the customer's), ReachablePersonas those of the contacts whose
	// address is not suppressed; both sorted, a contact without any
	// persona left out.
	Personas          []string `db:"personas"`
	ReachablePersonas []string `db:"reachable_personas"`
}

// Suppressions hold normalizeEmail's form; contact emails cannot hold
// whitespace (a CHECK), so lower() of a contact's email is that form too,
// and the match ignores case exactly as IsSuppressed does.
const sqlRunContexts = `
SELECT c.id AS customer_id, c.owner_id, tz.timezone,
       EXISTS (SELECT
               FROM contacts ct
               WHERE ct.customer_id = c.id
                 AND NOT EXISTS (SELECT FROM suppressions s WHERE s.email = lower(ct.email))) AS reachable,
       ARRAY(SELECT DISTINCT COALESCE(NULLIF(ct.timezone, ''), NULLIF(tz.timezone, ''), 'UTC')
             FROM contacts ct
             WHERE ct.customer_id = c.id
               AND NOT EXISTS (SELECT FROM suppressions s WHERE s.email = lower(ct.email))) AS timezones,
       ARRAY(SELECT DISTINCT COALESCE(ct.persona_id, c.persona_id)
             FROM contacts ct
             WHERE ct.customer_id = c.id AND COALESCE(ct.persona_id, c.persona_id) IS NOT NULL) AS personas,
       ARRAY(SELECT DISTINCT COALESCE(ct.persona_id, c.persona_id)
             FROM contacts ct
             WHERE ct.customer_id = c.id AND COALESCE(ct.persona_id, c.persona_id) IS NOT NULL
               AND NOT EXISTS (SELECT FROM suppressions s WHERE s.email = lower(ct.email))) AS reachable_personas
FROM customers c
CROSS JOIN LATERAL (SELECT COALESCE((SELECT ct.timezone
                                     FROM contacts ct
                                     WHERE ct.customer_id = c.id AND ct.timezone <> ''
                                     ORDER BY ct.position, ct.id
                                     LIMIT 1), '') AS timezone) tz
WHERE c.id = ANY($1::text[])`

// A contact is of the audience when its persona (its own, else the
// customer's) is one of the personas; no personas is every contact.
const sqlReachableIn = `
SELECT EXISTS (SELECT
               FROM contacts ct
               JOIN customers c ON c.id = ct.customer_id
               WHERE ct.customer_id = $1
                 AND (cardinality($2::text[]) = 0 OR COALESCE(ct.persona_id, c.persona_id) = ANY($2::text[]))
                 AND NOT EXISTS (SELECT FROM suppressions s WHERE s.email = lower(ct.email)))`

// ReachableIn reports whether some contact of customerID whose persona is
// one of personas (every contact when personas is empty) has an address
// that is not suppressed: whether a journey with that audience can still
// mail anyone. An unknown customer has nobody.
func (s *Store) ReachableIn(ctx context.Context, customerID string, personas []string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, sqlReachableIn, customerID, nonNil(personas)).Scan(&ok)
	return ok, pgErr("check", "reachability of customer", customerID, err)
}

// sortedOrNil sorts ids in Go's order (not the database's collation), and
// makes an empty list nil as a RunContext built in Go has it.
func sortedOrNil(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return ids
}

// RunContexts returns the run context of each of customerIDs that names a
// customer, keyed by customer ID; unknown IDs are simply absent. It is one
// round trip however many customers are asked for, so bulk enrolment and
// event routing need not read customers and suppressions one by one.
func (s *Store) RunContexts(ctx context.Context, customerIDs []string) (map[string]RunContext, error) {
	rows, _ := s.pool.Query(ctx, sqlRunContexts, nonNil(customerIDs))
	rcs, err := pgx.CollectRows(rows, pgx.RowToStructByName[RunContext])
	if err != nil {
		return nil, pgErr("load", "run contexts", "", err)
	}
	out := make(map[string]RunContext, len(rcs))
	for _, rc := range rcs {
		slices.Sort(rc.Timezones) // in Go's order, not the database's collation
		if len(rc.Timezones) == 0 {
			rc.Timezones = nil
		}
		rc.Personas, rc.ReachablePersonas = sortedOrNil(rc.Personas), sortedOrNil(rc.ReachablePersonas)
		out[rc.CustomerID] = rc
	}
	return out, nil
}
