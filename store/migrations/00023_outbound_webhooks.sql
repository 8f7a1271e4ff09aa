-- Outbound webhooks: an admin registers a URL for some event types
-- (webhooks), and every business fact of those types is posted to it,
-- signed, until it is accepted.
--
-- outbound_events is a transactional outbox: the triggers below write the
-- event in the same transaction as the fact (a hand-off created or answered,
-- a run started or ended, a fast-lane request stored), whatever path writes
-- it, so no fact commits without its event and none is announced that did
-- not commit. Its ID is derived from the fact ("handoff.created:" and the
-- hand-off's ID, "run.ended:" and the run key, ...), so writing the fact
-- again (a retry, a late duplicate) adds nothing. The data holds IDs and
-- the free text of sales and contacts (notes), never a contact's address.
-- The worker's dispatcher starts one delivery workflow per (webhook, event)
-- subscribed and sets dispatched_at; not_before holds a run.started back
-- for a moment so the enrolment notice can add the events that enrolled
-- the account (store.AddRunStartedData).
--
-- webhook_deliveries lists each attempt. Deleting a webhook deletes its
-- attempts, and its deliveries in flight stop at their next attempt.

-- +goose Up
CREATE TABLE webhooks (
    id         text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    url        text NOT NULL CHECK (url ~ '^https?://[^/?#[:space:]]+'),
    events     text[] NOT NULL CHECK (cardinality(events) > 0 AND events <@ ARRAY[
                   'handoff.created', 'handoff.answered', 'run.started', 'run.ended', 'fast_lane.requested']),
    format     text NOT NULL CHECK (format IN ('standard', 'slack')),
    secret     text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9+/]{16,}=*$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE outbound_events (
    id            text PRIMARY KEY,
    type          text NOT NULL CHECK (type IN (
                      'handoff.created', 'handoff.answered', 'run.started', 'run.ended', 'fast_lane.requested')),
    data          jsonb NOT NULL,
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    not_before    timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz
);

-- The dispatcher's queue: only what is left to dispatch.
CREATE INDEX outbound_events_undispatched_idx ON outbound_events (not_before) WHERE dispatched_at IS NULL;
CREATE INDEX outbound_events_occurred_at_idx ON outbound_events (occurred_at);

CREATE TABLE webhook_deliveries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id  text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id    text NOT NULL REFERENCES outbound_events (id) ON DELETE CASCADE,
    message_id  text NOT NULL,
    attempt     int NOT NULL,
    at          timestamptz NOT NULL,
    status_code int,
    error       text NOT NULL DEFAULT '',
    duration_ms int NOT NULL,
    delivered   boolean NOT NULL
);

-- A webhook's attempts, newest first.
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);

