-- Who of an account gets which email: a persona per contact, content
-- variants by persona and locale, and the variant each email went with.

-- +goose Up

-- A contact without a persona takes its customer's.
ALTER TABLE contacts ADD COLUMN persona_id text REFERENCES personas (id);
CREATE INDEX contacts_persona_id_idx ON contacts (persona_id);

-- The emails of a content block for one persona, one locale, or both; the
-- base email in content is the one for everybody else. locale is a BCP 47
-- tag in canonical form ('' for any locale).
CREATE TABLE content_variants (
    content_id        text NOT NULL REFERENCES content (id) ON DELETE CASCADE,
    position          int  NOT NULL,
    persona_id        text REFERENCES personas (id),
    locale            text NOT NULL DEFAULT '',
    email_subject     text NOT NULL DEFAULT '',
    email_html        text NOT NULL DEFAULT '',
    email_text        text NOT NULL DEFAULT '',
    email_template_id text NOT NULL DEFAULT '',
    PRIMARY KEY (content_id, position),
    CONSTRAINT content_variants_target_check CHECK (persona_id IS NOT NULL OR locale <> ''),
    CONSTRAINT content_variants_email_check CHECK (
        email_template_id <> ''
        OR (email_subject <> '' AND (email_html <> '' OR email_text <> ''))
    )
);

-- Two variants for the same persona and locale would leave the choice to chance.
CREATE UNIQUE INDEX content_variants_key ON content_variants (content_id, COALESCE(persona_id, ''), locale);
CREATE INDEX content_variants_persona_id_idx ON content_variants (persona_id);

-- Which email a content row went with: 'base', or the variant's
-- 'persona/locale', 'persona' or 'locale'; '' for hand-off emails and rows
-- from before variants.
ALTER TABLE outbox ADD COLUMN variant text NOT NULL DEFAULT '';

-- +goose Down

ALTER TABLE outbox DROP COLUMN variant;
DROP TABLE content_variants;
DROP INDEX contacts_persona_id_idx;
ALTER TABLE contacts DROP COLUMN persona_id;
