-- What a contact wrote with a fast-lane request. It lives here, not in the
-- workflow: workflow history carries the event ID only.

-- +goose Up
ALTER TABLE events ADD COLUMN note text NOT NULL DEFAULT ''
    CONSTRAINT events_note_check CHECK (char_length(note) <= 4000);

-- +goose Down
ALTER TABLE events DROP COLUMN note;
