-- Each app's ceilings: the highest identity level (IAL) it may ask for, whatever its
-- acr_values say, and the scopes it may ask for. An app registered before this
-- migration keeps what its default level gave it and no more: an IAL1 app may ask for
-- openid and email; an IAL2 app also for the verified scopes. An operator raises a
-- ceiling with `idp clients add --max-ial 2 [--scopes ...]`.
ALTER TABLE agencies
    ADD COLUMN max_ial smallint NOT NULL DEFAULT 1 CHECK (max_ial IN (1, 2)),
    ADD COLUMN allowed_scopes text[] NOT NULL DEFAULT '{openid,email}'
        CHECK ('openid' = ANY (allowed_scopes));

UPDATE agencies SET
    max_ial = default_ial,
    allowed_scopes = CASE WHEN default_ial = 2
        THEN '{openid,email,profile,address,phone,birthdate}'::text[]
        ELSE '{openid,email}'::text[] END;

ALTER TABLE agencies ADD CONSTRAINT agencies_default_ial_within_max_ial
    CHECK (default_ial <= max_ial);
