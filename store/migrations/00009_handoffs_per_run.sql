-- One open hand-off per run, not per workflow ID: workflow IDs
-- (ripen/{journey}/{customer}) come back when a customer is enrolled again,
-- and a hand-off an earlier run left open must not block the new run.
--
-- A hand-off whose run ended before sales answered is `withdrawn` (no
-- feedback). Indexes for the foreign keys and lookups that had none.

-- +goose Up
DROP INDEX handoffs_one_open_per_workflow;
CREATE UNIQUE INDEX handoffs_one_open_per_run ON handoffs (run_key) WHERE status = 'open';

ALTER TABLE handoffs DROP CONSTRAINT handoffs_status_check;
ALTER TABLE handoffs ADD CONSTRAINT handoffs_status_check CHECK (status IN (
    'open', 'accepted', 'won', 'lost', 'rejected', 'not-ready', 'withdrawn'));
ALTER TABLE handoffs DROP CONSTRAINT handoffs_feedback_check;
ALTER TABLE handoffs ADD CONSTRAINT handoffs_feedback_check CHECK (
    (status IN ('open', 'withdrawn') AND feedback = '') OR feedback = status);

-- Sales' answer on the run's signals route: the newest open hand-off of a
-- workflow ID.
CREATE INDEX handoffs_open_by_workflow_idx ON handoffs (workflow_id, created_at DESC) WHERE status = 'open';
-- The inbox filtered by customer or journey, newest first (and the foreign keys).
CREATE INDEX handoffs_customer_id_idx ON handoffs (customer_id, created_at DESC);
CREATE INDEX handoffs_journey_id_idx ON handoffs (journey_id, created_at DESC);
-- The foreign key to handoffs (hand-off and reminder emails only).
CREATE INDEX outbox_handoff_id_idx ON outbox (handoff_id) WHERE handoff_id IS NOT NULL;

-- +goose Down
DROP INDEX outbox_handoff_id_idx;
DROP INDEX handoffs_journey_id_idx;
DROP INDEX handoffs_customer_id_idx;
DROP INDEX handoffs_open_by_workflow_idx;
-- The old schema left a withdrawn hand-off open. With two runs of one
-- workflow ID holding open hand-offs, the last statement fails: close the
-- stale ones by hand first.
UPDATE handoffs SET status = 'open', closed_at = NULL WHERE status = 'withdrawn';
ALTER TABLE handoffs DROP CONSTRAINT handoffs_feedback_check;
ALTER TABLE handoffs ADD CONSTRAINT handoffs_feedback_check CHECK (
    (status = 'open' AND feedback = '') OR feedback = status);
ALTER TABLE handoffs DROP CONSTRAINT handoffs_status_check;
ALTER TABLE handoffs ADD CONSTRAINT handoffs_status_check CHECK (status IN (
    'open', 'accepted', 'won', 'lost', 'rejected', 'not-ready'));
DROP INDEX handoffs_one_open_per_run;
CREATE UNIQUE INDEX handoffs_one_open_per_workflow ON handoffs (workflow_id) WHERE status = 'open';
