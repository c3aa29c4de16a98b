-- The record of each decision a proofing agent made on a video call: who decided (and
-- who handed the call over, if anyone), the checklist's answers, the decision with its
-- reason code, and the call's times and length. Nothing the person showed or said is
-- kept: no picture, sound or document detail. Rows are never changed or deleted, except
-- with the person's account; the ``id`` is the reference in the proofing record.
CREATE TABLE agent_reviews (
    id uuid PRIMARY KEY,
    call_id uuid NOT NULL UNIQUE,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id text,
    agent_id uuid NOT NULL,
    handed_off_by uuid,
    checklist jsonb NOT NULL,
    decision text NOT NULL CHECK (decision IN ('verified', 'rejected', 'needs_more')),
    reason text NOT NULL,
    queued_at timestamptz,
    claimed_at timestamptz NOT NULL,
    decided_at timestamptz NOT NULL DEFAULT now(),
    call_seconds integer NOT NULL CHECK (call_seconds >= 0)
);
CREATE INDEX agent_reviews_account ON agent_reviews (account_id, decided_at);
CREATE INDEX agent_reviews_agent ON agent_reviews (agent_id, decided_at);

CREATE FUNCTION agent_reviews_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'agent reviews are append-only';
END;
$$;
CREATE TRIGGER agent_reviews_no_update BEFORE UPDATE ON agent_reviews
    FOR EACH ROW EXECUTE FUNCTION agent_reviews_append_only();
