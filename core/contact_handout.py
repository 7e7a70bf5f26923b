"""Clients' contact points handed out to an operator's database role (PostgreSQL, migration 0021).

An operator's role reads phones and addresses (and their lookup index) only of the clients hotline has
handed to it in the last hour, at most its budget of clients an hour (``db grants --contact-budget``);
for the rest, row security shows it no rows. Hotline hands a client out where it shows its contact
points: a card (with the contact persons it lists), the lookup's lines and matches, the owners of a
number or an address, a reply's recipient. Supervisors, admins and the system account have no
budget. On SQLite (the file's permissions are the boundary) nothing here does anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from hotline.core.db import UnitOfWork

HANDS_OUT = "hotline.hands_out"
"""Set in a session's ``info`` by what hands contact points out: its read-only unit then commits."""

OVER_BUDGET = "HLB01"
NO_BUDGET_YET = "HLB03"
REFUSALS = frozenset({OVER_BUDGET, NO_BUDGET_YET})
"""The SQLSTATEs of 0021's functions: a refusal of the role, not a fault of the database."""

DEFAULT_BUDGET = 20_000
"""Clients an hour whose contact points an operator's role may be handed, unless ``db grants`` says
otherwise: a busy operator's lookups (up to 60 candidates' lines a keystroke) stay well below it."""

HANDOUT_FUNCTIONS = (
    "hotline_reads_unbounded()",
    "hotline_read_budget_ready(text)",
    "hotline_hand_out(integer[])",
    "hotline_hand_out_card(integer)",
    "hotline_handed_out(integer)",
    "hotline_phone_suffixes(text[])",
    "hotline_phone_range(text, text, integer)",
    "hotline_email_parts(text, text, integer)",
    "hotline_contact_lines(integer[])",
    "hotline_phone_owners(text[])",
    "hotline_email_owners(text[])",
)
"""0021's functions an operator's role executes (``db grants``); ``hotline_charge`` only through them."""

GATED_TABLES = ("client_phone", "client_email", "search_phone", "search_phone_owner", "search_email")
"""The tables under the policy ``hotline_handed_out`` once ``db grants`` has run."""


def hand_out(uow: UnitOfWork, client_ids: Iterable[int | None]) -> None:
    """Hand these clients' contact points to the acting role (charged to its budget where it has one)."""
    connection = uow.session.connection()
    if connection.dialect.name != "postgresql":
        return
    ids = sorted({int(client_id) for client_id in client_ids if client_id is not None})
    if ids:
        uow.session.info[HANDS_OUT] = True
        connection.execute(text("SELECT hotline_hand_out(CAST(:ids AS integer[]))"), {"ids": ids})


def hand_out_card(uow: UnitOfWork, client_id: int) -> None:
    """Hand out a card's client and the contact persons its card lists (the first 200 by name)."""
    from hotline.core.db import begin_with, driver_connection

    connection = uow.session.connection()
    if connection.dialect.name == "postgresql":
        uow.session.info[HANDS_OUT] = True
        # A card opens its unit of work: the hand-out rides with its BEGIN (no round trip of its own).
        statement = f"SELECT hotline_hand_out_card({int(client_id)})"
        if not begin_with(driver_connection(connection), statement):
            connection.exec_driver_sql(statement)


def make_budget_ready(connection: Connection, role: str | None = None) -> bool:
    """Make the budget of ``role`` (the acting one by default) where it has none yet; whether it was
    there already (committed). A budget made in a transaction must be committed before anything is
    handed out against it: made and rolled back with what was read, it would start afresh each time."""
    if connection.dialect.name != "postgresql":
        return True
    made = connection.execute(text("SELECT hotline_read_budget_ready(:role)"), {"role": role})
    return bool(made.scalar())


def refusal_of(error: BaseException) -> str | None:
    """The message of a refusal by 0021's functions or policy (``error`` or its cause), or None."""
    cause = getattr(error, "orig", None) or error
    if getattr(cause, "sqlstate", None) not in REFUSALS:
        return None
    diag = getattr(cause, "diag", None)
    return str(getattr(diag, "message_primary", None) or cause).strip()
