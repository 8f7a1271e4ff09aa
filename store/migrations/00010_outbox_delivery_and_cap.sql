-- SendGrid's deferred (still trying) and dropped (will not deliver) events
-- reach the outbox, and the per-contact frequency cap reserves an email
-- before it goes, so two runs mailing one contact at once cannot both pass
-- the cap.

-- +goose Up

-- outbox_sent_check stays as it is: every status past pending and failed,
-- deferred and dropped included, is news about an email SendGrid accepted,
-- so the row has its message ID and sent time.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN (
    'pending', 'sent', 'failed', 'deferred', 'delivered', 'bounced', 'dropped'));

-- When the frequency cap let a content email go: it counts towards the cap
-- from then on, before SendGrid has accepted it (sent_at takes over after).
ALTER TABLE outbox ADD COLUMN reserved_at timestamptz;

-- The cap counts a contact's content emails sent or reserved since a time.
DROP INDEX outbox_content_sent_idx;
CREATE INDEX outbox_content_cap_idx ON outbox (contact_id, (COALESCE(sent_at, reserved_at)))
    WHERE kind = 'content' AND status <> 'failed';

-- +goose Down

DROP INDEX outbox_content_cap_idx;
CREATE INDEX outbox_content_sent_idx ON outbox (contact_id, sent_at)
    WHERE kind = 'content' AND sent_at IS NOT NULL;
ALTER TABLE outbox DROP COLUMN reserved_at;
UPDATE outbox SET status = 'sent' WHERE status = 'deferred';
UPDATE outbox SET status = 'bounced' WHERE status = 'dropped';
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN (
    'pending', 'sent', 'failed', 'delivered', 'bounced'));
