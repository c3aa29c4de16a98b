-- Mail outbox, emailed single-use links, lock-until-reset, scheduled deletions,
-- tombstones of deleted accounts and security events waiting for each agency.

-- Mail is queued in the caller's transaction and sent after it commits. A body can
-- hold a live link, so it is wiped once the message has been handed to the server.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    recipient text NOT NULL,
    subject text NOT NULL,
    text_body text,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    sent_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX outbox_recipient ON outbox (lower(recipient), created_at);

-- Links sent by email: only a SHA-256 of the token is kept.
CREATE TABLE email_tokens (
    token_hash bytea PRIMARY KEY,
    purpose text NOT NULL
        CHECK (purpose IN ('sign-up', 'password-reset', 'not-me', 'deletion', 'deletion-cancel')),
    email text NOT NULL,
    account_id uuid REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX email_tokens_account ON email_tokens (account_id);
CREATE INDEX email_tokens_expires ON email_tokens (expires_at);

-- Set when the owner says a sign-in "wasn't me": signing in needs a password reset.
ALTER TABLE accounts ADD COLUMN password_reset_required boolean NOT NULL DEFAULT false;

CREATE TABLE account_deletions (
    account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    requested_at timestamptz NOT NULL DEFAULT now(),
    due_at timestamptz NOT NULL
);
CREATE INDEX account_deletions_due ON account_deletions (due_at);

-- What remains of a deleted account: an id unrelated to the account's, and two dates.
CREATE TABLE account_tombstones (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_created_on date NOT NULL,
    deleted_on date NOT NULL DEFAULT current_date
);

-- Security events (RISC) for an agency, about its pairwise subject; delivered later.
CREATE TABLE security_events (
    id bigserial PRIMARY KEY,
    client_id text NOT NULL REFERENCES agencies (client_id) ON DELETE CASCADE,
    event_type text NOT NULL,
    subject text NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    delivered_at timestamptz
);
CREATE INDEX security_events_pending ON security_events (client_id) WHERE delivered_at IS NULL;
