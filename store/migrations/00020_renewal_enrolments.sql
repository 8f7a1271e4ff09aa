-- Enrolments by renewal (detector: {renews_within: ...}): one row per
-- journey, account and renewal date, claimed before the run is started, so
-- the daily schedule enrols an account once per renewal however often it
-- fires. status is what the enrolment answered; 'pending' (claimed, no
-- answer recorded: the process stopped in between) and 'failed' may be
-- tried again on the next firing, every other answer is final.

-- +goose Up
CREATE TABLE renewal_enrolments (
    journey_id  text NOT NULL REFERENCES journeys (id),
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    renews_at   date NOT NULL,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN (
        'pending', 'started', 'already-running', 'suppressed', 'ineligible', 'unknown-customer', 'failed')),
    attempts    int  NOT NULL DEFAULT 1,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    decided_at  timestamptz,
    PRIMARY KEY (journey_id, customer_id, renews_at)
);

-- +goose Down
DROP TABLE renewal_enrolments;
