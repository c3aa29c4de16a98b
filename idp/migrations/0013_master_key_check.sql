-- Which master key this database's sealed values were made under: an HMAC-SHA256 of a
-- fixed label under the key (its check value), never the key. The first process to
-- start with a key records it; every command and the server then refuse another key
-- instead of sealing new values under it. One row at most.
CREATE TABLE master_key_check (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    check_value bytea NOT NULL CHECK (octet_length(check_value) = 32),
    recorded_at timestamptz NOT NULL DEFAULT now()
);
