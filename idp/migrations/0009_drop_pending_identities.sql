-- Verified identities go straight into the identity vault; the interim table that held
-- them sealed under the master key was never used once the vault existed.
DROP TABLE proofing_pending_identities;
