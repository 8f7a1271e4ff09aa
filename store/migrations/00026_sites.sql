-- The water hole: websites that send ripen their page views. A site lists
-- the origins its pages come from (the collection endpoint answers those
-- alone), which paths are about which topic, which are downloads, and
-- whether its visitors must consent before anything is sent.

-- +goose Up
CREATE TABLE sites (
    id         text PRIMARY KEY CHECK (id ~ '^[^/[:space:]]{1,200}$'),
    origins    text[] NOT NULL CHECK (cardinality(origins) > 0),
    topics     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(topics) = 'array'),
    downloads  text[] NOT NULL DEFAULT '{}',
    consent    text NOT NULL CHECK (consent IN ('required', 'implied')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A visitor is the random ID ripen's script keeps in a first-party cookie
-- on one site. It names a contact only once a signed rpn (from a tracked
-- link in an email) proved who it is; a claimed address never does.
CREATE TABLE web_visitors (
    site_id       text NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visitor_id    text NOT NULL CHECK (visitor_id ~ '^[A-Za-z0-9_-]{16,64}$'),
    customer_id   text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    contact_id    text NOT NULL,
    identified_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, visitor_id)
);

-- Page views of visitors not yet known, kept (bounded per visitor, pruned
-- after 30 days) until the visitor is, then counted from when they
-- happened. The page is origin and path only: no query string.
CREATE TABLE web_views (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id     text NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visitor_id  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('visit', 'download')),
    page        text NOT NULL CHECK (length(page) BETWEEN 1 AND 2100),
    topic       text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL
);
CREATE INDEX web_views_visitor_idx ON web_views (site_id, visitor_id, occurred_at);
CREATE INDEX web_views_occurred_at_idx ON web_views (occurred_at);

-- +goose Down
DROP TABLE web_views;
DROP TABLE web_visitors;
DROP TABLE sites;
