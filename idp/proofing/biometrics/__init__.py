"""The biometric lifecycle of proofing methods that compare faces by software.

- :mod:`.store`: the temporary, encrypted store for images a method holds between
  steps (a per-image key kept only in the method's sealed state; 15 minutes at most);
- :mod:`.receipts`: signed deletion receipts, one per deletion;
- :mod:`.lifecycle`: the purge of expired images, erasure at the person's request, and
  the audit;
- :mod:`.commands`: ``idp biometrics audit`` and ``idp biometrics purge``;
- :mod:`.views`: "Delete my biometric data" and the receipts, on the account page.

Images never reach the proofing record, the event log, logs or error reports, and the
database holds them only as ciphertext whose key is elsewhere.
"""
