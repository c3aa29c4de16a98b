"""The duplicate check: is this identity already verified into another account?

The service gives the method :class:`idp.proofing.fingerprints.DatabaseIdentityIndex`
(keyed-hash fingerprints); tests give it :class:`FakeIdentityIndex`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

from idp.proofing.base import VerifiedIdentity


class IdentityIndex(abc.ABC):
    """Knows which identities are verified, and into which accounts."""

    @abc.abstractmethod
    def claimed_elsewhere(self, identity: VerifiedIdentity) -> bool:
        """Whether the document, or the name with the birth date, belongs to another
        account already."""


@dataclass
class FakeIdentityIndex(IdentityIndex):
    """Claims nothing, except the document numbers in ``claimed``."""

    claimed: set[str] = field(default_factory=set)

    def claimed_elsewhere(self, identity: VerifiedIdentity) -> bool:
        return identity.document_number in self.claimed
