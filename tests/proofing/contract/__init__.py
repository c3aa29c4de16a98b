"""Test-only proofing methods, registered through the ``proofing_methods`` setting with
no edit anywhere else: the contract that any new method can plug in this way."""
