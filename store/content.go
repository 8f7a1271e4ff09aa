package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Content is one content block (checklist, case study, video, webinar…) with
// a topic, a funnel stage, the personas it targets and the email that points
// to it.
type Content struct {
	ID       string       `json:"id"`
	Title    string       `json:"title"`
	Topic    string       `json:"topic"`
	Stage    string       `json:"stage"`
	Personas []string     `json:"personas"`
	URL      string       `json:"url"`
	Email    ContentEmail `json:"email"`
	// Variants replace Email for some personas and locales (EmailFor).
	Variants []ContentVariant `json:"variants,omitempty"`
}

// ContentVariant is the email of a content block for contacts of Persona,
// of Locale, or of both; at least one of the two is set. Locale is a BCP
// 47 tag, stored in canonical form ("de", "de-AT", "en-GB").
type ContentVariant struct {
	Persona string       `json:"persona,omitempty"`
	Locale  string       `json:"locale,omitempty"`
	Email   ContentEmail `json:"email"`
}

// ContentEmail is the email for a content block: a subject with an HTML
// and/or text body (Go templates, rendered by the sender), or a SendGrid
// dynamic template.
type ContentEmail struct {
	Subject    string `json:"subject,omitempty"`
	HTML       string `json:"html,omitempty"`
	Text       string `json:"text,omitempty"`
	TemplateID string `json:"template_id,omitempty"`
}

const sqlPutContent = `
INSERT INTO content (id, title, topic, stage, url,
                     email_subject, email_html, email_text, email_template_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO UPDATE SET
    title             = EXCLUDED.title,
    topic             = EXCLUDED.topic,
    stage             = EXCLUDED.stage,
    url               = EXCLUDED.url,
    email_subject     = EXCLUDED.email_subject,
    email_html        = EXCLUDED.email_html,
    email_text        = EXCLUDED.email_text,
    email_template_id = EXCLUDED.email_template_id,
    updated_at        = now()`

const sqlDeleteContentPersonas = `
DELETE FROM content_personas WHERE content_id = $1`

const sqlDeleteContentVariants = `
DELETE FROM content_variants WHERE content_id = $1`

const sqlInsertContentVariant = `
INSERT INTO content_variants (content_id, position, persona_id, locale,
                              email_subject, email_html, email_text, email_template_id)
VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7, $8)`

const sqlInsertContentPersonas = `
INSERT INTO content_personas (content_id, persona_id, position)
SELECT $1, persona_id, position
FROM unnest($2::text[]) WITH ORDINALITY AS p (persona_id, position)`

// PutContent creates or replaces a content block and its personas in one
// transaction. Every mistake, unknown personas included, is reported at once
// as FieldErrors (ErrInvalid).
func (s *Store) PutContent(ctx context.Context, c Content) error {
	check := checkContent(c)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, sqlMissingPersonas, nonNil(c.Personas))
		missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, id := range missing {
			check.add("personas", fmt.Sprintf("unknown persona %q", id))
		}
		if err := checkVariantPersonas(ctx, tx, check, c.Variants); err != nil {
			return err
		}
		if err := check.err(); err != nil {
			return err
		}
		b := &pgx.Batch{}
		b.Queue(sqlPutContent, c.ID, c.Title, c.Topic, c.Stage, c.URL,
			c.Email.Subject, c.Email.HTML, c.Email.Text, c.Email.TemplateID)
		b.Queue(sqlDeleteContentPersonas, c.ID)
		b.Queue(sqlInsertContentPersonas, c.ID, nonNil(c.Personas))
		b.Queue(sqlDeleteContentVariants, c.ID)
		for i, v := range c.Variants {
			b.Queue(sqlInsertContentVariant, c.ID, i, v.Persona, canonicalLocale(v.Locale),
				v.Email.Subject, v.Email.HTML, v.Email.Text, v.Email.TemplateID)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return pgErr("put", "content", c.ID, err)
}

