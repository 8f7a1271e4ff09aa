-- The arm each account took at each split step of a journey, and its
-- holdout decision (step_id '#holdout', arm 'holdout' or 'treated'): the
-- first arm recorded wins, so a new version's weights or holdout percent,
-- or a re-enrolment, never move an account that already took one. Keyed
-- by journey, not version, for that reason; version is the one whose run
-- took the arm first. The experiments' report counts its groups here.

-- +goose Up
CREATE TABLE experiment_arms (
    journey_id  text NOT NULL REFERENCES journeys (id),
    customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    step_id     text NOT NULL CHECK (step_id <> ''),
    arm         text NOT NULL CHECK (arm <> ''),
    version     int  NOT NULL CHECK (version > 0),
    taken_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (journey_id, customer_id, step_id)
);

-- +goose Down
DROP TABLE experiment_arms;
