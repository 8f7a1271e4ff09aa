-- Every fetch of a tracked link (/r/) and who made it: a person (the click
-- is an engagement event) or a machine (a mail security gateway, a
-- prefetch, a link preview), which scores nothing and reaches no run or
-- detector. Whether a fetch is a machine's may depend on the other fetches
-- of the same email (its run, step, cycle and contact): the hidden link
-- only machines follow, several links within seconds. So every fetch is
-- kept, with its verdict, and machine clicks can be counted here.

-- +goose Up
CREATE TABLE link_fetches (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    run_id      text NOT NULL,
    step        text NOT NULL,
    cycle       int NOT NULL,
    contact_id  text NOT NULL,
    -- A digest of the link's token: which link of the email.
    link        text NOT NULL CHECK (link <> ''),
    -- The email's hidden link, which people never see.
    trap        boolean NOT NULL DEFAULT false,
    machine     boolean NOT NULL,
    reason      text NOT NULL DEFAULT '' CONSTRAINT link_fetches_reason_check CHECK (
                    (machine AND reason IN ('head', 'prefetch', 'agent', 'trap', 'scanned', 'burst'))
                    OR (NOT machine AND reason = '')),
    -- The click event this fetch stored ('' when it stored none): the one
    -- to take back if the fetch turns out to be a machine's.
    event_id    text NOT NULL DEFAULT '',
    fetched_at  timestamptz NOT NULL
);

-- The fetches of one email within seconds: what each verdict reads.
CREATE INDEX link_fetches_email_idx ON link_fetches (run_id, step, cycle, contact_id, fetched_at);
CREATE INDEX link_fetches_customer_idx ON link_fetches (customer_id);

-- +goose Down
DROP TABLE link_fetches;
