-- Additional email addresses of an account. accounts.email stays the primary one: the
-- address used to sign in and the one mail goes to.
--
-- An address is *held* by the account whose primary it is, or whose confirmed
-- additional address it is. At most one account holds an address, compared
-- case-insensitively. A pending (unconfirmed) address holds nothing, so no one can
-- block an address whose mail they cannot read; it may not repeat its own account's
-- addresses, and it cannot be confirmed while another account holds it.

CREATE TABLE account_emails (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    address text NOT NULL CHECK (length(address) BETWEEN 3 AND 254),
    confirmed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX account_emails_per_account ON account_emails (account_id, lower(address));
CREATE UNIQUE INDEX account_emails_confirmed ON account_emails (lower(address))
    WHERE confirmed_at IS NOT NULL;

-- The rule spans two tables, so two triggers check it. Both first take one
-- transaction-scoped lock per address, so that of two transactions claiming the same
-- address the second waits for the first to commit and then sees its row (each
-- statement of a trigger function reads the newest committed data).

CREATE FUNCTION lock_email_address(address text) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtextextended('email-address:' || lower(address), 0));
$$;

CREATE FUNCTION account_emails_not_held() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_email_address(NEW.address);
    IF EXISTS (
        SELECT 1 FROM accounts
        WHERE lower(email) = lower(NEW.address)
          AND (NEW.confirmed_at IS NOT NULL OR id = NEW.account_id)
    ) THEN
        RAISE EXCEPTION 'email address already held by an account'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'account_emails_not_held';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER account_emails_not_held
    BEFORE INSERT OR UPDATE OF address, confirmed_at, account_id ON account_emails
    FOR EACH ROW EXECUTE FUNCTION account_emails_not_held();

CREATE FUNCTION accounts_email_not_held() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_email_address(NEW.email);
    IF EXISTS (
        SELECT 1 FROM account_emails
        WHERE lower(address) = lower(NEW.email)
          AND (confirmed_at IS NOT NULL OR account_id = NEW.id)
    ) THEN
        RAISE EXCEPTION 'email address already held by an account'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'accounts_email_not_held';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER accounts_email_not_held
    BEFORE INSERT OR UPDATE OF email ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_email_not_held();

-- Links that confirm an added address.
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
    CHECK (purpose IN ('sign-up', 'password-reset', 'not-me', 'deletion', 'deletion-cancel',
                       'add-email'));
