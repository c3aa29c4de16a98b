-- Accounts, agencies (OIDC clients), signing keys, codes, tokens, pairwise
-- identifiers, consents, browser sessions and the append-only event log.

CREATE TABLE accounts (
    id uuid PRIMARY KEY,
    email text NOT NULL,
    password_hash text NOT NULL,
    totp_secret bytea,               -- sealed with the master key
    totp_last_step bigint NOT NULL DEFAULT 0,
    confirmed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));

CREATE TABLE agencies (
    client_id text PRIMARY KEY,
    name text NOT NULL,
    redirect_uris text[] NOT NULL,
    post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
    token_endpoint_auth_method text NOT NULL
        CHECK (token_endpoint_auth_method IN ('private_key_jwt', 'none')),
    jwks jsonb,
    jwks_uri text,
    id_token_signed_response_alg text NOT NULL DEFAULT 'RS256'
        CHECK (id_token_signed_response_alg IN ('RS256', 'ES256')),
    default_ial smallint NOT NULL DEFAULT 1 CHECK (default_ial IN (1, 2)),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (token_endpoint_auth_method = 'none' OR jwks IS NOT NULL OR jwks_uri IS NOT NULL)
);

CREATE TABLE signing_keys (
    kid text PRIMARY KEY,
    alg text NOT NULL CHECK (alg IN ('RS256', 'ES256')),
    private_jwk bytea NOT NULL,      -- sealed with the master key
    public_jwk jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    activates_at timestamptz NOT NULL,
    retired_at timestamptz,          -- a newer key signs from here on
    unpublish_at timestamptz         -- every token it signed has expired by then
);

CREATE TABLE pairwise_subjects (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id text NOT NULL REFERENCES agencies (client_id) ON DELETE CASCADE,
    sub text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, client_id)
);

CREATE TABLE authorization_codes (
    code_hash bytea PRIMARY KEY,
    client_id text NOT NULL REFERENCES agencies (client_id) ON DELETE CASCADE,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    redirect_uri text NOT NULL,
    scope text NOT NULL,
    nonce text NOT NULL,
    code_challenge text NOT NULL,
    code_challenge_method text NOT NULL,
    acr text NOT NULL,
    amr text[] NOT NULL,
    auth_time timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX authorization_codes_nonce ON authorization_codes (client_id, nonce);

CREATE TABLE access_tokens (
    token_hash bytea PRIMARY KEY,
    code_hash bytea,
    client_id text NOT NULL REFERENCES agencies (client_id) ON DELETE CASCADE,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scope text NOT NULL,
    acr text NOT NULL,
    amr text[] NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX access_tokens_code ON access_tokens (code_hash);

CREATE TABLE client_assertion_jtis (
    client_id text NOT NULL,
    jti text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (client_id, jti)
);

CREATE TABLE consents (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id text NOT NULL REFERENCES agencies (client_id) ON DELETE CASCADE,
    scopes text[] NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    first_sign_in_at timestamptz,
    last_sign_in_at timestamptz,
    PRIMARY KEY (account_id, client_id)
);

CREATE TABLE browser_sessions (
    id_hash bytea PRIMARY KEY,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE TABLE events (
    id bigserial PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    account_id uuid,
    client_id text,
    kind text NOT NULL,
    ip inet,
    user_agent text,
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_account ON events (account_id, occurred_at);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only';
END;
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
