-- WebAuthn user handles and server-held keys for keyed hashes (backup codes).

-- The opaque handle an authenticator stores for the account: random, never the
-- account id or email, and the same for every credential the account registers.
CREATE TABLE webauthn_user_handles (
    account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    handle bytea NOT NULL UNIQUE
);

-- Random keys for keyed hashes, one per purpose, sealed with the master key.
CREATE TABLE hash_keys (
    purpose text PRIMARY KEY,
    sealed_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
