-- Hand-offs without a run: a fast-lane request for an offer that no running
-- run of the customer offers is still handed off to the account owner
-- (workflows.FastLaneHandoff). Such a hand-off has no run (run_key,
-- workflow_id), no journey, and is keyed by the fast-lane event it answers
-- (event_id, unique: a retried activity or a repeated event finds it).
--
-- Every existing constraint keeps its meaning for hand-offs of a run: the
-- checks on run_key and workflow_id hold for a value that is there, the
-- (run_key, cycle, escalation) key and one open hand-off per run hold among
-- hand-offs of runs (NULLs are distinct), the journey's foreign key holds
-- when a journey is named. The new checks say a hand-off has either a run
-- (with its workflow and journey) or a fast-lane event, never both or
-- neither.

-- +goose Up
ALTER TABLE handoffs ALTER COLUMN run_key DROP NOT NULL;
ALTER TABLE handoffs ALTER COLUMN workflow_id DROP NOT NULL;
ALTER TABLE handoffs ALTER COLUMN journey_id DROP NOT NULL;
ALTER TABLE handoffs ADD COLUMN event_id text CHECK (event_id <> '');
ALTER TABLE handoffs ADD CONSTRAINT handoffs_event_id_key UNIQUE (event_id);
ALTER TABLE handoffs ADD CONSTRAINT handoffs_run_or_event_check CHECK (
    (run_key IS NOT NULL AND workflow_id IS NOT NULL AND journey_id IS NOT NULL AND event_id IS NULL)
    OR (run_key IS NULL AND workflow_id IS NULL AND journey_id IS NULL AND event_id IS NOT NULL
        AND reason = 'fast-lane'));

-- +goose Down
-- Hand-offs without a run cannot be kept by the old schema.
DELETE FROM outbox WHERE handoff_id IN (SELECT id FROM handoffs WHERE run_key IS NULL);
DELETE FROM handoffs WHERE run_key IS NULL;
ALTER TABLE handoffs DROP CONSTRAINT handoffs_run_or_event_check;
ALTER TABLE handoffs DROP CONSTRAINT handoffs_event_id_key;
ALTER TABLE handoffs DROP COLUMN event_id;
ALTER TABLE handoffs ALTER COLUMN journey_id SET NOT NULL;
ALTER TABLE handoffs ALTER COLUMN workflow_id SET NOT NULL;
ALTER TABLE handoffs ALTER COLUMN run_key SET NOT NULL;
