-- Account owners, personas, customers with their contacts, and content.
--
-- Conventions for the whole schema:
--   * Records addressed by URL (owners, personas, customers, contacts,
--     content, journeys) have text IDs of 1 to 200 characters without '/' or
--     whitespace: they appear in paths and in workflow IDs.
--   * Optional text is NOT NULL DEFAULT ''; optional references are NULL.

-- +goose Up

CREATE TABLE owners (
    id         text PRIMARY KEY CHECK (id ~ '^[^/[:space:]]{1,200}$'),
    name       text NOT NULL DEFAULT '',
    email      text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE personas (
    id         text PRIMARY KEY CHECK (id ~ '^[^/[:space:]]{1,200}$'),
    name       text NOT NULL CHECK (name <> ''),
    role       text NOT NULL DEFAULT '',
    pains      text[] NOT NULL DEFAULT '{}',
    goals      text[] NOT NULL DEFAULT '{}',
    topics     text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customers (
    id         text PRIMARY KEY CHECK (id ~ '^[^/[:space:]]{1,200}$'),
    name       text NOT NULL CHECK (name <> ''),
    persona_id text REFERENCES personas (id),
    owner_id   text NOT NULL REFERENCES owners (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX customers_owner_id_idx ON customers (owner_id);
CREATE INDEX customers_persona_id_idx ON customers (persona_id);

CREATE TABLE contacts (
    id          text PRIMARY KEY CHECK (id ~ '^[^/[:space:]]{1,200}$'),
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    position    int  NOT NULL DEFAULT 0,
    email       text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    first_name  text NOT NULL DEFAULT '',
    last_name   text NOT NULL DEFAULT '',
    timezone    text NOT NULL DEFAULT '',
    locale      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX contacts_customer_id_idx ON contacts (customer_id, position);
CREATE INDEX contacts_email_idx ON contacts (lower(email));

-- A content block and the email that points to it: either inline (subject
-- and an HTML or text body) or a SendGrid dynamic template.
CREATE TABLE content (
    id                text PRIMARY KEY CHECK (id ~ '^[^/[:space:]]{1,200}$'),
    title             text NOT NULL CHECK (title <> ''),
    topic             text NOT NULL CHECK (topic <> ''),
    stage             text NOT NULL DEFAULT '',
    url               text NOT NULL DEFAULT '' CHECK (url = '' OR url ~ '^https?://'),
    email_subject     text NOT NULL DEFAULT '',
    email_html        text NOT NULL DEFAULT '',
    email_text        text NOT NULL DEFAULT '',
    email_template_id text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT content_email_check CHECK (
        email_template_id <> ''
        OR (email_subject <> '' AND (email_html <> '' OR email_text <> ''))
    )
);

CREATE INDEX content_topic_idx ON content (topic);

-- The personas a content block targets, in the order given.
CREATE TABLE content_personas (
    content_id text NOT NULL REFERENCES content (id) ON DELETE CASCADE,
    persona_id text NOT NULL REFERENCES personas (id),
    position   int  NOT NULL,
    PRIMARY KEY (content_id, persona_id)
);

CREATE INDEX content_personas_persona_id_idx ON content_personas (persona_id);

-- +goose Down

DROP TABLE content_personas;
DROP TABLE content;
DROP TABLE contacts;
DROP TABLE customers;
DROP TABLE personas;
DROP TABLE owners;
