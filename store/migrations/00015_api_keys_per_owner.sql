-- API keys bound to an account owner, and keys that expire. A sales key with
-- an owner sees and answers only that owner's hand-offs and runs: a leaked
-- key of one rep no longer opens every rep's inbox. Only sales keys can be
-- bound (marketing and admin work across owners). A key past expires_at is
-- refused like a revoked one.

-- +goose Up

ALTER TABLE api_keys
    ADD COLUMN owner_id   text REFERENCES owners (id),
    ADD COLUMN expires_at timestamptz,
    ADD CONSTRAINT api_keys_owner_role_check CHECK (owner_id IS NULL OR role = 'sales');

-- +goose Down

ALTER TABLE api_keys
    DROP CONSTRAINT api_keys_owner_role_check,
    DROP COLUMN expires_at,
    DROP COLUMN owner_id;
