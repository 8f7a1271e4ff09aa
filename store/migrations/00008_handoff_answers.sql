-- Sales' answer is claimed on the hand-off before the run applies it, so
-- two racing answers cannot both be acknowledged: the first one wins, here
-- as in the run, even while no worker is there to hear it.

-- +goose Up
ALTER TABLE handoffs ADD COLUMN answer text NOT NULL DEFAULT ''
    CONSTRAINT handoffs_answer_check CHECK (answer IN ('', 'accepted', 'won', 'lost', 'rejected', 'not-ready'));
ALTER TABLE handoffs ADD COLUMN answer_note text NOT NULL DEFAULT '';
ALTER TABLE handoffs ADD COLUMN answered_at timestamptz
    CONSTRAINT handoffs_answered_at_check CHECK ((answer = '') = (answered_at IS NULL));

-- +goose Down
ALTER TABLE handoffs DROP COLUMN answered_at;
ALTER TABLE handoffs DROP COLUMN answer_note;
ALTER TABLE handoffs DROP COLUMN answer;
