-- Where an event came from (source): "email" (opens and clicks of ripen's
-- emails), "web" (ripen's script on a registered site), "web-claimed" (a
-- landing-page request whose sender only typed an address: the identity is
-- claimed, not proven), or what a poster of /v1/events names ("api" when
-- it names nothing). Events stored before this migration keep "".
--
-- web_claims keeps claimed identities: a site's visitor who typed a
-- contact's address into a landing-page form. A claim never names the
-- visitor (web_visitors is for signed identities alone), so the visitor's
-- page views do not score for the contact; it is kept so that sales can see
-- who said they were whom, and when.

-- handoffs.claimed marks a hand-off asked for under a claimed identity, so
-- sales knows to check who it was before calling.

-- +goose Up
ALTER TABLE events ADD COLUMN source text NOT NULL DEFAULT ''
    CONSTRAINT events_source_check CHECK (source ~ '^([a-z][a-z0-9_-]{0,31})?$');

CREATE TABLE web_claims (
    site_id     text NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visitor_id  text NOT NULL CHECK (visitor_id ~ '^([A-Za-z0-9_-]{16,64})?$'),
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    contact_id  text NOT NULL,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, visitor_id, customer_id, contact_id)
);
CREATE INDEX web_claims_claimed_at_idx ON web_claims (claimed_at);

ALTER TABLE handoffs ADD COLUMN claimed boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE handoffs DROP COLUMN claimed;
DROP TABLE web_claims;
ALTER TABLE events DROP COLUMN source;
