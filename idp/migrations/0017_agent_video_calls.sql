-- Live video verification with a proofing agent: the queue, booked times, which agents
-- are at their console, and the signalling messages that set up a call between the
-- person's and the agent's browsers. The call itself goes from browser to browser:
-- no video, audio or picture of it is ever stored here or anywhere else.

-- One call from joining (or booking) to its end. A person has at most one open call.
-- ``queued_at`` orders the queue (the time they joined, or their booked time if that
-- came first). ``sealed_shown`` is what the agent may see (the first name, the details
-- the person typed from their ID, and why an earlier way failed), sealed under the
-- master key and erased when the call ends. ``challenge`` is the spoken one-time
-- phrase shown to the agent, against replayed video; it is no personal data.
CREATE TABLE agent_calls (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id text REFERENCES agencies (client_id) ON DELETE SET NULL,
    status text NOT NULL
        CHECK (status IN ('booked', 'waiting', 'in_call', 'handoff', 'ended')),
    slot_at timestamptz,
    reminded_at timestamptz,
    queued_at timestamptz,
    person_seen_at timestamptz,
    agent_id uuid REFERENCES accounts (id) ON DELETE SET NULL,
    agent_seen_at timestamptz,
    claimed_at timestamptz,
    deadline timestamptz,
    handed_off_by uuid REFERENCES accounts (id) ON DELETE SET NULL,
    challenge text,
    sealed_shown bytea,
    ended_at timestamptz,
    end_reason text,
    decision text CHECK (decision IN ('verified', 'rejected', 'needs_more')),
    decision_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'ended') = (ended_at IS NOT NULL)),
    CHECK (status <> 'booked' OR slot_at IS NOT NULL),
    CHECK (status NOT IN ('waiting', 'handoff') OR queued_at IS NOT NULL),
    CHECK (status <> 'in_call' OR (agent_id IS NOT NULL AND deadline IS NOT NULL))
);
CREATE UNIQUE INDEX agent_calls_one_open ON agent_calls (account_id) WHERE status <> 'ended';
CREATE INDEX agent_calls_queue ON agent_calls (status, queued_at)
    WHERE status IN ('waiting', 'handoff');
CREATE INDEX agent_calls_slots ON agent_calls (slot_at) WHERE status = 'booked';
CREATE INDEX agent_calls_agent ON agent_calls (agent_id) WHERE status = 'in_call';
CREATE INDEX agent_calls_ended ON agent_calls (ended_at) WHERE status = 'ended';

-- Offers, answers and ICE candidates on their way from one browser to the other,
-- fetched by short polling (``id`` greater than the last one seen). They may carry
-- network addresses, so they are deleted when the call ends or is handed over.
CREATE TABLE agent_signals (
    id bigserial PRIMARY KEY,
    call_id uuid NOT NULL REFERENCES agent_calls (id) ON DELETE CASCADE,
    sender text NOT NULL CHECK (sender IN ('person', 'agent')),
    kind text NOT NULL CHECK (kind IN ('hello', 'offer', 'answer', 'candidate', 'bye')),
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_signals_call ON agent_signals (call_id, sender, id);

-- Agents whose console asked for the queue lately: the wait estimate's divisor.
CREATE TABLE agent_presence (
    account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    seen_at timestamptz NOT NULL
);
