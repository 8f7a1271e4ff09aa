-- API keys. Only the SHA-256 of a key is stored, with a short prefix to
-- recognise it in lists.

-- +goose Up

CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role         text  NOT NULL CHECK (role IN ('marketing', 'sales', 'admin')),
    label        text  NOT NULL DEFAULT '',
    prefix       text  NOT NULL CHECK (prefix LIKE 'rpn\_%'),
    hash         bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- +goose Down

DROP TABLE api_keys;
