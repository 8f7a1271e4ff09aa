-- A run's first engagement, kept on the runs projection as it happens, and
-- each run's first open and click of each content block by each contact
-- (run_touches), so the journey report reads no events (it read 1,000,000
-- events twice per report; BENCHMARKS.md).
--
-- engaged_at is the earliest engagement (any event but an order) of the
-- run's customer that occurred while the run ran. A statement trigger on
-- events sets it for the running runs of the customers a batch names; a
-- run that takes the row over starts without one; an ended run keeps its
-- own in ended_runs.

-- +goose Up
ALTER TABLE runs ADD COLUMN engaged_at timestamptz;
ALTER TABLE ended_runs ADD COLUMN engaged_at timestamptz;

-- The first open and click of a content block per run and contact, while
-- the run ran. Kept for ended runs too (the report counts them); a run key
-- names one run, so a new run of the workflow ID starts with none.
CREATE TABLE run_touches (
    run_key    text NOT NULL,
    content_id text NOT NULL CHECK (content_id <> ''),
    contact_id text NOT NULL,
    type       text NOT NULL CHECK (type IN ('open', 'click')),
    first_at   timestamptz NOT NULL,
    PRIMARY KEY (run_key, content_id, contact_id, type)
);

INSERT INTO run_touches (run_key, content_id, contact_id, type, first_at)
SELECT r.run_key, e.content_id, e.contact_id, e.type, min(e.occurred_at)
FROM (SELECT run_key, customer_id, started_at, ended_at FROM runs WHERE run_key IS NOT NULL
      UNION ALL
      SELECT run_key, customer_id, started_at, ended_at FROM ended_runs WHERE run_key IS NOT NULL) r
JOIN events e ON e.customer_id = r.customer_id AND e.content_id <> '' AND e.type IN ('open', 'click')
             AND e.occurred_at >= r.started_at AND (r.ended_at IS NULL OR e.occurred_at <= r.ended_at)
GROUP BY r.run_key, e.content_id, e.contact_id, e.type
ON CONFLICT DO NOTHING;

UPDATE runs r SET engaged_at = (
    SELECT min(e.occurred_at) FROM events e
    WHERE e.customer_id = r.customer_id AND e.type <> 'order' AND e.occurred_at >= r.started_at
      AND (r.ended_at IS NULL OR e.occurred_at <= r.ended_at));
UPDATE ended_runs r SET engaged_at = (
    SELECT min(e.occurred_at) FROM events e
    WHERE e.customer_id = r.customer_id AND e.type <> 'order' AND e.occurred_at >= r.started_at
      AND e.occurred_at <= r.ended_at);

-- +goose StatementBegin
CREATE FUNCTION events_engage_runs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE runs r SET engaged_at = x.first
    FROM (SELECT r2.workflow_id, min(n.occurred_at) AS first
          FROM new_events n
          JOIN runs r2 ON r2.customer_id = n.customer_id AND r2.status = 'running'
                      AND n.occurred_at >= r2.started_at
          WHERE n.type <> 'order'
          GROUP BY r2.workflow_id) x
    WHERE r.workflow_id = x.workflow_id AND (r.engaged_at IS NULL OR r.engaged_at > x.first);

    INSERT INTO run_touches AS t (run_key, content_id, contact_id, type, first_at)
    SELECT r.run_key, n.content_id, n.contact_id, n.type, min(n.occurred_at)
    FROM new_events n
    JOIN runs r ON r.customer_id = n.customer_id AND r.status = 'running' AND r.run_key IS NOT NULL
               AND n.occurred_at >= r.started_at
    WHERE n.content_id <> '' AND n.type IN ('open', 'click')
    GROUP BY r.run_key, n.content_id, n.contact_id, n.type
    ON CONFLICT (run_key, content_id, contact_id, type)
        DO UPDATE SET first_at = EXCLUDED.first_at WHERE EXCLUDED.first_at < t.first_at;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER events_engage_runs AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION events_engage_runs();

-- The row taken over by a new run: the ended run keeps its engagement, the
-- new run starts without one.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION runs_keep_ended() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ended_runs (workflow_id, run_key, journey_id, version, customer_id, owner_id,
                            status, stage, score, mqn, cycle, outcome,
                            started_at, updated_at, ended_at, engaged_at)
    VALUES (OLD.workflow_id, OLD.run_key, OLD.journey_id, OLD.version, OLD.customer_id, OLD.owner_id,
            CASE WHEN OLD.status = 'running' THEN 'unrecorded' ELSE OLD.status END,
            OLD.stage, OLD.score, OLD.mqn, OLD.cycle, OLD.outcome,
            OLD.started_at, OLD.updated_at, COALESCE(OLD.ended_at, OLD.updated_at), OLD.engaged_at)
    ON CONFLICT DO NOTHING;
    NEW.engaged_at := NULL;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION runs_keep_ended() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ended_runs (workflow_id, run_key, journey_id, version, customer_id, owner_id,
                            status, stage, score, mqn, cycle, outcome,
                            started_at, updated_at, ended_at)
    VALUES (OLD.workflow_id, OLD.run_key, OLD.journey_id, OLD.version, OLD.customer_id, OLD.owner_id,
            CASE WHEN OLD.status = 'running' THEN 'unrecorded' ELSE OLD.status END,
            OLD.stage, OLD.score, OLD.mqn, OLD.cycle, OLD.outcome,
            OLD.started_at, OLD.updated_at, COALESCE(OLD.ended_at, OLD.updated_at))
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
DROP TRIGGER events_engage_runs ON events;
DROP FUNCTION events_engage_runs();
DROP TABLE run_touches;
ALTER TABLE ended_runs DROP COLUMN engaged_at;
ALTER TABLE runs DROP COLUMN engaged_at;
