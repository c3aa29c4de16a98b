-- The nonce check needs an index on the nonce alone. Led by client_id, the old index
-- also matched "code_hash = $1 AND client_id = $2", the code exchange's condition:
-- a generic plan made while the table was small could pick it over the primary key and
-- then read every code the agency ever had, on every exchange.
DROP INDEX authorization_codes_nonce;
CREATE INDEX authorization_codes_nonce ON authorization_codes (nonce);
