-- Tamper evidence for the event log. Every event carries ``hash``, the SHA-256 of the
-- previous event's hash followed by this event's canonical encoding, and that previous
-- hash as ``prev_hash``: changing, inserting or deleting a row breaks the chain there,
-- and ``idp events verify`` names the first row where it breaks.
--
-- The encoding (version 1, computed again independently by idp/events_chain.py) is the
-- text "idp-event-v1" followed by each field as "<byte length>:<UTF-8 bytes>", or "~"
-- for NULL: the id, the time (UTC, to the microsecond), the account id, the client id,
-- the kind, the address (inet text), the user agent and the details (jsonb text). The
-- first event follows 32 zero bytes.
--
-- The chain stays linear under concurrency: the insert trigger locks the one row of
-- ``event_chain_head`` (the last event's id and hash), gives the event its id under that
-- lock, links it to the head and moves the head. The lock lasts until the transaction
-- ends, so events are chained in the order their transactions commit and ids follow the
-- chain. Ids therefore come from the trigger, not from the column's default.

ALTER TABLE events ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

CREATE FUNCTION event_chain_field(value text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN convert_to('~', 'UTF8')
        ELSE convert_to(length(convert_to(value, 'UTF8'))::text || ':', 'UTF8')
             || convert_to(value, 'UTF8')
    END
$$;

CREATE FUNCTION event_chain_encoding(e events) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT convert_to('idp-event-v1', 'UTF8')
        || event_chain_field(e.id::text)
        || event_chain_field(
               to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || event_chain_field(e.account_id::text)
        || event_chain_field(e.client_id)
        || event_chain_field(e.kind)
        || event_chain_field(e.ip::text)
        || event_chain_field(e.user_agent)
        || event_chain_field(e.details::text)
$$;

-- The chain's two ends: the last event (``last_id``, ``last_hash``), so that removing
-- the newest events shows too, and where it starts: events before ``start_id`` were
-- deleted under the event log's retention setting, and the first one kept follows
-- ``start_hash`` (32 zero bytes while nothing was deleted).
CREATE TABLE event_chain_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last_id bigint,
    last_hash bytea NOT NULL,
    start_id bigint NOT NULL DEFAULT 0,
    start_hash bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex')
);

-- Existing events, in id order.
ALTER TABLE events DISABLE TRIGGER events_no_update;
DO $$
DECLARE
    previous bytea := decode(repeat('00', 32), 'hex');
    this_hash bytea;
    last bigint;
    e events;
BEGIN
    FOR e IN SELECT * FROM events ORDER BY id LOOP
        this_hash := sha256(previous || event_chain_encoding(e));
        UPDATE events SET prev_hash = previous, hash = this_hash WHERE id = e.id;
        previous := this_hash;
        last := e.id;
    END LOOP;
    INSERT INTO event_chain_head (last_id, last_hash) VALUES (last, previous);
END
$$;
ALTER TABLE events ENABLE TRIGGER events_no_update;

ALTER TABLE events
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL,
    ALTER COLUMN id DROP DEFAULT;

CREATE FUNCTION events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head event_chain_head;
BEGIN
    SELECT * INTO head FROM event_chain_head FOR UPDATE;
    NEW.id := nextval('events_id_seq');
    NEW.prev_hash := head.last_hash;
    NEW.hash := sha256(head.last_hash || event_chain_encoding(NEW));
    UPDATE event_chain_head SET last_id = NEW.id, last_hash = NEW.hash;
    RETURN NEW;
END
$$;
CREATE TRIGGER events_chain BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_chain();

-- The log stays append-only. The one exception is retention: a transaction that set
-- ``idp.prune_events`` to ``on`` may delete the events before the chain's start, after
-- moving the start forward (``idp retention apply`` does both).
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('idp.prune_events', true) = 'on'
       AND OLD.id < (SELECT start_id FROM event_chain_head) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the event log is append-only';
END;
$$;

-- For `idp events search` and the console's audit view.
CREATE INDEX events_occurred ON events (occurred_at);
CREATE INDEX events_kind ON events (kind, occurred_at);
CREATE INDEX events_client ON events (client_id, occurred_at) WHERE client_id IS NOT NULL;
CREATE INDEX events_actor ON events ((details ->> 'actor'), occurred_at)
    WHERE details ? 'actor';
