"""Exactly once: whether a message was taken in before, and the record that makes a re-run a no-op.

A message was taken in before when its account + UIDVALIDITY + UID has a processed record (a re-poll,
or a crash after the commit and before the server was told), or when another delivery with its
Message-ID *and its content digest* has one (the same mail fetched twice, or sent to two accounts,
whatever Received headers the servers added), or when its Message-ID is one of our outbox's (our
own mail come back). The same Message-ID with other content is another message: real senders reuse
Message-IDs. Mail without a Message-ID is matched by its UID alone (``IncomingMail.sender_message_id``):
nothing else shows two such deliveries to be one, but after a UIDVALIDITY change its copies are
counted against the earlier generation's (``restored_copy``). A record from before digests (None) matches by
Message-ID alone, as it did then. The processed record is written with the ticket or event, in the
same transaction, so the two exist together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import case, func, insert, or_, text
from sqlmodel import col, select

from hotline.core.models import FailedMessage, OutboxMessage, ProcessedMessage

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MESSAGE_ID_LOCK = 0x6D61696C  # "mail": the advisory-lock namespace of incoming Message-IDs (PostgreSQL)
_UID_CHUNK = 500


@dataclass(frozen=True)
class EarlierDelivery:
    """A processed record that makes this message a duplicate."""

    ticket_id: int | None
    same_uid: bool
    """True: this very UID was recorded; False: its Message-ID was, under another UID or account."""


def earlier_delivery(
    uow: UnitOfWork,
    *,
    account: str,
    uidvalidity: int,
    uid: int,
    message_id: str | None,
    content_digest: str | None,
) -> EarlierDelivery | None:
    """The record of this message taken in before, if any (this UID's own record first).

    On PostgreSQL, two transactions taking in one Message-ID under different UIDs (overlapping runs,
    or two accounts given the same mail) queue here on an advisory lock held to the end of the
    transaction, so the second finds the first's record once it commits. SQLite has one writer at a
    time already.
    """
    session = uow.session
    if message_id and session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:message_id))"),
            {"namespace": MESSAGE_ID_LOCK, "message_id": message_id},
        )
    same_uid = (
        (ProcessedMessage.account == account)
        & (ProcessedMessage.uidvalidity == uidvalidity)
        & (ProcessedMessage.uid == uid)
    )
    same_content = col(ProcessedMessage.content_digest).is_(None)
    if content_digest is not None:
        same_content = same_content | (ProcessedMessage.content_digest == content_digest)
    same_message = (ProcessedMessage.message_id == message_id) & same_content
    by_message_id = case((same_uid, 0), else_=1)
    found = session.exec(  # one indexed query for both keys
        select(ProcessedMessage.ticket_id, by_message_id)
        .where(or_(same_uid, same_message) if message_id else same_uid)
        .order_by(by_message_id)
        .limit(1)
    ).first()
    if found is None:
        return our_own(uow, message_id)
    ticket_id, other_uid = found
    return EarlierDelivery(ticket_id=ticket_id, same_uid=not other_uid)


def restored_copy(
    uow: UnitOfWork, *, account: str, uidvalidity: int, message_id: str
) -> EarlierDelivery | None:
    """Mail without a Message-ID (``message_id`` is its stand-in, named by its content) is known by its
    UID alone, and a new UIDVALIDITY (the folder re-created or restored) renames every UID: a copy
    restored under the new one is a duplicate while an earlier generation of the account holds more
    deliveries of that content than this one has so far. Two alerts alike stay two, and one more alike
    that comes after the restore is a new alert."""
    counts = uow.session.exec(
        select(ProcessedMessage.uidvalidity, func.count(), func.max(ProcessedMessage.ticket_id))
        .where(ProcessedMessage.account == account, ProcessedMessage.message_id == message_id)
        .group_by(col(ProcessedMessage.uidvalidity))
    ).all()
    now = next((taken for generation, taken, _ in counts if generation == uidvalidity), 0)
    before = [(taken, ticket_id) for generation, taken, ticket_id in counts if generation != uidvalidity]
    taken, ticket_id = max(before, key=lambda item: item[0], default=(0, None))
    return EarlierDelivery(ticket_id=ticket_id, same_uid=False) if taken > now else None


def our_own(uow: UnitOfWork, message_id: str | None) -> EarlierDelivery | None:
    """Our own mail come back (a copy to the mailbox, a list or alias that includes it): its Message-ID
    is an outbox row's, and its ticket has it already. Taking it in again would add our words as the
    client's and reopen the ticket."""
    if not message_id:
        return None
    found = uow.session.exec(
        select(OutboxMessage.id, OutboxMessage.ticket_id).where(OutboxMessage.message_id == message_id)
    ).first()
    return EarlierDelivery(ticket_id=found[1], same_uid=False) if found is not None else None


def record_processed(
    uow: UnitOfWork,
    *,
    account: str,
    uidvalidity: int,
    uid: int,
    message_id: str | None,
    content_digest: str | None,
    ticket_id: int | None,
    event_id: int | None,
) -> None:
    """Record this UID as taken in; a plain insert, at once, so that a parallel run's record of the
    same UID makes this one fail here (``IntegrityError``) rather than at the commit."""
    record_processed_rows(
        uow,
        [
            processed_row(
                uow,
                account=account,
                uidvalidity=uidvalidity,
                uid=uid,
                message_id=message_id,
                content_digest=content_digest,
                ticket_id=ticket_id,
                event_id=event_id,
            )
        ],
    )


def processed_row(
    uow: UnitOfWork,
    *,
    account: str,
    uidvalidity: int,
    uid: int,
    message_id: str | None,
    content_digest: str | None,
    ticket_id: int | None,
    event_id: int | None,
) -> dict[str, object]:
    """A processed record as a row, for ``record_processed_rows``."""
    return {
        "account": account,
        "uidvalidity": uidvalidity,
        "uid": uid,
        "message_id": message_id,
        "content_digest": content_digest,
        "ticket_id": ticket_id,
        "event_id": event_id,
        "processed_at": uow.now(),
    }


def record_processed_rows(uow: UnitOfWork, rows: list[dict[str, object]]) -> None:
    """Write processed records (``processed_row``) in one statement, at once: a parallel run's record
    of one of the UIDs makes it fail here (``IntegrityError``)."""
    if rows:
        uow.session.execute(_INSERT_PROCESSED, rows)  # one compiled statement, the values as parameters


_INSERT_PROCESSED = insert(ProcessedMessage.__table__)  # type: ignore[attr-defined]


def already_processed(uow: UnitOfWork, *, account: str, uidvalidity: int, uids: list[int]) -> set[int]:
    """Which of these UIDs are recorded as processed or failed (a re-run only tells the server)."""
    taken, failed = recorded_uids(uow, account=account, uidvalidity=uidvalidity, uids=uids)
    return taken | failed


def recorded_uids(
    uow: UnitOfWork, *, account: str, uidvalidity: int, uids: list[int]
) -> tuple[set[int], set[int]]:
    """Which of these UIDs are recorded as taken in, and which as failed: a re-run tells the server of
    each as the run that recorded it would have (flag or move, or move to the failed folder)."""
    found: list[set[int]] = []
    for table in (ProcessedMessage, FailedMessage):
        done: set[int] = set()
        for start in range(0, len(uids), _UID_CHUNK):
            chunk = uids[start : start + _UID_CHUNK]
            done |= set(
                uow.session.exec(
                    select(table.uid).where(
                        table.account == account, table.uidvalidity == uidvalidity, col(table.uid).in_(chunk)
                    )
                )
            )
        found.append(done)
    return found[0], found[1]
