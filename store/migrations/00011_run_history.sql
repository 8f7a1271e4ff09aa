-- Ended runs are kept. The runs projection has one row per workflow ID
-- (ripen/{journey}/{customer}), and workflow IDs come back when a customer is
-- enrolled again: the new run takes the row over. Before it does, the ended
-- run's row is copied to ended_runs with its outcome, cycles, score and
-- times, for reporting.
--
-- run_key (workflow ID/first run ID, as handoffs.run_key and outbox.run_key)
-- tells runs of one workflow ID apart; rows written before this migration,
-- or by writers that do not know it, have none, and started_at tells them
-- apart instead.

-- +goose Up
ALTER TABLE runs ADD COLUMN run_key text;

-- Only ended runs: the same columns and rules as runs.
CREATE TABLE ended_runs (
    workflow_id text NOT NULL CHECK (workflow_id <> ''),
    run_key     text,
    journey_id  text NOT NULL,
    version     int  NOT NULL,
    customer_id text NOT NULL REFERENCES customers (id),
    owner_id    text REFERENCES owners (id),
    status      text NOT NULL CHECK (status IN (
                    'completed', 'failed', 'canceled', 'terminated', 'timed-out')),
    stage       text NOT NULL CHECK (stage IN (
                    'nurturing', 'handoff', 'cooldown', 'paused', 'done')),
    score       double precision NOT NULL CHECK (score >= 0),
    mqn         boolean NOT NULL,
    cycle       int  NOT NULL CHECK (cycle >= 0),
    outcome     text NOT NULL,
    started_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL,
    PRIMARY KEY (workflow_id, started_at),
    FOREIGN KEY (journey_id, version) REFERENCES journey_versions (journey_id, version),
    CONSTRAINT ended_runs_ended_at_check CHECK (ended_at >= started_at)
);

-- A customer's runs, newest first; a journey's runs by when they ended.
CREATE INDEX ended_runs_customer_id_idx ON ended_runs (customer_id, started_at DESC);
CREATE INDEX ended_runs_journey_id_idx ON ended_runs (journey_id, ended_at);

-- A row of an ended run that another run takes over (another run key, or
-- another start) is kept in ended_runs first. A missing run key (a row from
-- before this migration) is no difference: the run itself may be writing it
-- again. A running row is never kept:
-- it is still its run's. Keeping the same run twice keeps one row.
-- +goose StatementBegin
CREATE FUNCTION runs_keep_ended() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ended_runs (workflow_id, run_key, journey_id, version, customer_id, owner_id,
                            status, stage, score, mqn, cycle, outcome,
                            started_at, updated_at, ended_at)
    VALUES (OLD.workflow_id, OLD.run_key, OLD.journey_id, OLD.version, OLD.customer_id, OLD.owner_id,
            OLD.status, OLD.stage, OLD.score, OLD.mqn, OLD.cycle, OLD.outcome,
            OLD.started_at, OLD.updated_at, OLD.ended_at)
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER runs_keep_ended
    BEFORE UPDATE ON runs
    FOR EACH ROW
    WHEN (OLD.status <> 'running'
          AND (OLD.run_key <> NEW.run_key OR OLD.started_at <> NEW.started_at))
    EXECUTE FUNCTION runs_keep_ended();

-- +goose Down
DROP TRIGGER runs_keep_ended ON runs;
DROP FUNCTION runs_keep_ended();
DROP TABLE ended_runs;
ALTER TABLE runs DROP COLUMN run_key;
