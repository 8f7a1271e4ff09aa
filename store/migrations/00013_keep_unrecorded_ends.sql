-- A run whose end never reached the store (the worker that would have written
-- it lost, an operator's terminate unseen) still has a 'running' row when a new
-- run of its workflow ID takes the row over. Only one run of a workflow ID runs
-- at a time, so a new run key proves the old run ended: it is kept too, as
-- 'unrecorded', ended when the store last heard from it. Before, it was
-- overwritten and lost from reporting.

-- +goose Up
ALTER TABLE ended_runs DROP CONSTRAINT ended_runs_status_check;
ALTER TABLE ended_runs ADD CONSTRAINT ended_runs_status_check CHECK (status IN (
    'completed', 'failed', 'canceled', 'terminated', 'timed-out', 'unrecorded'));

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

-- A running row is kept only for a later run with another run key: without
-- keys on both sides (rows from before 00011, or writers that do not know
-- them) the new start may be the same run written again, and an earlier run
-- is a late write of one that ended before this one began.
DROP TRIGGER runs_keep_ended ON runs;
CREATE TRIGGER runs_keep_ended
    BEFORE UPDATE ON runs
    FOR EACH ROW
    WHEN ((OLD.status <> 'running'
           AND (OLD.run_key <> NEW.run_key OR OLD.started_at <> NEW.started_at))
          OR (OLD.status = 'running' AND OLD.run_key <> NEW.run_key AND NEW.started_at > OLD.started_at))
    EXECUTE FUNCTION runs_keep_ended();

-- +goose Down
DROP TRIGGER runs_keep_ended ON runs;
CREATE TRIGGER runs_keep_ended
    BEFORE UPDATE ON runs
    FOR EACH ROW
    WHEN (OLD.status <> 'running'
          AND (OLD.run_key <> NEW.run_key OR OLD.started_at <> NEW.started_at))
    EXECUTE FUNCTION runs_keep_ended();

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION runs_keep_ended() RETURNS trigger
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

DELETE FROM ended_runs WHERE status = 'unrecorded';
ALTER TABLE ended_runs DROP CONSTRAINT ended_runs_status_check;
ALTER TABLE ended_runs ADD CONSTRAINT ended_runs_status_check CHECK (status IN (
    'completed', 'failed', 'canceled', 'terminated', 'timed-out'));
