"""Keeping the video-call queue in order: dropping people whose page went silent,
putting back the calls of agents whose console went silent, ending calls left
undecided past their time and booked times long passed (:func:`tidy`); mailing the
reminders of booked calls (:func:`send_reminders`); and deleting ended calls
(:func:`purge`).

``tidy`` runs as people and agents ask for news (at most every few seconds per
process) and from ``idp agent reminders``, so it needs no cron of its own; the
reminders need that command run every few minutes.
"""

from __future__ import annotations

import time

from idp.db import Connection
from idp.mail.outbox import queue_mail
from idp.proofing.methods.agent import repository, slots
from idp.proofing.methods.agent.queue import (
    AGENT_SILENT_SECONDS,
    DECISION_GRACE_SECONDS,
    PERSON_SILENT_SECONDS,
)

TIDY_EVERY = 5.0
REMIND_BEFORE_SECONDS = 3600
ENDED_CALLS_DAYS = 7
_tidied_at = 0.0


def tidy(conn: Connection, force: bool = False) -> bool:
    """Tidy the queue, unless this process did so in the last :data:`TIDY_EVERY`
    seconds (``force`` tidies anyway); whether it ran."""
    global _tidied_at
    now = time.monotonic()
    if not force and now - _tidied_at < TIDY_EVERY:
        return False
    _tidied_at = now
    repository.reap(
        conn,
        person_silent=PERSON_SILENT_SECONDS,
        agent_silent=AGENT_SILENT_SECONDS,
        decision_grace=DECISION_GRACE_SECONDS,
        late=slots.LATE_MINUTES * 60,
    )
    return True


def send_reminders(conn: Connection, issuer: str) -> int:
    """Queue a reminder to everyone whose booked call starts within the hour and who
    was not reminded; how many. The mail says when, and links to the page to join."""
    due = repository.take_due_reminders(conn, REMIND_BEFORE_SECONDS)
    for call in due:
        when = slots.local(call["slot_at"])
        queue_mail(
            conn, call["email"], "Your video call to verify your identity", _text(when, issuer)
        )
    return len(due)


def _text(when: object, issuer: str) -> str:
    moment = f"{when:%A %B %-d at %-I:%M %p} {slots.TIMEZONE_NAME}"
    return (
        f"You booked a video call with an agent to verify your identity, on {moment}.\n\n"
        f"When it is time, sign in and join the call here:\n{issuer}/verify/step\n\n"
        "Have your driver's license, state ID or passport with you, and use a device with "
        "a camera and a microphone. The call is not recorded.\n\n"
        "If you did not book this call, you can ignore this message, or sign in and "
        "cancel it.\n"
    )


def purge(conn: Connection) -> int:
    """Delete calls that ended a week ago or more; how many went."""
    return repository.purge_ended(conn, ENDED_CALLS_DAYS)
