-- Identity proofing: agency policies, in-progress proofing (sealed), per-step attempt
-- counts, one proofing record per person, identity fingerprints for the duplicate check,
-- address-confirmation letters, and verified identities waiting for the vault.
-- No table holds personal data in clear: it is sealed under the master key or keyed-hashed.

-- Which proofing methods an agency accepts. No row means every method.
CREATE TABLE agency_proofing_policies (
    client_id text PRIMARY KEY REFERENCES agencies (client_id) ON DELETE CASCADE,
    methods text[] NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One proofing in progress per account. ``sealed_state`` is the method's state (which
-- may hold what was read from a document), sealed with the master key; it is deleted
-- when the proofing ends or expires.
CREATE TABLE proofing_progress (
    account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    method text,
    step text,
    sealed_state bytea,
    resume_url text,
    client_id text,
    consented_at timestamptz,
    started_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- One row per submitted step, for per-step rate limits.
CREATE TABLE proofing_attempts (
    id bigserial PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    method text NOT NULL,
    step text NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proofing_attempts_window ON proofing_attempts (account_id, method, step, attempted_at);

-- The proofing record of a person: what was tried and what it reached. Never images,
-- never document contents.
CREATE TABLE proofing_records (
    account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    methods_tried text[] NOT NULL DEFAULT '{}',
    evidence_types text[] NOT NULL DEFAULT '{}',
    check_methods text[] NOT NULL DEFAULT '{}',
    outcome text NOT NULL CHECK (outcome IN ('pending', 'verified', 'rejected')),
    reasons text[] NOT NULL DEFAULT '{}',
    level smallint NOT NULL DEFAULT 1 CHECK (level IN (1, 2)),
    verified_method text,
    vendor_reference text,
    verified_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- HMAC fingerprints of verified identities (document number; name and birth date), so
-- one identity cannot be verified into two accounts without review.
CREATE TABLE identity_fingerprints (
    kind text NOT NULL CHECK (kind IN ('document', 'person')),
    fingerprint bytea NOT NULL,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, fingerprint)
);
CREATE INDEX identity_fingerprints_account ON identity_fingerprints (account_id);

-- Letters with a one-time code, mailed to a verified address. The code is kept only as
-- a keyed hash; ``sealed_print`` (address and code, for the print vendor) is sealed and
-- erased once the letter has been exported.
CREATE TABLE proofing_letters (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    sealed_print bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    exported_at timestamptz,
    used_at timestamptz
);
CREATE INDEX proofing_letters_account ON proofing_letters (account_id, created_at);
CREATE INDEX proofing_letters_unexported ON proofing_letters (created_at) WHERE exported_at IS NULL;

-- Verified attributes waiting for the vault (used only while the vault is not
-- installed): sealed under the master key, with a recovery copy sealed under a key
-- derived from the person's personal key.
CREATE TABLE proofing_pending_identities (
    account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    sealed_attributes bytea NOT NULL,
    recovery_salt bytea NOT NULL,
    recovery_attributes bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