-- A hand-off created, and a hand-off answered: closed with sales' outcome,
-- by the run applying it or by the run's end taking the claimed answer (a
-- withdrawal is no answer). to_jsonb reads columns a later migration may
-- add (contact_id) without this function knowing them.
-- +goose StatementBegin
CREATE FUNCTION handoffs_outbound() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row jsonb := to_jsonb(NEW);
    data jsonb := jsonb_strip_nulls(jsonb_build_object(
        'handoff_id', NEW.id, 'workflow_id', NEW.workflow_id, 'run_key', NEW.run_key,
        'journey_id', NEW.journey_id, 'customer_id', NEW.customer_id, 'owner_id', NEW.owner_id,
        'contact_id', NULLIF(row->>'contact_id', ''), 'event_id', NEW.event_id,
        'cycle', NEW.cycle, 'reason', NEW.reason, 'offer', NULLIF(NEW.offer, ''),
        'note', NULLIF(NEW.note, ''), 'score', NEW.score, 'sla_due_at', NEW.sla_due_at,
        'created_at', NEW.created_at));
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO outbound_events (id, type, data, occurred_at)
        VALUES ('handoff.created:' || NEW.id, 'handoff.created', data, NEW.created_at)
        ON CONFLICT (id) DO NOTHING;
    ELSE
        INSERT INTO outbound_events (id, type, data, occurred_at)
        VALUES ('handoff.answered:' || NEW.id, 'handoff.answered',
                data || jsonb_strip_nulls(jsonb_build_object(
                    'outcome', NEW.status, 'feedback_note', NULLIF(NEW.feedback_note, ''),
                    'answered_at', COALESCE(NEW.answered_at, NEW.closed_at), 'closed_at', NEW.closed_at)),
                COALESCE(NEW.closed_at, now()))
        ON CONFLICT (id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER handoffs_created_outbound AFTER INSERT ON handoffs
    FOR EACH ROW EXECUTE FUNCTION handoffs_outbound();
CREATE TRIGGER handoffs_answered_outbound AFTER UPDATE OF status ON handoffs
    FOR EACH ROW WHEN (OLD.status = 'open' AND NEW.status NOT IN ('open', 'withdrawn'))
    EXECUTE FUNCTION handoffs_outbound();

-- A run started (its row written running under a new run key: registered by
-- the API, or the run's own first write), and a run ended (its row no
-- longer running; or taken over by a newer run of the workflow ID before
-- its end was written, "unrecorded" as ended_runs says). Once per run key.
-- A run of a journey with handoff.notify_on_enrol waits runStartedGrace for
-- its enrolment notice to add the events that enrolled it.
-- +goose StatementBegin
CREATE FUNCTION runs_outbound() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    notify boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'running' AND OLD.run_key IS NOT NULL
       AND OLD.run_key IS DISTINCT FROM NEW.run_key THEN
        INSERT INTO outbound_events (id, type, data)
        VALUES ('run.ended:' || OLD.run_key, 'run.ended', jsonb_strip_nulls(jsonb_build_object(
            'workflow_id', OLD.workflow_id, 'run_key', OLD.run_key, 'journey_id', OLD.journey_id,
            'version', OLD.version, 'customer_id', OLD.customer_id, 'owner_id', OLD.owner_id,
            'status', 'unrecorded', 'started_at', OLD.started_at)))
        ON CONFLICT (id) DO NOTHING;
    END IF;
    IF NEW.run_key IS NULL THEN
        RETURN NULL;
    END IF;
    IF NEW.status = 'running' AND (TG_OP = 'INSERT' OR OLD.status <> 'running'
                                   OR OLD.run_key IS DISTINCT FROM NEW.run_key) THEN
        SELECT (v.definition->'handoff'->>'notify_on_enrol')::boolean INTO notify
        FROM journey_versions v WHERE v.journey_id = NEW.journey_id AND v.version = NEW.version;
        INSERT INTO outbound_events (id, type, data, occurred_at, not_before)
        VALUES ('run.started:' || NEW.run_key, 'run.started', jsonb_strip_nulls(jsonb_build_object(
            'workflow_id', NEW.workflow_id, 'run_key', NEW.run_key, 'journey_id', NEW.journey_id,
            'version', NEW.version, 'customer_id', NEW.customer_id, 'owner_id', NEW.owner_id,
            'started_at', NEW.started_at)),
            now(), now() + CASE WHEN notify THEN interval '10 seconds' ELSE interval '0' END)
        ON CONFLICT (id) DO NOTHING;
    ELSIF NEW.status <> 'running' AND (TG_OP = 'INSERT' OR OLD.status = 'running'
                                       OR OLD.run_key IS DISTINCT FROM NEW.run_key) THEN
        INSERT INTO outbound_events (id, type, data, occurred_at)
        VALUES ('run.ended:' || NEW.run_key, 'run.ended', jsonb_strip_nulls(jsonb_build_object(
            'workflow_id', NEW.workflow_id, 'run_key', NEW.run_key, 'journey_id', NEW.journey_id,
            'version', NEW.version, 'customer_id', NEW.customer_id, 'owner_id', NEW.owner_id,
            'status', NEW.status, 'outcome', NULLIF(NEW.outcome, ''), 'stage', NEW.stage,
            'score', NEW.score, 'mqn', NEW.mqn, 'cycle', NEW.cycle,
            'started_at', NEW.started_at, 'ended_at', NEW.ended_at)),
            COALESCE(NEW.ended_at, now()))
        ON CONFLICT (id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER runs_started_outbound AFTER INSERT ON runs
    FOR EACH ROW EXECUTE FUNCTION runs_outbound();
CREATE TRIGGER runs_changed_outbound AFTER UPDATE ON runs
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.run_key IS DISTINCT FROM NEW.run_key)
    EXECUTE FUNCTION runs_outbound();

-- A fast-lane request stored (once per event ID: a duplicate inserts no row).
-- +goose StatementBegin
CREATE FUNCTION events_outbound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbound_events (id, type, data, occurred_at)
    VALUES ('fast_lane.requested:' || NEW.id, 'fast_lane.requested', jsonb_strip_nulls(jsonb_build_object(
        'event_id', NEW.id, 'customer_id', NEW.customer_id,
        'owner_id', (SELECT c.owner_id FROM customers c WHERE c.id = NEW.customer_id),
        'contact_id', NULLIF(NEW.contact_id, ''), 'offer', NULLIF(NEW.topic, ''),
        'note', NULLIF(NEW.note, ''), 'run_id', NULLIF(NEW.run_id, ''), 'step', NULLIF(NEW.step, ''),
        'occurred_at', NEW.occurred_at)),
        NEW.occurred_at)
    ON CONFLICT (id) DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER events_fast_lane_outbound AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.type = 'fast-lane')
    EXECUTE FUNCTION events_outbound();

-- +goose Down
DROP TRIGGER events_fast_lane_outbound ON events;
DROP FUNCTION events_outbound();
DROP TRIGGER runs_changed_outbound ON runs;
DROP TRIGGER runs_started_outbound ON runs;
DROP FUNCTION runs_outbound();
DROP TRIGGER handoffs_answered_outbound ON handoffs;
DROP TRIGGER handoffs_created_outbound ON handoffs;
DROP FUNCTION handoffs_outbound();
DROP TABLE webhook_deliveries;
DROP TABLE outbound_events;
DROP TABLE webhooks;
