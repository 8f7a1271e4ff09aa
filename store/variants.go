package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/language"
)

// MaxVariants bounds a content block's variants: each contact's send
// matches against all of them.
const MaxVariants = 100

// VariantBase names the content's own email when no variant fits.
const VariantBase = "base"

// EmailFor chooses the email for a contact of persona and locale, the most
// specific that fits: a variant of that persona and locale, then of that
// persona alone, then of that locale alone, then the base email. Locales
// match as languages do ("de-AT" takes a "de" variant; "en" an "en-GB" one
// when there is no other English). label says which went: VariantBase,
// "persona/locale", "persona" or "locale", with the variant's own values
// ("it-lead/de", "it-lead", "de").
func (c Content) EmailFor(persona, locale string) (email ContentEmail, label string) {
	want, wantErr := language.Parse(locale)
	hasLocale := locale != "" && wantErr == nil && want != language.Und
	if persona != "" && hasLocale {
		if v, ok := bestLocale(c.Variants, want, func(v ContentVariant) bool { return v.Persona == persona && v.Locale != "" }); ok {
			return v.Email, v.Persona + "/" + v.Locale
		}
	}
	if persona != "" {
		for _, v := range c.Variants {
			if v.Persona == persona && v.Locale == "" {
				return v.Email, v.Persona
			}
		}
	}
	if hasLocale {
		if v, ok := bestLocale(c.Variants, want, func(v ContentVariant) bool { return v.Persona == "" && v.Locale != "" }); ok {
			return v.Email, v.Locale
		}
	}
	return c.Email, VariantBase
}

// bestLocale is the variant among those that fit whose locale serves want
// best, if any serves it with at least high confidence: the same
// language, whatever the region ("de-AT" and "de"), but not a mere
// fallback (a German variant for a French contact).
func bestLocale(vs []ContentVariant, want language.Tag, fits func(ContentVariant) bool) (ContentVariant, bool) {
	var candidates []ContentVariant
	var tags []language.Tag
	for _, v := range vs {
		if !fits(v) {
			continue
		}
		tag, err := language.Parse(v.Locale)
		if err != nil {
			continue // the store refuses such locales; one from elsewhere fits nobody
		}
		candidates, tags = append(candidates, v), append(tags, tag)
	}
	if len(tags) == 0 {
		return ContentVariant{}, false
	}
	_, i, conf := language.NewMatcher(tags).Match(want)
	if conf < language.High {
		return ContentVariant{}, false
	}
	return candidates[i], true
}

// parseLocale checks a variant's locale: a BCP 47 tag that names a
// language.
func parseLocale(s string) (language.Tag, error) {
	tag, err := language.Parse(s)
	if err != nil {
		return tag, err
	}
	if base, _ := tag.Base(); base.String() == "und" {
		return tag, fmt.Errorf("names no language")
	}
	return tag, nil
}

// canonicalLocale stores "DE_at" as "de-AT", so that two spellings of one
// locale are one variant.
func canonicalLocale(s string) string {
	if s == "" {
		return ""
	}
	if tag, err := parseLocale(s); err == nil {
		return tag.String()
	}
	return s
}

// checkVariants finds the mistakes in content variants that need no
// look-up: a target, a BCP 47 locale, an email, no two for the same
// persona and locale.
func checkVariants(check *fieldCheck, vs []ContentVariant) {
	if len(vs) > MaxVariants {
		check.add("variants", fmt.Sprintf("at most %d variants, got %d", MaxVariants, len(vs)))
		return
	}
	type key struct{ persona, locale string }
	seen := make(map[key]int, len(vs))
	for i, v := range vs {
		at := func(field string) string { return fmt.Sprintf("variants[%d].%s", i, field) }
		if v.Persona == "" && v.Locale == "" {
			check.add(fmt.Sprintf("variants[%d]", i), "needs a persona, a locale or both")
		}
		if v.Persona != "" {
			check.id(at("persona"), v.Persona)
		}
		locale := v.Locale
		if v.Locale != "" {
			tag, err := parseLocale(v.Locale)
			if err != nil {
				check.add(at("locale"), fmt.Sprintf("%q is not a BCP 47 language tag such as \"de\" or \"de-AT\"", v.Locale))
			} else {
				locale = tag.String()
			}
		}
		if e := v.Email; e.TemplateID == "" && (e.Subject == "" || (e.HTML == "" && e.Text == "")) {
			check.add(at("email"), "needs a template_id, or a subject and an html or text body")
		}
		k := key{v.Persona, locale}
		if j, dup := seen[k]; dup && (v.Persona != "" || v.Locale != "") {
			check.add(fmt.Sprintf("variants[%d]", i), fmt.Sprintf("is for the same persona and locale as variants[%d]", j))
		} else if !dup {
			seen[k] = i
		}
	}
}

// checkVariantPersonas names each variant whose persona is unknown.
func checkVariantPersonas(ctx context.Context, tx pgx.Tx, check *fieldCheck, vs []ContentVariant) error {
	var named []string
	for _, v := range vs {
		if v.Persona != "" {
			named = append(named, v.Persona)
		}
	}
	if len(named) == 0 || len(vs) > MaxVariants {
		return nil
	}
	rows, _ := tx.Query(ctx, sqlMissingPersonas, named)
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("check variant personas: %w", err)
	}
	unknown := make(map[string]bool, len(missing))
	for _, id := range missing {
		unknown[id] = true
	}
	for i, v := range vs {
		if unknown[v.Persona] {
			check.add(fmt.Sprintf("variants[%d].persona", i), fmt.Sprintf("unknown persona %q", v.Persona))
		}
	}
	return nil
}

const sqlNoteOutboxVariant = `
UPDATE outbox SET variant = $2, updated_at = now()
WHERE id = $1`

// NoteOutboxVariant records which email an outbox row goes with (a label
// from Content.EmailFor), before it is sent, so reports can tell which
// variant each contact got. ErrNotFound when there is no such row.
func (s *Store) NoteOutboxVariant(ctx context.Context, rowID int64, variant string) error {
	tag, err := s.pool.Exec(ctx, sqlNoteOutboxVariant, rowID, variant)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return pgErr("note variant of", "outbox row", fmt.Sprint(rowID), err)
}

const sqlOutboxVariant = `SELECT variant FROM outbox WHERE id = $1`

// OutboxVariant returns the variant an outbox row went with ("" when none
// was noted), or ErrNotFound.
func (s *Store) OutboxVariant(ctx context.Context, rowID int64) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, sqlOutboxVariant, rowID).Scan(&v)
	return v, pgErr("get variant of", "outbox row", fmt.Sprint(rowID), err)
}
