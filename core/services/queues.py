"""Ticket queues."""

from __future__ import annotations

import difflib
import unicodedata
from typing import TYPE_CHECKING

from sqlmodel import col, select

from hotline.core.authority import with_article
from hotline.core.errors import InvalidInput, NotFound
from hotline.core.models import Queue
from hotline.core.services.audit import record_audit, snapshot
from hotline.core.text import MAX_NOTES, checked_text, is_utf8_text, printable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hotline.core.db import UnitOfWork


NEW_QUEUES_LOCK = 0x71756573  # "ques": the advisory lock of making queues (PostgreSQL)
MAIL_DEFAULT_QUEUE = "Support"
"""A mail account's queue unless it names one (``[[mail.accounts]] queue``)."""


def get_queue(uow: UnitOfWork, *, name: str) -> Queue:
    """The queue of that exact name (as stored: without the spaces around it, as ``ensure_queue`` makes
    it); an unknown name is ``NotFound`` naming the close matches."""
    name = name.strip()  # ' Support ' was "no queue named 'Support'; did you mean 'Support'?"
    if is_utf8_text(name):
        name = unicodedata.normalize("NFC", name)  # «é» typed as e + U+0301 is the stored «é»
    else:  # sent to the database, it was a UnicodeEncodeError and its traceback
        raise NotFound(f"no queue named {name!r}: it is not UTF-8 text")
    queue = uow.session.exec(select(Queue).where(Queue.name == name)).first()
    if queue is None:
        names = queue_names(uow)
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5) or [
            known for known in names if known.casefold() == name.strip().casefold()
        ]
        hint = f"; did you mean {' or '.join(repr(known) for known in close)}?" if close else ""
        listed = f" (the queues are: {', '.join(names)})" if names and not close and len(names) <= 20 else ""
        raise NotFound(f"no queue named {printable(name)!r}{hint}{listed}")
    return queue


def check_mail_queues(uow: UnitOfWork, *, accounts: Sequence[tuple[str, str]], source: str) -> None:
    """``ConfigError`` for a mail account (name, queue) whose queue does not exist: the intake makes its
    account's queue on the first mail, so a typo became a queue of its own that nobody watched. The
    default (``MAIL_DEFAULT_QUEUE``, made on first use like the tickets' default) is not named."""
    from hotline.core.errors import ConfigError

    for index, (name, queue) in enumerate(accounts):
        if queue.strip() == MAIL_DEFAULT_QUEUE:
            continue
        try:
            get_queue(uow, name=queue)
        except NotFound as error:
            raise ConfigError(f"mail.accounts[{index}] ({name!r}): {error}", where=source) from None


def checked_queue_name(name: str) -> str:
    """A queue's name without the spaces around it; ``InvalidInput`` for one no queue can have (blank,
    a control character, over 100 characters): also what a mail account's ``queue`` is checked with."""
    name = name.strip()
    if not name:
        raise InvalidInput("a queue needs a name", where="queue")
    checked_text(name, what="a queue name", at_most=100, where="queue")
    return unicodedata.normalize("NFC", name)  # stored composed: «é» typed two ways is one queue


def ensure_queue(uow: UnitOfWork, *, name: str, description: str = "") -> Queue:
    """The queue of that name, created when missing (supervisors and admins, or the system)."""
    name = checked_queue_name(name)
    checked_text(
        description, what="a queue's description", at_most=MAX_NOTES, where="description", multiline=True
    )
    queue = uow.session.exec(select(Queue).where(Queue.name == name)).first()
    if queue is None:
        if not uow.may("queue.manage") and uow.actor is not None and uow.actor.active:
            # The operator asked for a ticket, not for a queue: say which queue is missing and who makes it
            # ("queue.manage needs supervisor or admin" was all an operator's first ticket said).
            uow.refuse(
                "queue.manage",
                f"no queue named {name!r} yet, and only a supervisor or an admin makes one "
                f"({uow.actor.login!r} is {with_article(uow.actor.role)})",
                entity="queue",
                entity_id=name,
                rule="role",
            )
        uow.authorize("queue.manage", entity="queue")
        made_meanwhile = _one_new_queue_at_a_time(uow, name)
        if made_meanwhile is not None:
            return made_meanwhile
        _refuse_a_look_alike(uow, name)
        queue = Queue(name=name, description=description)
        uow.session.add(queue)
        uow.session.flush()
        record_audit(uow, action="queue.create", entity="queue", entity_id=queue.id, after=snapshot(queue))
    return queue


def _one_new_queue_at_a_time(uow: UnitOfWork, name: str) -> Queue | None:
    """Wait for another new queue to commit (PostgreSQL: an advisory lock to the end of the transaction;
    SQLite's BEGIN IMMEDIATE queues writers already), then the queue of ``name`` if it made it: two at
    once both found none, and the second failed on the key or made a twin a letter's case apart."""
    if uow.session.get_bind().dialect.name != "postgresql":
        return None
    from sqlalchemy import text

    uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NEW_QUEUES_LOCK})
    return uow.session.exec(select(Queue).where(Queue.name == name)).first()


def _refuse_a_look_alike(uow: UnitOfWork, name: str) -> None:
    """``InvalidInput`` for a new queue a letter's case from an existing one: ``--new-queue support``
    beside ``Support`` made two queues that read as one (members, SLA policies and rules name one)."""
    folded = name.casefold()
    twin = next(
        (known for known in queue_names(uow) if unicodedata.normalize("NFC", known).casefold() == folded),
        None,
    )
    if twin is not None:
        raise InvalidInput(f"a queue named {twin!r} exists already: name it as it is written", where="queue")


def list_queues(uow: UnitOfWork) -> list[Queue]:
    return list(uow.session.exec(select(Queue).order_by(Queue.name)))


def queue_names(uow: UnitOfWork) -> list[str]:
    """Every queue's name, alphabetically (a picker's choices)."""
    return list(uow.session.exec(select(Queue.name).order_by(col(Queue.name))))
