-- Browsers an account has fully signed in from (new ones trigger an email alert), and
-- sealed claims on codes and tokens.

CREATE TABLE known_devices (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    device_hash bytea NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, device_hash)
);

-- Verified claims released to an agency ride with the code and then the access token,
-- sealed under those secrets themselves (which are stored only as hashes): a database
-- dump cannot read them.
ALTER TABLE authorization_codes ADD COLUMN sealed_claims bytea;
ALTER TABLE access_tokens ADD COLUMN sealed_claims bytea;
