"""Proofing methods, one package each: its declaration and ``PLUGIN``, its adapters,
its templates and any pages of its own (see :mod:`idp.proofing.registry`)."""
