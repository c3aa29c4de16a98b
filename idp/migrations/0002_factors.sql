-- Second factors as their own rows, remembered browsers, lockout and deletion state.

CREATE TABLE totp_factors (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name text NOT NULL,
    secret bytea NOT NULL,           -- sealed with the master key
    last_step bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX totp_factors_account ON totp_factors (account_id);

INSERT INTO totp_factors (id, account_id, name, secret, last_step, created_at)
SELECT gen_random_uuid(), id, 'Authentication app', totp_secret, totp_last_step, created_at
FROM accounts WHERE totp_secret IS NOT NULL;

ALTER TABLE accounts DROP COLUMN totp_secret, DROP COLUMN totp_last_step;

CREATE TABLE webauthn_credentials (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name text NOT NULL,
    credential_id bytea NOT NULL UNIQUE,
    public_key bytea NOT NULL,
    sign_count bigint NOT NULL DEFAULT 0,
    transports text[] NOT NULL DEFAULT '{}',
    aaguid uuid,
    platform boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX webauthn_credentials_account ON webauthn_credentials (account_id);

CREATE TABLE backup_codes (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at timestamptz,
    PRIMARY KEY (account_id, code_hash)
);

CREATE TABLE remembered_browsers (
    token_hash bytea PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_agent text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX remembered_browsers_account ON remembered_browsers (account_id);

ALTER TABLE accounts
    ADD COLUMN factor_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN factor_locked_until timestamptz,
    ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();
