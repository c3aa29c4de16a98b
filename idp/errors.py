"""Pages for failures that are not the person's doing, and what the logs may say
about them.

A database error's message, detail and context can quote the values of the statement
that failed (an email address in a unique violation's ``DETAIL``, say), so a log line
about one names only its class and SQLSTATE. :func:`redact_database_errors` makes
sure of it for everything the app logs with a traceback.
"""

from __future__ import annotations

import itertools
import logging
import traceback

import psycopg
from flask import render_template

UNAVAILABLE_MESSAGE = (
    "We could not reach our records just now. Nothing was changed; please try again in a minute."
)


def unavailable_page() -> str:
    """The readable "service unavailable" page (status 503) shown when PostgreSQL is down."""
    return render_template("error.html", title="Service unavailable", message=UNAVAILABLE_MESSAGE)


def describe_error(error: BaseException) -> str:
    """What a log line may say about ``error``: a database error's class and SQLSTATE,
    any other exception's class and message."""
    if isinstance(error, psycopg.Error):
        return f"{type(error).__name__} (SQLSTATE {error.sqlstate or 'none'})"
    return "".join(traceback.format_exception_only(type(error), error)).strip()


_CAUSE = "\n\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\n\nDuring handling of the above exception, another exception occurred:\n\n"


def redacted_traceback(error: BaseException) -> str:
    """The traceback of ``error`` and of the exceptions it was raised from or while
    handling, as Python prints it, but each exception shown by :func:`describe_error`."""
    chain = _chain(error)
    text = _traceback_block(chain[-1])
    for newer, older in reversed(list(itertools.pairwise(chain))):
        text += (_CAUSE if newer.__cause__ is older else _CONTEXT) + _traceback_block(newer)
    return text


def _traceback_block(error: BaseException) -> str:
    frames = "".join(traceback.format_tb(error.__traceback__))
    return f"Traceback (most recent call last):\n{frames}{describe_error(error)}"


def _chain(error: BaseException) -> list[BaseException]:
    """``error``, then what it was raised from or while handling, and so on."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return chain


class DatabaseErrorRedaction(logging.Filter):
    """Rewrites a log record that would quote a database error: its traceback is
    replaced by :func:`redacted_traceback`, and a database error passed as an argument
    by :func:`describe_error`."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and any(isinstance(e, psycopg.Error) for e in _chain(error)):
            record.exc_info = None
            record.exc_text = redacted_traceback(error)
        if isinstance(record.msg, psycopg.Error):
            record.msg = describe_error(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                describe_error(arg) if isinstance(arg, psycopg.Error) else arg
                for arg in record.args
            )
        return True


def redact_database_errors(logger: logging.Logger) -> None:
    """Install :class:`DatabaseErrorRedaction` on ``logger`` (once).

    A logger's filters see only what is logged through it, not what its children pass
    up: install it on each logger that logs exceptions (the app's, for the 500 handler
    and Flask's own exception logging).
    """
    if not any(isinstance(f, DatabaseErrorRedaction) for f in logger.filters):
        logger.addFilter(DatabaseErrorRedaction())
