-- Events older than RIPEN_EVENTS_RETENTION are deleted in batches, oldest
-- first (store.PruneEvents); this index finds them without reading the
-- table. Built concurrently, so an upgrade does not hold up ingestion on a
-- large events table.

-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_occurred_at_idx ON events (occurred_at);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS events_occurred_at_idx;
