-- Journeys with immutable, numbered versions, and the projection of runs.

-- +goose Up

-- One row per journey; latest_version hands out version numbers. Bumping it
-- takes the row lock, so concurrent publishers get distinct numbers.
CREATE TABLE journeys (
    id             text PRIMARY KEY CHECK (id ~ '^[^/[:space:]]{1,200}$'),
    latest_version int  NOT NULL CHECK (latest_version > 0),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE journey_versions (
    journey_id   text  NOT NULL REFERENCES journeys (id),
    version      int   NOT NULL CHECK (version > 0),
    status       text  NOT NULL CHECK (status IN ('draft', 'published')),
    name         text  NOT NULL DEFAULT '',
    definition   jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
    offer_kind   text  GENERATED ALWAYS AS (definition #>> '{offer,kind}') STORED
                       CHECK (offer_kind IN ('repeat', 'upsell', 'cross-sell')),
    source       text  NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    PRIMARY KEY (journey_id, version),
    CONSTRAINT journey_versions_definition_id_check
        CHECK (definition ->> 'id' IS NULL OR definition ->> 'id' = journey_id),
    CONSTRAINT journey_versions_published_at_check
        CHECK ((status = 'published') = (published_at IS NOT NULL))
);

CREATE INDEX journey_versions_published_idx
    ON journey_versions (journey_id, version DESC)
    WHERE status = 'published';

-- Versions are immutable: the only change allowed is publishing a draft.
-- +goose StatementBegin
CREATE FUNCTION journey_versions_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.status = 'draft' AND NEW.status = 'published'
       AND NEW.journey_id = OLD.journey_id AND NEW.version = OLD.version
       AND NEW.name = OLD.name AND NEW.definition = OLD.definition
       AND NEW.source = OLD.source AND NEW.created_at = OLD.created_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'journey % version % is immutable', OLD.journey_id, OLD.version
        USING ERRCODE = 'restrict_violation',
              TABLE = 'journey_versions',
              CONSTRAINT = 'journey_versions_immutable';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER journey_versions_immutable
    BEFORE UPDATE OR DELETE ON journey_versions
    FOR EACH ROW EXECUTE FUNCTION journey_versions_immutable();

-- The projection of runs for reporting and routing, keyed by workflow ID
-- (ripen/{journeyID}/{customerID}). Temporal holds the live state; this row
-- only ever moves forward in updated_at.
CREATE TABLE runs (
    workflow_id text NOT NULL PRIMARY KEY CHECK (workflow_id <> ''),
    journey_id  text NOT NULL,
    version     int  NOT NULL,
    customer_id text NOT NULL REFERENCES customers (id),
    owner_id    text REFERENCES owners (id),
    status      text NOT NULL CHECK (status IN (
                    'running', 'completed', 'failed', 'canceled', 'terminated', 'timed-out')),
    stage       text NOT NULL CHECK (stage IN (
                    'nurturing', 'handoff', 'cooldown', 'paused', 'done')),
    score       double precision NOT NULL DEFAULT 0 CHECK (score >= 0),
    mqn         boolean NOT NULL DEFAULT false,
    cycle       int  NOT NULL DEFAULT 0 CHECK (cycle >= 0),
    outcome     text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    FOREIGN KEY (journey_id, version) REFERENCES journey_versions (journey_id, version),
    CONSTRAINT runs_ended_at_check CHECK (
        (status = 'running') = (ended_at IS NULL) AND (ended_at IS NULL OR ended_at >= started_at)
    )
);

CREATE INDEX runs_customer_id_idx ON runs (customer_id, started_at DESC);
CREATE INDEX runs_journey_customer_idx ON runs (journey_id, customer_id);

-- +goose Down

DROP TABLE runs;
DROP TRIGGER journey_versions_immutable ON journey_versions;
DROP FUNCTION journey_versions_immutable();
DROP TABLE journey_versions;
DROP TABLE journeys;
