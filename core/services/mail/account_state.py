"""Where the poll of each account got to: its folder's UIDVALIDITY and the last UID taken in.

The poller asks only for UIDs above the last one; a new UIDVALIDITY (the folder was re-created) starts
the count again, and Message-IDs keep the old mail from coming in twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select

from hotline.core.models import MailAccountState
from hotline.core.services.audit import record_audit

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


@dataclass(frozen=True)
class AccountState:
    """The stored position of one account; ``uidvalidity`` None before its first poll."""

    uidvalidity: int | None
    last_uid: int


def account_state(uow: UnitOfWork, *, account: str) -> AccountState:
    """Where the last poll of ``account`` got to."""
    row = uow.session.exec(select(MailAccountState).where(MailAccountState.account == account)).first()
    if row is None:
        return AccountState(uidvalidity=None, last_uid=0)
    return AccountState(uidvalidity=row.uidvalidity, last_uid=row.last_uid)


def save_account_state(uow: UnitOfWork, *, account: str, uidvalidity: int, last_uid: int) -> None:
    """Remember where the poll got to; a new UIDVALIDITY starts the count again (never goes back
    within one UIDVALIDITY, so two overlapping runs cannot move it backwards)."""
    session = uow.session
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(  # two first runs at once: one row, no unique-key failure
        insert(MailAccountState)
        .values(account=account, uidvalidity=uidvalidity, last_uid=last_uid, updated_at=uow.now())
        .on_conflict_do_nothing(index_elements=["account"])
    )
    row = session.exec(
        select(MailAccountState).where(MailAccountState.account == account).with_for_update()
    ).one()
    session.refresh(row)
    if row.uidvalidity is None:
        row.uidvalidity = uidvalidity
    elif row.uidvalidity != uidvalidity:
        record_audit(
            uow,
            action="mail.uidvalidity_changed",
            entity="mail_account_state",
            entity_id=account,
            before={"uidvalidity": row.uidvalidity, "last_uid": row.last_uid},
            after={"uidvalidity": uidvalidity, "last_uid": last_uid},
        )
        row.uidvalidity = uidvalidity
        row.last_uid = last_uid
    else:
        row.last_uid = max(row.last_uid, last_uid)
    row.updated_at = uow.now()
    session.add(row)
