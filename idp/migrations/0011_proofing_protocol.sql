-- The proofing protocol: versioned per-app policies, staff roles, a compare-and-set
-- version and a status on proofings in progress, structured evidence on proofing
-- records, letters bound to the identity they were mailed for, and duplicate
-- identities keyed on a confirmed document together with its holder.

-- Policies are versioned: each change is a new row, and the newest row is in force.
-- ``methods`` is ordered: the first is offered first.
CREATE TABLE proofing_policies (
    client_id text NOT NULL REFERENCES agencies (client_id) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version > 0),
    methods text[] NOT NULL CHECK (cardinality(methods) > 0),
    changed_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, version)
);
INSERT INTO proofing_policies (client_id, version, methods, changed_by, created_at)
SELECT client_id, 1, methods, 'migration', updated_at
FROM agency_proofing_policies WHERE cardinality(methods) > 0;
DROP TABLE agency_proofing_policies;

-- Staff roles. Only accounts with a phishing-resistant factor may hold one (checked by
-- the service that grants them); revoking deletes the row, and the event log keeps
-- who granted and revoked what.
CREATE TABLE staff_roles (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role text NOT NULL
        CHECK (role IN ('agent', 'supervisor', 'agency_admin', 'system_admin')),
    granted_by text NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, role)
);

-- A proofing in progress: ``status`` says whose turn it is, ``version`` is bumped by
-- every persisted outcome (compare-and-set), and the policy and context it runs under.
ALTER TABLE proofing_progress
    ADD COLUMN status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'waiting')),
    ADD COLUMN version integer NOT NULL DEFAULT 0,
    ADD COLUMN policy_version integer,
    ADD COLUMN biometric text NOT NULL DEFAULT 'none'
        CHECK (biometric IN ('none', 'preferred', 'required')),
    ADD COLUMN poll_seconds integer;

-- Evidence as structured JSON: a list of {"type", "document_type", "check_methods",
-- "face_comparison"} objects (face_comparison: null, "software" or "person").
ALTER TABLE proofing_records
    ADD COLUMN evidence jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN policy_version integer;
UPDATE proofing_records r SET evidence = coalesce((
    SELECT jsonb_agg(jsonb_build_object(
        'type', split_part(e, ':', 1),
        'document_type', nullif(split_part(e, ':', 2), ''),
        'check_methods', to_jsonb(r.check_methods),
        'face_comparison', NULL))
    FROM unnest(r.evidence_types) AS e), '[]');
ALTER TABLE proofing_records DROP COLUMN evidence_types, DROP COLUMN check_methods;

-- A letter is bound to the identity and address it was mailed for (a keyed hash of
-- both); mailing for another identity voids every earlier unused letter.
ALTER TABLE proofing_letters
    ADD COLUMN binding bytea,
    ADD COLUMN voided_at timestamptz;
UPDATE proofing_letters SET voided_at = now() WHERE used_at IS NULL;

-- Duplicate identities: one keyed hash of a document confirmed by its issuer together
-- with the person it names. The old fingerprints (document alone, and name with birth
-- date alone) locked out people who share a name and birth date, and let whoever
-- claimed an identity first keep its owner out; they cannot be recomputed (the
-- identities are sealed in the vault), so they are dropped.
DROP TABLE identity_fingerprints;
CREATE TABLE duplicate_identities (
    identity_key bytea PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX duplicate_identities_account ON duplicate_identities (account_id);
