-- The biometric lifecycle of methods that compare faces by software, and consents on
-- proofing records.

-- Images a proofing holds between two of its steps (the photo of an ID whose portrait
-- is compared with a selfie later), each AES-256-GCM ciphertext under its own random
-- key. The key is never here: it lives only in the proofing's sealed state, so
-- deleting this row or that state erases the image. A row lives at most until
-- ``expires_at`` (15 minutes), and is deleted at the decision, when the proofing is
-- cancelled or expires, and when the person asks.
CREATE TABLE biometric_artefacts (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    method text NOT NULL,
    kind text NOT NULL,
    ciphertext bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL CHECK (expires_at > created_at)
);
CREATE INDEX biometric_artefacts_account ON biometric_artefacts (account_id, method);
CREATE INDEX biometric_artefacts_expires ON biometric_artefacts (expires_at);

-- One receipt per deletion: what was deleted (kinds and counts, never content), when
-- and why, as a JWT signed with the provider's signing key, for the person to keep.
CREATE TABLE biometric_deletion_receipts (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    method text,
    reason text NOT NULL CHECK (reason IN ('decision', 'ended', 'expired', 'request')),
    deleted jsonb NOT NULL,
    deleted_at timestamptz NOT NULL,
    token text NOT NULL
);
CREATE INDEX biometric_deletion_receipts_account
    ON biometric_deletion_receipts (account_id, deleted_at);

-- What the person agreed to during proofing, beyond the general consent: a list of
-- {"method", "subject", "version", "sha256", "at"} objects, the version and hash naming
-- the exact text shown.
ALTER TABLE proofing_records ADD COLUMN consents jsonb NOT NULL DEFAULT '[]';
