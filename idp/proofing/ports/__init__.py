"""Ports to record-check systems outside the provider that more than one method may use
(the issuing source, death records, the address source), each with a real adapter and
a fake.

The fakes react to magic inputs (documented on each), so development, demos and tests
run without the real services. Adapters never raise for an expected failure: a record
that is not found, or a service that does not answer, is a result value.
"""
