-- outbound_events only keeps events some webhook subscribes to: with no
-- webhook (most installations) every run started and ended, hand-off and
-- fast-lane request wrote a row that the dispatcher then marked and that
-- stayed until pruned. The dispatcher never delivered such an event to a
-- webhook made later (store.DispatchOutboundEvents), so nothing is lost.
-- A BEFORE trigger keeps the fact's own triggers as they are.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION outbound_events_subscribed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A type no webhook may name goes on to outbound_events_type_check,
    -- which refuses it loudly: a bug in a trigger is not dropped quietly.
    IF EXISTS (SELECT FROM webhooks WHERE NEW.type = ANY (events))
       OR NOT NEW.type = ANY (ARRAY['handoff.created', 'handoff.answered', 'run.started', 'run.ended', 'fast_lane.requested']) THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER outbound_events_subscribed BEFORE INSERT ON outbound_events
    FOR EACH ROW EXECUTE FUNCTION outbound_events_subscribed();

-- +goose Down
DROP TRIGGER outbound_events_subscribed ON outbound_events;
DROP FUNCTION outbound_events_subscribed();
