"""The assurance vocabulary: NIST 800-63 levels and Login.gov's ``acr_values`` aliases.

An agency asks with ``acr_values``; :func:`parse_acr_values` turns that into a
:class:`Requirement`, and :func:`achieved_acr` names what was actually reached, in the
vocabulary the agency used.
"""

from __future__ import annotations

from dataclasses import dataclass

NS = "http://idmanagement.gov/ns/assurance"
IAL1 = f"{NS}/ial/1"
IAL2 = f"{NS}/ial/2"
IAL2_BIO_PREFERRED = f"{NS}/ial/2?bio=preferred"
IAL2_BIO_REQUIRED = f"{NS}/ial/2?bio=required"
AAL2 = f"{NS}/aal/2"
AAL2_PHISHING_RESISTANT = f"{NS}/aal/2?phishing_resistant=true"
LG_AUTH_ONLY = "urn:acr.login.gov:auth-only"
LG_VERIFIED = "urn:acr.login.gov:verified"
LG_FACIAL_PREFERRED = "urn:acr.login.gov:verified-facial-match-preferred"
LG_FACIAL_REQUIRED = "urn:acr.login.gov:verified-facial-match-required"

# value -> (identity level, biometric wish)
_IDENTITY_VALUES = {
    IAL1: (1, "none"),
    IAL2: (2, "none"),
    IAL2_BIO_PREFERRED: (2, "preferred"),
    IAL2_BIO_REQUIRED: (2, "required"),
    LG_AUTH_ONLY: (1, "none"),
    LG_VERIFIED: (2, "none"),
    LG_FACIAL_PREFERRED: (2, "preferred"),
    LG_FACIAL_REQUIRED: (2, "required"),
}
_AUTHENTICATION_VALUES = {AAL2: False, AAL2_PHISHING_RESISTANT: True}
SUPPORTED_ACR_VALUES = (*_IDENTITY_VALUES, *_AUTHENTICATION_VALUES)
BIOMETRIC_REQUIRED_VALUES = frozenset({IAL2_BIO_REQUIRED, LG_FACIAL_REQUIRED})

_ACHIEVED = {
    ("nist", 1, "none"): IAL1,
    ("nist", 2, "none"): IAL2,
    ("nist", 2, "preferred"): IAL2_BIO_PREFERRED,
    ("nist", 2, "required"): IAL2_BIO_REQUIRED,
    ("login.gov", 1, "none"): LG_AUTH_ONLY,
    ("login.gov", 2, "none"): LG_VERIFIED,
    ("login.gov", 2, "preferred"): LG_FACIAL_PREFERRED,
    ("login.gov", 2, "required"): LG_FACIAL_REQUIRED,
}


class UnsupportedAcrError(ValueError):
    """None of the requested ``acr_values`` is one this provider knows."""


@dataclass(frozen=True)
class Requirement:
    """What an authorization request needs before a code may be issued."""

    ial: int = 1
    biometric: str = "none"  # "none", "preferred" or "required"
    aal: int = 1  # 2 when the agency named an AAL2 value explicitly
    phishing_resistant: bool = False
    vocabulary: str = "nist"  # which names to answer in: "nist" or "login.gov"


def parse_acr_values(acr_values: str | None, default_ial: int) -> Requirement:
    """Read ``acr_values`` as Login.gov does: unknown values are ignored, but at least
    one must be known. With no ``acr_values`` the agency's default level applies."""
    values = (acr_values or "").split()
    if not values:
        return Requirement(ial=default_ial)
    known = [v for v in values if v in SUPPORTED_ACR_VALUES]
    if not known:
        raise UnsupportedAcrError(acr_values)
    identity = [_IDENTITY_VALUES[v] for v in known if v in _IDENTITY_VALUES]
    # "none" < "preferred" < "required", so max() picks the strictest wish too.
    ial, biometric = max(identity, default=(default_ial, "none"))
    login_gov = any(v.startswith("urn:acr.login.gov:") for v in known)
    vocabulary = "login.gov" if login_gov else "nist"
    return Requirement(
        ial=ial,
        biometric=biometric,
        aal=2 if any(v in _AUTHENTICATION_VALUES for v in known) else 1,
        phishing_resistant=any(_AUTHENTICATION_VALUES.get(v, False) for v in known),
        vocabulary=vocabulary,
    )


def achieved_acr(requirement: Requirement, ial: int, biometric: str = "none") -> str:
    """The ``acr`` to report for an identity level reached by the person. Pass the
    agency's wish as ``biometric`` only when a face was in fact compared; otherwise
    the plain level is reported, never a biometric one."""
    return _ACHIEVED[(requirement.vocabulary, ial, biometric if ial > 1 else "none")]


def allows_remembered_browser(requirement: Requirement) -> bool:
    """A remembered browser may stand in for the second factor only at the default
    level: never for ``aal/2``, phishing resistance or a verified identity."""
    return requirement.aal < 2 and not requirement.phishing_resistant and requirement.ial < 2
