"""Framework-free building blocks for proofing identity from a document alone.

Each module turns untrusted input into a frozen value or a rejection carrying a
reason code; none of them raises for input that is merely bad:

- ``images``: checks an uploaded photo and returns a Pillow image.
- ``barcode``: finds and decodes the PDF417 barcode on the back of a licence.
- ``aamva``: parses the AAMVA payload of that barcode into ``LicenceData``.
- ``mrz``: validates and parses a passport's machine readable zone.
"""
