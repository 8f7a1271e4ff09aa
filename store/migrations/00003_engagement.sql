-- Engagement events, suppressed addresses and SendGrid webhook events seen.

-- +goose Up

-- An engagement event is stored once per ID. contact_id, content_id, run_id
-- and step are what the source reported; they are history, not references.
CREATE TABLE events (
    id          text NOT NULL PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    contact_id  text NOT NULL DEFAULT '',
    type        text NOT NULL CHECK (type IN (
                    'open', 'click', 'visit', 'download', 'webinar', 'reply', 'fast-lane')),
    topic       text NOT NULL DEFAULT '',
    content_id  text NOT NULL DEFAULT '',
    url         text NOT NULL DEFAULT '',
    run_id      text NOT NULL DEFAULT '',
    step        text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- The detector: events of a customer on some topics within a window.
CREATE INDEX events_customer_topic_time_idx ON events (customer_id, topic, occurred_at);

-- Addresses no email may go to. Stored lower-case.
CREATE TABLE suppressions (
    email      text NOT NULL PRIMARY KEY
               CHECK (email = lower(email) AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    reason     text NOT NULL CHECK (reason <> ''),
    source     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- SendGrid Event Webhook events already seen (sg_event_id).
CREATE TABLE webhook_events (
    id      text NOT NULL PRIMARY KEY CHECK (id <> ''),
    seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX webhook_events_seen_at_idx ON webhook_events (seen_at);

-- +goose Down

DROP TABLE webhook_events;
DROP TABLE suppressions;
DROP TABLE events;
