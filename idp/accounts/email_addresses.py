"""An account's email addresses: add one (confirmed by an emailed link), make a
confirmed one primary, remove one.

``accounts.email`` is the primary address: the one used to sign in and the one mail
goes to. An account has at most :data:`MAX_ADDRESSES` addresses in all, counting the
primary and any waiting for confirmation. Functions run in the caller's transaction
and lock the account row first, so two requests cannot race past the limit or swap
at the same time.

Adding an address answers the same whether or not another account holds it: the
address is listed as waiting for confirmation either way, but a link is only mailed
when no other account holds it, and its owner is told nothing.

Exceptions::

    AddressNotFoundError      no such address on this account (any other id included)
    AddressNotConfirmedError  only a confirmed address can become primary
    WrongAccountLinkError     the link was sent for another account
    email_repository.AddressHeldError   another account took the address meanwhile
    email_links.LinkUsedError           the link was used, expired or withdrawn
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, cast

from werkzeug.datastructures import MultiDict

from idp.accounts import email_links, email_notices, forms, notices
from idp.accounts import email_repository as repository
from idp.accounts.email_links import Link, LinkState, LinkUsedError, Purpose
from idp.accounts.mail_requests import PER_ADDRESS, PER_ADDRESS_WINDOW
from idp.db import Connection
from idp.events import record_event
from idp.mail import outbox, queue_mail

MAX_ADDRESSES = 3
LINK_LIFETIME = 24 * 3600
CONFIRM_PATH = "/account/emails/confirm"
# The link purpose stored in ``email_tokens`` (allowed by migration 0008).
ADD_EMAIL = cast(Purpose, "add-email")

# Characters that separate or quote addresses in mail headers: an address holding one
# would be refused by the outbox, so it is refused here first.
_HEADER_SPECIALS = re.compile(r'[,;<>()\[\]\\"]')


class AddOutcome(Enum):
    REQUESTED = "requested"  # the same answer whether or not a link was mailed
    ALREADY_YOURS = "already-yours"
    LIMIT_REACHED = "limit-reached"


class AddressNotFoundError(LookupError):
    """No address with this id belongs to the account."""


class AddressNotConfirmedError(Exception):
    """The address is still waiting for its link to be opened."""


class WrongAccountLinkError(Exception):
    """The link confirms an address for a different account than the signed-in one."""


def read_address(form: MultiDict[str, str]) -> str | None:
    """The posted ``email`` if it is one plausible, mailable address, else ``None``."""
    address = forms.read_email(form)
    if address is None or _HEADER_SPECIALS.search(address):
        return None
    return address


def list_addresses(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    return repository.list_addresses(conn, account_id)


def add_address(conn: Connection, issuer: str, account_id: str, address: str) -> AddOutcome:
    """Add ``address`` as waiting for confirmation (or keep it so) and mail it a link
    unless another account holds it or it had enough mail this hour."""
    primary = _lock(conn, account_id)
    own = repository.find_own_by_address(conn, account_id, address)
    if primary.lower() == address.lower() or (own is not None and own["confirmed_at"]):
        return AddOutcome.ALREADY_YOURS
    if own is None:
        if len(repository.list_addresses(conn, account_id)) + 1 >= MAX_ADDRESSES:
            return AddOutcome.LIMIT_REACHED
        repository.insert_pending(conn, account_id, address)
    record_event(conn, "email.confirmation_requested", account_id=account_id)
    if repository.held_by_another(conn, account_id, address):
        return AddOutcome.REQUESTED
    if outbox.count_recent(conn, address, PER_ADDRESS_WINDOW) >= PER_ADDRESS:
        return AddOutcome.REQUESTED
    token = email_links.issue(conn, ADD_EMAIL, address, LINK_LIFETIME, account_id)
    subject, body = email_notices.confirm_address(notices.link(issuer, CONFIRM_PATH, token))
    queue_mail(conn, address, subject, body)
    return AddOutcome.REQUESTED


def confirm_address(conn: Connection, issuer: str, account_id: str, token: str) -> str:
    """Use up the link and confirm the address it was sent to; return the address."""
    link = email_links.consume_or_raise(conn, ADD_EMAIL, token)
    if link.account_id != account_id:
        raise WrongAccountLinkError
    primary = _lock(conn, account_id)
    if repository.confirm(conn, account_id, link.email) is None:
        own = repository.find_own_by_address(conn, account_id, link.email)
        if own is not None and own["confirmed_at"]:
            return str(own["address"])  # an earlier link confirmed it already
        raise LinkUsedError(Link(LinkState.EXPIRED))
    record_event(conn, "email.confirmed", account_id=account_id)
    subject, body = email_notices.address_added(issuer, link.email)
    queue_mail(conn, primary, subject, body)
    return link.email


def make_primary(conn: Connection, issuer: str, account_id: str, address_id: str) -> str:
    """Swap a confirmed address with the primary one, tell both; return the new one."""
    _lock(conn, account_id)
    row = repository.find_own(conn, account_id, address_id)
    if row is None:
        raise AddressNotFoundError(address_id)
    if row["confirmed_at"] is None:
        raise AddressNotConfirmedError(address_id)
    old, new = repository.swap_with_primary(conn, account_id, address_id)
    record_event(conn, "email.primary_changed", account_id=account_id)
    queue_mail(conn, old, *email_notices.primary_changed_from(issuer, new))
    queue_mail(conn, new, *email_notices.primary_changed_to(issuer))
    return new


def remove_address(conn: Connection, issuer: str, account_id: str, address_id: str) -> str:
    """Remove an additional address and withdraw any link sent to it; return it."""
    primary = _lock(conn, account_id)
    row = repository.find_own(conn, account_id, address_id)
    if row is None or repository.delete(conn, account_id, address_id) is None:
        raise AddressNotFoundError(address_id)
    address = str(row["address"])
    repository.revoke_links_to(conn, account_id, address)
    record_event(conn, "email.removed", account_id=account_id)
    if row["confirmed_at"] is not None:
        queue_mail(conn, primary, *email_notices.address_removed(issuer, address))
    return address


def _lock(conn: Connection, account_id: str) -> str:
    """Lock the account for this transaction and return its primary address."""
    account = repository.lock_account(conn, account_id)
    if account is None:
        raise AddressNotFoundError(account_id)
    return str(account["email"])
