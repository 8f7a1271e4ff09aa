package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
)

// ErrForbidden is the kind of a write the caller may not make, whoever they
// are: a customer's write that would change its known account owner's name
// or email (hand-offs go to that address, so it changes only through
// PutOwner, an admin's route).
var ErrForbidden = errors.New("forbidden")

// ownerChangeRule says where an account owner's name and email do change.
func ownerChangeRule(id string) string {
	return "an account owner's name and email change only through PUT /v1/owners/" + id + " (admin)"
}

const sqlPutOwner = `
INSERT INTO owners (id, name, email)
VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET
    name       = EXCLUDED.name,
    email      = EXCLUDED.email,
    updated_at = now()`

// PutOwner creates or replaces an account owner: name and email are both
// required. Every mistake is reported at once as FieldErrors (ErrInvalid).
func (s *Store) PutOwner(ctx context.Context, o Owner) error {
	check := &fieldCheck{record: "owner", recordID: o.ID}
	check.id("id", o.ID)
	check.required("name", o.Name)
	checkOwnerName(check, "name", o.Name)
	check.email("email", o.Email)
	if err := check.err(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, sqlPutOwner, o.ID, o.Name, o.Email)
	return pgErr("put", "owner", o.ID, err)
}

// checkOwnerName: an owner's name goes into the headers and subjects of
// hand-off emails, where a control character could start a header of its
// own.
func checkOwnerName(check *fieldCheck, field, name string) {
	if strings.ContainsFunc(name, unicode.IsControl) {
		check.add(field, "must not contain control characters")
	}
}

// GetOwner returns an account owner, or ErrNotFound.
func (s *Store) GetOwner(ctx context.Context, id string) (Owner, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, name, email FROM owners WHERE id = $1`, id)
	o, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Owner])
	return o, pgErr("get", "owner", id, err)
}

// ListOwners returns one page of account owners ordered by ID.
func (s *Store) ListOwners(ctx context.Context, page Page) ([]Owner, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, name, email FROM owners WHERE id > $1 ORDER BY id LIMIT $2`, page.After, page.limit())
	owners, err := pgx.CollectRows(rows, pgx.RowToStructByName[Owner])
	return owners, pgErr("list", "owners", "", err)
}

// OwnerOfCustomer returns the ID of a customer's account owner, or
// ErrNotFound: one indexed read, for the checks that keep an owner's key to
// that owner's customers.
func (s *Store) OwnerOfCustomer(ctx context.Context, customerID string) (string, error) {
	var owner string
	err := s.pool.QueryRow(ctx, `SELECT owner_id FROM customers WHERE id = $1`, customerID).Scan(&owner)
	return owner, pgErr("get", "customer", customerID, err)
}

// lockedOwner reads an owner inside tx and keeps it from changing until tx
// ends, so what a customer's write was checked against is what it commits
// with; nil when there is no such owner.
func lockedOwner(ctx context.Context, tx pgx.Tx, id string) (*Owner, error) {
	rows, _ := tx.Query(ctx, `SELECT id, name, email FROM owners WHERE id = $1 FOR SHARE`, id)
	o, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Owner])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// createOwnerIfNew inserts a customer's new owner and reports whether it
// did: false when the owner exists (a concurrent write may have created it
// since it was looked up), which then is never updated.
func createOwnerIfNew(ctx context.Context, tx pgx.Tx, customerID string, o Owner) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO owners (id, name, email) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, o.ID, o.Name, o.Email)
	if err != nil {
		return false, withField(pgErr("put", "owner", o.ID, err), "owner.", "customer", customerID)
	}
	return tag.RowsAffected() == 1, nil
}

// ownerUnchanged refuses a customer's owner that names a known owner with
// another name or email than it has. What is left out is not compared: an
// owner given by ID alone, or by ID and email, is a reference.
func ownerUnchanged(customerID string, given, known Owner) error {
	var errs FieldErrors
	forbid := func(field, msg string) {
		errs = append(errs, &Error{Kind: ErrForbidden, Record: "customer", ID: customerID, Field: field,
			Msg: fmt.Sprintf("differs from account owner %s's current %s; %s", known.ID, msg, ownerChangeRule(known.ID))})
	}
	if given.Name != "" && given.Name != known.Name {
		forbid("owner.name", "name")
	}
	if given.Email != "" && !strings.EqualFold(given.Email, known.Email) {
		forbid("owner.email", "email")
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
