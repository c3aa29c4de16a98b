-- What `idp maintenance purge` looks for, and how an account's sessions are found when
-- they are all ended (a password change or reset, a deletion, "this wasn't me").

-- A session can no longer be used past its absolute lifetime or once idle too long.
CREATE INDEX browser_sessions_expires ON browser_sessions (expires_at);
CREATE INDEX browser_sessions_last_seen ON browser_sessions (last_seen_at);
-- Signed in as the account, or half-way signing in to it.
CREATE INDEX browser_sessions_account ON browser_sessions ((data ->> '_user_id'))
    WHERE data ->> '_user_id' IS NOT NULL;
CREATE INDEX browser_sessions_pending_account ON browser_sessions ((data ->> 'pending_account'))
    WHERE data ->> 'pending_account' IS NOT NULL;

CREATE INDEX remembered_browsers_expires ON remembered_browsers (expires_at);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);
CREATE INDEX client_assertion_jtis_expires ON client_assertion_jtis (expires_at);
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
