-- A run may qualify more than once in a cycle: sales reject a hand-off, the
-- run nurtures on and qualifies again. Each escalation is its own hand-off.

-- +goose Up
ALTER TABLE handoffs ADD COLUMN escalation int NOT NULL DEFAULT 1
    CONSTRAINT handoffs_escalation_check CHECK (escalation >= 1);
ALTER TABLE handoffs DROP CONSTRAINT handoffs_run_key_cycle_key;
ALTER TABLE handoffs ADD CONSTRAINT handoffs_run_key_cycle_escalation_key UNIQUE (run_key, cycle, escalation);

-- +goose Down
ALTER TABLE handoffs DROP CONSTRAINT handoffs_run_key_cycle_escalation_key;
DELETE FROM handoffs WHERE escalation > 1;
ALTER TABLE handoffs ADD CONSTRAINT handoffs_run_key_cycle_key UNIQUE (run_key, cycle);
ALTER TABLE handoffs DROP COLUMN escalation;
