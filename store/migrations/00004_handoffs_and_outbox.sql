-- Hand-offs to account owners, and the email outbox that makes sends exactly-once.

-- +goose Up

CREATE TABLE handoffs (
    id            text NOT NULL PRIMARY KEY DEFAULT gen_random_uuid()::text CHECK (id <> ''),
    run_key       text NOT NULL CHECK (run_key <> ''),
    workflow_id   text NOT NULL CHECK (workflow_id <> ''),
    journey_id    text NOT NULL REFERENCES journeys (id),
    customer_id   text NOT NULL REFERENCES customers (id),
    owner_id      text NOT NULL REFERENCES owners (id),
    cycle         int  NOT NULL CHECK (cycle >= 0),
    reason        text NOT NULL CHECK (reason IN ('score', 'fast-lane')),
    offer         text NOT NULL DEFAULT '',
    note          text NOT NULL DEFAULT '',
    score         double precision NOT NULL DEFAULT 0 CHECK (score >= 0),
    evidence      jsonb NOT NULL DEFAULT '{}',
    status        text NOT NULL DEFAULT 'open' CHECK (status IN (
                      'open', 'accepted', 'won', 'lost', 'rejected', 'not-ready')),
    feedback      text NOT NULL DEFAULT '',
    feedback_note text NOT NULL DEFAULT '',
    sla_due_at    timestamptz NOT NULL,
    reminded_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    closed_at     timestamptz,
    -- A retried activity finds the hand-off it created.
    CONSTRAINT handoffs_run_key_cycle_key UNIQUE (run_key, cycle),
    CONSTRAINT handoffs_closed_at_check CHECK ((status = 'open') = (closed_at IS NULL)),
    CONSTRAINT handoffs_feedback_check CHECK (
        (status = 'open' AND feedback = '') OR feedback = status
    )
);

-- At most one open hand-off per run.
CREATE UNIQUE INDEX handoffs_one_open_per_workflow ON handoffs (workflow_id) WHERE status = 'open';
-- The sales inbox: open hand-offs of an owner, newest first.
CREATE INDEX handoffs_open_by_owner_idx ON handoffs (owner_id, created_at DESC) WHERE status = 'open';
CREATE INDEX handoffs_created_at_idx ON handoffs (created_at DESC, id DESC);

-- One row per email a run sends: (run, step, cycle, recipient) is claimed
-- before calling SendGrid and marked sent with its X-Message-Id after, so a
-- retried activity never sends twice once SendGrid accepted the message.
-- contact_id is the recipient: a contact, or the owner for hand-off emails.
CREATE TABLE outbox (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_key    text NOT NULL CHECK (run_key <> ''),
    step_id    text NOT NULL CHECK (step_id <> ''),
    cycle      int  NOT NULL CHECK (cycle >= 0),
    contact_id text NOT NULL CHECK (contact_id <> ''),
    kind       text NOT NULL CHECK (kind IN ('content', 'handoff', 'reminder')),
    handoff_id text REFERENCES handoffs (id),
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN (
                   'pending', 'sent', 'failed', 'delivered', 'bounced')),
    message_id text UNIQUE,
    error      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT outbox_key UNIQUE (run_key, step_id, cycle, contact_id),
    CONSTRAINT outbox_handoff_id_check CHECK ((kind = 'content') = (handoff_id IS NULL)),
    CONSTRAINT outbox_sent_check CHECK (
        status IN ('pending', 'failed') OR (message_id IS NOT NULL AND sent_at IS NOT NULL)
    )
);

-- The per-contact frequency cap: content emails sent to a contact since a time.
CREATE INDEX outbox_content_sent_idx ON outbox (contact_id, sent_at)
    WHERE kind = 'content' AND sent_at IS NOT NULL;

-- +goose Down

DROP TABLE outbox;
DROP TABLE handoffs;
