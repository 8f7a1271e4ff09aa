-- Sales may answer a run that has reached MQN but not yet recorded its
-- hand-off. The run applies the answer alone, and the note (which must not
-- enter workflow history) waits here, written before the answer is sent, so
-- closing the hand-off always finds it: no race, and nothing lost when the
-- run takes longer than the API waits.

-- +goose Up
CREATE TABLE pending_feedback_notes (
    workflow_id text        NOT NULL CONSTRAINT pending_feedback_notes_workflow_id_check CHECK (workflow_id <> ''),
    outcome     text        NOT NULL CONSTRAINT pending_feedback_notes_outcome_check
                            CHECK (outcome IN ('accepted', 'won', 'lost', 'rejected', 'not-ready')),
    note        text        NOT NULL CONSTRAINT pending_feedback_notes_note_check CHECK (note <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pending_feedback_notes_pkey PRIMARY KEY (workflow_id, outcome)
);

-- +goose Down
DROP TABLE pending_feedback_notes;
