package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Persona is a buyer-persona profile; content and journeys target personas.
type Persona struct {
	ID     string   `json:"id" db:"id"`
	Name   string   `json:"name" db:"name"`
	Role   string   `json:"role,omitempty" db:"role"`
	Pains  []string `json:"pains" db:"pains"`
	Goals  []string `json:"goals" db:"goals"`
	Topics []string `json:"topics" db:"topics"`
}

const sqlPutPersona = `
INSERT INTO personas (id, name, role, pains, goals, topics)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (id) DO UPDATE SET
    name       = EXCLUDED.name,
    role       = EXCLUDED.role,
    pains      = EXCLUDED.pains,
    goals      = EXCLUDED.goals,
    topics     = EXCLUDED.topics,
    updated_at = now()`

// PutPersona creates or replaces a persona. Every mistake is reported at
// once as FieldErrors (ErrInvalid).
func (s *Store) PutPersona(ctx context.Context, p Persona) error {
	check := &fieldCheck{record: "persona", recordID: p.ID}
	check.id("id", p.ID)
	check.required("name", p.Name)
	if err := check.err(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, sqlPutPersona,
		p.ID, p.Name, p.Role, nonNil(p.Pains), nonNil(p.Goals), nonNil(p.Topics))
	return pgErr("put", "persona", p.ID, err)
}

const sqlGetPersona = `
SELECT id, name, role, pains, goals, topics
FROM personas
WHERE id = $1`

// GetPersona returns the persona with id, or ErrNotFound.
func (s *Store) GetPersona(ctx context.Context, id string) (Persona, error) {
	rows, _ := s.pool.Query(ctx, sqlGetPersona, id)
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Persona])
	return p, pgErr("get", "persona", id, err)
}

const sqlListPersonas = `
SELECT id, name, role, pains, goals, topics
FROM personas
WHERE id > $1
ORDER BY id
LIMIT $2`

// ListPersonas returns one page of personas ordered by ID.
func (s *Store) ListPersonas(ctx context.Context, page Page) ([]Persona, error) {
	rows, _ := s.pool.Query(ctx, sqlListPersonas, page.After, page.limit())
	ps, err := pgx.CollectRows(rows, pgx.RowToStructByName[Persona])
	return ps, pgErr("list", "personas", "", err)
}
