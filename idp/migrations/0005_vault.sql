-- The identity vault: a person's verified attributes, encrypted under a random data
-- key. The data key is wrapped under a key derived from the password and under one
-- derived from the personal key, and each wrap is sealed again with the master key.
-- Nothing here opens without the master key and the password or the personal key.

CREATE TABLE identity_vaults (
    account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    format smallint NOT NULL,        -- cipher and KDF parameters; bound into every blob
    attributes bytea NOT NULL,       -- AES-256-GCM under the data key
    password_wrap bytea,             -- sealed; NULL while sealed after a password reset
    personal_key_wrap bytea NOT NULL, -- sealed
    -- Wrong personal keys: counted per window so that 80 bits cannot be guessed online.
    personal_key_failures integer NOT NULL DEFAULT 0,
    personal_key_failures_since timestamptz,
    personal_key_locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
