-- The inbox lists hand-offs of an owner, or of a status, newest first
-- (ListHandoffs: ORDER BY created_at DESC, id DESC). Only open hand-offs of
-- an owner had an index (handoffs_open_by_owner_idx): an owner's closed
-- hand-offs, or all won / withdrawn ones, scanned the table. These indexes
-- give the rows in the listing's order, so a LIMIT stops early.

-- +goose Up
CREATE INDEX handoffs_owner_id_idx ON handoffs (owner_id, created_at DESC, id DESC);
CREATE INDEX handoffs_status_idx ON handoffs (status, created_at DESC, id DESC);

-- +goose Down
DROP INDEX handoffs_status_idx;
DROP INDEX handoffs_owner_id_idx;
