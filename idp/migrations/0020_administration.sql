-- Administration: agencies (the organisations that own apps), what the console sets on
-- each app, which agencies an agency administrator manages, proofing policy rules beyond
-- the list of methods (with a system administrator's written override), retention
-- settings, and the proofing agents' working hours.

-- An agency: its name, logo, the help text shown to people, and whom to contact.
-- ``contacts`` is a list of {"name", "email", "phone", "role"} (work contacts).
CREATE TABLE organizations (
    slug text PRIMARY KEY CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    logo_uri text,
    help_text text NOT NULL DEFAULT '',
    contacts jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Each app (the ``agencies`` table holds OIDC clients) may belong to an agency. Apps
-- registered before this migration belong to none until an administrator places them.
-- ``default_aal``: what authentication a request that names none gets (``default``: a
-- second factor, which a remembered browser may stand in for; ``aal2``: a second
-- factor used now; ``phishing_resistant``: a security key or passkey). An inactive app
-- can no longer sign anyone in.
ALTER TABLE agencies
    ADD COLUMN organization text REFERENCES organizations (slug) ON DELETE RESTRICT,
    ADD COLUMN default_aal text NOT NULL DEFAULT 'default'
        CHECK (default_aal IN ('default', 'aal2', 'phishing_resistant')),
    ADD COLUMN failure_uri text,
    ADD COLUMN backchannel_logout_uri text,
    ADD COLUMN active boolean NOT NULL DEFAULT true;
CREATE INDEX agencies_organization ON agencies (organization);

-- Agency administrators act only on the apps of the agencies listed here for them.
CREATE TABLE agency_admins (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    organization text NOT NULL REFERENCES organizations (slug) ON DELETE CASCADE,
    granted_by text NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, organization)
);

-- Proofing policy rules, per version: a face comparison the app needs (``required``:
-- only methods that compare a face reach its level; ``preferred``: those first), how
-- recent a verification must be (days; NULL: any), and whether a person whose method
-- failed may go on with another one. ``override_justification`` is set when a system
-- administrator saved a policy that leaves automated face recognition as the only way
-- to the app's level, with the reason they wrote.
ALTER TABLE proofing_policies
    ADD COLUMN face_comparison text NOT NULL DEFAULT 'none'
        CHECK (face_comparison IN ('none', 'preferred', 'required')),
    ADD COLUMN max_verification_days integer CHECK (max_verification_days > 0),
    ADD COLUMN switch_after_failure boolean NOT NULL DEFAULT true,
    ADD COLUMN override_justification text
        CHECK (override_justification IS NULL OR length(override_justification) >= 20);

-- How long things are kept, versioned (the newest row is in force; none: the defaults
-- in idp/admin/retention.py). Biometric images never outlive the decision by more
-- than 15 minutes.
CREATE TABLE retention_settings (
    version integer PRIMARY KEY CHECK (version > 0),
    abandoned_proofing_hours integer NOT NULL CHECK (abandoned_proofing_hours > 0),
    letter_days integer NOT NULL CHECK (letter_days > 0),
    event_log_days integer NOT NULL CHECK (event_log_days >= 365),
    tombstone_days integer NOT NULL CHECK (tombstone_days > 0),
    biometric_minutes integer NOT NULL CHECK (biometric_minutes BETWEEN 0 AND 15),
    changed_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- When each proofing agent or supervisor works, in a named time zone: the live-agent
-- queue can count the agents scheduled now for its wait estimate.
CREATE TABLE agent_working_hours (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    weekday smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),   -- 0 is Monday
    starts time NOT NULL,
    ends time NOT NULL,
    time_zone text NOT NULL,
    CHECK (ends > starts),
    PRIMARY KEY (account_id, weekday, starts)
);
