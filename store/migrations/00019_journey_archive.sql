-- A journey can be retired: archived_at set means it takes no new runs
-- (enrolment refuses it, its detector enrols no one) while its versions
-- stay readable and its runs in flight go on. It belongs to the journey,
-- not to a version: versions are immutable, and publishing any version
-- again (even an unchanged one) clears it.

-- +goose Up
ALTER TABLE journeys ADD COLUMN archived_at timestamptz;

-- +goose Down
ALTER TABLE journeys DROP COLUMN archived_at;
