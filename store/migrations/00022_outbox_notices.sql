-- An owner notice that belongs to no hand-off (the account owner told that
-- a detector enrolled their customer, handoff.notify_on_enrol) has a kind
-- of its own, so it is neither a contact's content (which the frequency cap
-- and the reports count) nor a hand-off email (which names its hand-off).

-- +goose Up
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('content', 'handoff', 'reminder', 'notice'));
ALTER TABLE outbox DROP CONSTRAINT outbox_handoff_id_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_handoff_id_check CHECK ((kind IN ('content', 'notice')) = (handoff_id IS NULL));

-- +goose Down
DELETE FROM outbox WHERE kind = 'notice';
ALTER TABLE outbox DROP CONSTRAINT outbox_handoff_id_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_handoff_id_check CHECK ((kind = 'content') = (handoff_id IS NULL));
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('content', 'handoff', 'reminder'));
