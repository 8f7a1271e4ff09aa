-- Sales surfaces (issue 17): a hand-off names the person who asked (or who
-- engaged most), contacts may have a phone number for the rep to call, and
-- a rep signs in to their inbox by an emailed link that opens a session.
--
-- Sign-in links and sessions are bearer secrets: only their SHA-256 is
-- kept, so a copy of the database signs nobody in. A sign-in link is used
-- once (used_at) and soon expires; a session expires and may be revoked
-- (sign out) before that.

-- +goose Up
ALTER TABLE contacts ADD COLUMN phone text NOT NULL DEFAULT ''
    CHECK (phone ~ '^[0-9 +()/-]{0,40}$');

-- A contact removed from its customer leaves the hand-off without a name,
-- not without its history.
ALTER TABLE handoffs ADD COLUMN contact_id text REFERENCES contacts (id) ON DELETE SET NULL;

CREATE TABLE inbox_signins (
    token_hash bytea PRIMARY KEY,
    owner_id   text NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX inbox_signins_expires_at_idx ON inbox_signins (expires_at);

CREATE TABLE inbox_sessions (
    token_hash bytea PRIMARY KEY,
    owner_id   text NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX inbox_sessions_owner_id_idx ON inbox_sessions (owner_id);
CREATE INDEX inbox_sessions_expires_at_idx ON inbox_sessions (expires_at);

-- +goose Down
DROP TABLE inbox_sessions;
DROP TABLE inbox_signins;
ALTER TABLE handoffs DROP COLUMN contact_id;
ALTER TABLE contacts DROP COLUMN phone;
