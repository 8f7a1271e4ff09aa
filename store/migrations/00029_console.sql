-- The console (issue 19): a web app at /console for marketing ops and sales
-- leads. People sign in by a link emailed to them or with an API key; the
-- role decides what they see.
--
-- console_users are the people with a role who are not account owners
-- (marketing ops, sales leads, admins), managed by admins through
-- /v1/users. Account owners sign in too, as sales bound to their own book,
-- without a row here. A session names exactly one subject (a user, an
-- owner or an API key) and reads its role from it on every request, so a
-- changed role, a deleted user or a revoked key takes effect at once.
--
-- As for the inbox (00024), sign-in links and sessions are bearer secrets
-- of which only the SHA-256 is kept.

-- +goose Up
CREATE TABLE console_users (
    id         text PRIMARY KEY CHECK (id ~ '^[^/[:space:]]{1,200}$'),
    email      text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    name       text NOT NULL DEFAULT '' CHECK (name !~ '[[:cntrl:]]'),
    role       text NOT NULL CHECK (role IN ('marketing', 'sales', 'admin')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- One person, one address: the sign-in form finds the user by it.
CREATE UNIQUE INDEX console_users_email_key ON console_users (lower(email));

CREATE TABLE console_signins (
    token_hash bytea PRIMARY KEY,
    user_id    text REFERENCES console_users (id) ON DELETE CASCADE,
    owner_id   text REFERENCES owners (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT console_signins_subject_check CHECK (num_nonnulls(user_id, owner_id) = 1)
);
CREATE INDEX console_signins_expires_at_idx ON console_signins (expires_at);

CREATE TABLE console_sessions (
    token_hash bytea PRIMARY KEY,
    user_id    text REFERENCES console_users (id) ON DELETE CASCADE,
    owner_id   text REFERENCES owners (id) ON DELETE CASCADE,
    api_key_id bigint REFERENCES api_keys (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT console_sessions_subject_check CHECK (num_nonnulls(user_id, owner_id, api_key_id) = 1)
);
CREATE INDEX console_sessions_expires_at_idx ON console_sessions (expires_at);

-- +goose Down
DROP TABLE console_sessions;
DROP TABLE console_signins;
DROP TABLE console_users;
