"""Address confirmation by mail: send a letter with a one-time code, then check a code.

Every letter is bound to the identity and address it was mailed for (``binding``, an
opaque string the method derives from both). Only the letters the proofing's state
names, for the same binding, can be confirmed; mailing a letter for another binding
voids every earlier unused one, so a code received for one identity can never verify
another.

:class:`LetterOffice` is the port; the method is given
:class:`idp.proofing.methods.document.letters.DatabaseLetterOffice` (letters stored for
the print vendor, on the service's transaction) and unit tests give it
:class:`FakeLetterOffice`.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from idp.proofing.protocol import PostalAddress


class LetterStatus(StrEnum):
    SENT = "sent"
    LIMIT_REACHED = "letter_limit"


class CodeStatus(StrEnum):
    VALID = "valid"
    WRONG = "code_wrong"
    EXPIRED = "code_expired"


@dataclass(frozen=True)
class SentLetter:
    """The result of a send: ``letter_id`` is set when ``status`` is SENT."""

    status: LetterStatus
    letter_id: str | None = None


class LetterOffice(abc.ABC):
    """Mails codes to one person's address and checks the codes they type."""

    @abc.abstractmethod
    def send(self, recipient: str, address: PostalAddress, binding: str) -> SentLetter:
        """Queue a letter with a new code, unless the person has had too many. Every
        earlier unused letter for another binding is voided."""

    @abc.abstractmethod
    def confirm(self, letter_ids: Sequence[str], binding: str, code: str) -> CodeStatus:
        """Whether ``code`` is the code of one of ``letter_ids``, mailed for ``binding``,
        unused, not voided and unexpired. A valid code uses up the person's letters."""

    @abc.abstractmethod
    def void_all(self) -> None:
        """Void every unused letter of this person (the proofing ended unfinished)."""


@dataclass
class _FakeLetter:
    letter_id: str
    recipient: str
    address: PostalAddress
    binding: str
    code: str
    void: bool = False


@dataclass
class FakeLetterOffice(LetterOffice):
    """Keeps letters in memory; the codes it issues are ``"ABCD-EFGH-J"`` plus a counter
    digit, and ``"EXPIRED"`` counts as an expired code."""

    limit: int = 4
    sent: list[_FakeLetter] = field(default_factory=list)

    def send(self, recipient: str, address: PostalAddress, binding: str) -> SentLetter:
        if len(self.sent) >= self.limit:
            return SentLetter(LetterStatus.LIMIT_REACHED)
        for letter in self.sent:
            letter.void = letter.void or letter.binding != binding
        letter_id = f"letter-{len(self.sent)}"
        code = f"ABCD-EFGH-J{len(self.sent)}"
        self.sent.append(_FakeLetter(letter_id, recipient, address, binding, code))
        return SentLetter(LetterStatus.SENT, letter_id)

    def confirm(self, letter_ids: Sequence[str], binding: str, code: str) -> CodeStatus:
        if code == "EXPIRED":
            return CodeStatus.EXPIRED
        for letter in self.sent:
            if (
                letter.letter_id in letter_ids
                and letter.binding == binding
                and not letter.void
                and letter.code == code
            ):
                for other in self.sent:
                    other.void = True
                return CodeStatus.VALID
        return CodeStatus.WRONG

    def void_all(self) -> None:
        for letter in self.sent:
            letter.void = True