const sqlMissingPersonas = `
SELECT DISTINCT ON (id) id
FROM unnest($1::text[]) AS wanted (id)
WHERE NOT EXISTS (SELECT FROM personas p WHERE p.id = wanted.id)
ORDER BY id`

// MissingPersonas returns those of ids that name no persona, sorted and
// without repeats, so a journey's audience can be checked in one query.
func (s *Store) MissingPersonas(ctx context.Context, ids []string) ([]string, error) {
	rows, _ := s.pool.Query(ctx, sqlMissingPersonas, nonNil(ids))
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return missing, pgErr("check", "personas", "", err)
}

// checkContent finds every mistake the schema would refuse one at a time;
// PutContent adds unknown personas.
func checkContent(c Content) *fieldCheck {
	check := &fieldCheck{record: "content", recordID: c.ID}
	check.id("id", c.ID)
	check.required("title", c.Title)
	check.required("topic", c.Topic)
	if c.URL != "" && !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
		check.add("url", "must be an http or https URL")
	}
	if e := c.Email; e.TemplateID == "" && (e.Subject == "" || (e.HTML == "" && e.Text == "")) {
		check.add("email", "needs a template_id, or a subject and an html or text body")
	}
	seen := make(map[string]bool, len(c.Personas))
	for _, p := range c.Personas {
		if seen[p] {
			check.add("personas", fmt.Sprintf("lists the persona %q twice", p))
		}
		seen[p] = true
	}
	checkVariants(check, c.Variants)
	return check
}

const sqlSelectContent = `
SELECT c.id, c.title, c.topic, c.stage, c.url,
       c.email_subject, c.email_html, c.email_text, c.email_template_id,
       ARRAY(SELECT p.persona_id
             FROM content_personas p
             WHERE p.content_id = c.id
             ORDER BY p.position) AS personas,
       (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                    'persona', COALESCE(v.persona_id, ''), 'locale', v.locale,
                    'email', jsonb_build_object('subject', v.email_subject, 'html', v.email_html,
                                                'text', v.email_text, 'template_id', v.email_template_id))
                  ORDER BY v.position), '[]')
        FROM content_variants v
        WHERE v.content_id = c.id) AS variants
FROM content c`

func scanContent(row pgx.CollectableRow) (Content, error) {
	var c Content
	err := row.Scan(&c.ID, &c.Title, &c.Topic, &c.Stage, &c.URL,
		&c.Email.Subject, &c.Email.HTML, &c.Email.Text, &c.Email.TemplateID,
		&c.Personas, &c.Variants)
	if len(c.Variants) == 0 {
		c.Variants = nil
	}
	return c, err
}

// GetContent returns the content block with id, or ErrNotFound.
func (s *Store) GetContent(ctx context.Context, id string) (Content, error) {
	rows, _ := s.pool.Query(ctx, sqlSelectContent+` WHERE c.id = $1`, id)
	c, err := pgx.CollectExactlyOneRow(rows, scanContent)
	return c, pgErr("get", "content", id, err)
}

// ListContent returns one page of content blocks ordered by ID.
func (s *Store) ListContent(ctx context.Context, page Page) ([]Content, error) {
	rows, _ := s.pool.Query(ctx, sqlSelectContent+`
WHERE c.id > $1
ORDER BY c.id
LIMIT $2`, page.After, page.limit())
	cs, err := pgx.CollectRows(rows, scanContent)
	return cs, pgErr("list", "content", "", err)
}

const sqlMissingContent = `
SELECT id
FROM unnest($1::text[]) WITH ORDINALITY AS wanted (id, position)
WHERE NOT EXISTS (SELECT FROM content c WHERE c.id = wanted.id)
ORDER BY position`

// MissingContent returns those of ids that name no content block, in the
// order given, so a journey's validation can list every unknown one at once.
func (s *Store) MissingContent(ctx context.Context, ids []string) ([]string, error) {
	rows, _ := s.pool.Query(ctx, sqlMissingContent, nonNil(ids))
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return missing, pgErr("check", "content", "", err)
}
