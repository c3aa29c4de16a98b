"""Address confirmation by mail: send a letter with a one-time code, then check a code.

:class:`LetterOffice` is the port the document method uses; the service gives it
:class:`idp.proofing.letters.DatabaseLetterOffice` (letters stored for the print
vendor) and tests give it :class:`FakeLetterOffice`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from enum import StrEnum

from idp.proofing.base import PostalAddress


class LetterStatus(StrEnum):
    SENT = "sent"
    LIMIT_REACHED = "letter_limit"


class CodeStatus(StrEnum):
    VALID = "valid"
    WRONG = "code_wrong"
    EXPIRED = "code_expired"


class LetterOffice(abc.ABC):
    """Mails codes to one person's address and checks the codes they type."""

    @abc.abstractmethod
    def send(self, recipient: str, address: PostalAddress) -> LetterStatus:
        """Queue a letter with a new code, unless the person has had too many."""

    @abc.abstractmethod
    def confirm(self, code: str) -> CodeStatus:
        """Whether ``code`` is one of this person's unexpired, unused codes."""


@dataclass
class FakeLetterOffice(LetterOffice):
    """Keeps letters in memory; every code it issues is ``"ABCD-EFGH-JK"`` plus a
    counter digit, and ``"EXPIRED"`` counts as an expired code."""

    limit: int = 4
    sent: list[tuple[str, PostalAddress, str]] = field(default_factory=list)

    def send(self, recipient: str, address: PostalAddress) -> LetterStatus:
        if len(self.sent) >= self.limit:
            return LetterStatus.LIMIT_REACHED
        self.sent.append((recipient, address, f"ABCD-EFGH-J{len(self.sent)}"))
        return LetterStatus.SENT

    def confirm(self, code: str) -> CodeStatus:
        if code == "EXPIRED":
            return CodeStatus.EXPIRED
        if any(code == issued for _, _, issued in self.sent):
            return CodeStatus.VALID
        return CodeStatus.WRONG
