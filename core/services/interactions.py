"""Calls, notes, meetings and emails on a client's timeline; reading the timeline page by page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import literal, union_all
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from hotline.core.attribution import Attribution
from hotline.core.errors import InvalidInput, NotFound
from hotline.core.models import CallRecord, Client, Interaction, Ticket, TicketEvent
from hotline.core.models.enums import Direction, InteractionKind
from hotline.core.rules.engine import conduct
from hotline.core.services.audit import audit_row, record_audit, snapshot
from hotline.core.services.call_records import link_logged_call, link_record, unlogged_call_of
from hotline.core.services.clients import get_client, last_interaction_moves, touch_last_interaction
from hotline.core.text import MAX_NOTES, checked_text, format_duration

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MAX_CALL_SECONDS = 24 * 3600


def log_interaction(
    uow: UnitOfWork,
    *,
    client_id: int,
    kind: InteractionKind,
    direction: Direction | None = None,
    started_at: datetime | None = None,
    duration_seconds: int | None = None,
    outcome: str | None = None,
    subject: str | None = None,
    notes: str = "",
    ticket_id: int | None = None,
    attribution: Attribution | None = None,
    link_pbx: bool = True,
) -> Interaction:
    """Record a call, note, meeting or email on a client's timeline (and on its ticket, if given);
    ``attribution``: the inquiry's source and campaign, checked by ``Attributions.resolve``.

    A call is tied to the PBX's record of it when there is one nobody logged yet (unless ``link_pbx``
    is off: the caller links it itself).

    On PostgreSQL the call is two statements (``_PostgresCallLog``): one reads the client, the operator
    and the PBX's record; one writes the interaction, its audit entry and the client's last-interaction
    time. The checks between them are the same as on SQLite, in the same order."""
    postgres = uow.session.get_bind().dialect.name == "postgresql"
    link_pbx = link_pbx and kind is InteractionKind.CALL
    now = uow.now()
    at = started_at or now
    fused = _PostgresCallLog.read(uow, client_id, at=at, link_pbx=link_pbx) if postgres else None
    client = fused.client if fused is not None else get_client(uow, client_id=client_id)
    # Who may, before what was given is checked: a deactivated operator is refused (and audited), not
    # told her duration is wrong. On PostgreSQL the read above brought the operator: no round trip.
    uow.authorize("interaction.write", entity="client", entity_id=client_id)
    if duration_seconds is not None and not 0 <= duration_seconds <= MAX_CALL_SECONDS:
        raise InvalidInput(f"duration must be between 0 and {MAX_CALL_SECONDS} seconds", where="duration")
    if kind is InteractionKind.NOTE and not notes.strip():
        raise InvalidInput("a note needs text", where="notes")
    checked_text(notes, what="a note", at_most=MAX_NOTES, where="notes", multiline=True)
    checked_text(outcome or "", what="an outcome", at_most=50, where="outcome")
    checked_text(subject or "", what="a subject", at_most=500, where="subject")
    actor = uow.actor
    interaction = Interaction(
        id=fused.interaction_id if fused is not None else None,
        client_id=client_id,
        kind=kind.value,
        direction=direction.value if direction else None,
        started_at=at,
        duration_seconds=duration_seconds,
        outcome=outcome,
        subject=subject,
        notes=notes,
        operator_id=actor.id if actor else None,
        ticket_id=ticket_id,
        created_at=now,
        source=attribution.source if attribution else None,
        campaign=attribution.campaign if attribution else None,
    )
    if fused is not None:
        fused.write(interaction)
    else:
        uow.session.add(interaction)
        uow.session.flush()
        touch_last_interaction(uow, client=client, at=interaction.started_at)
        record_audit(
            uow,
            action=f"interaction.{kind.value}",
            entity="interaction",
            entity_id=interaction.id,
            after=snapshot(interaction),
        )
    if kind is InteractionKind.CALL:
        if link_pbx:
            if fused is None:
                link_logged_call(uow, interaction=interaction)
            elif fused.pbx_record_id is not None:
                record = uow.session.get(CallRecord, fused.pbx_record_id)
                if record is not None:
                    link_record(uow, record, interaction)
        _conduct_call(uow, interaction)
    return interaction


@dataclass
class _PostgresCallLog:
    """A call (or note) logged on PostgreSQL in two statements where the ORM sends six: each is a round
    trip, through PgBouncer a millisecond and a wait for a core, and a call is logged after every call.

    The first reads the client, the acting operator (unless the unit has it already), the interaction's
    id from its sequence (so the audit entry can name it) and the PBX's unlogged record of the call.
    The second is one INSERT of the interaction with its audit entry and the client's last-interaction
    time in data-modifying CTEs: all three land together or not at all, as before."""

    uow: UnitOfWork
    client: Client
    interaction_id: int
    pbx_record_id: int | None

    @classmethod
    def read(cls, uow: UnitOfWork, client_id: int, *, at: datetime, link_pbx: bool) -> _PostgresCallLog:
        """The first statement; a client that does not exist is ``NotFound``, as ``get_client`` says."""
        from sqlalchemy import func, literal, true

        from hotline.core.models import Operator

        login = uow.actor_login
        load_actor = uow.actor_pending
        actor_row = select(Operator).where(Operator.login == login).subquery("acting") if load_actor else None
        acting = aliased(Operator, actor_row) if actor_row is not None else None
        pbx = (
            unlogged_call_of(client_id=client_id, login=login, started_at=at)
            .with_only_columns(col(CallRecord.id))
            .limit(1)
            .scalar_subquery()
            if link_pbx and login is not None
            else literal(None)
        )
        next_id = func.nextval(func.pg_get_serial_sequence("interaction", "id"))
        query = select(Client, next_id, pbx)
        if acting is not None:
            query = query.add_columns(acting).outerjoin(actor_row, true())
        row = uow.session.exec(query.where(Client.id == client_id)).first()  # type: ignore[call-overload]
        if row is None:
            raise NotFound(f"no client with id {client_id}")
        if acting is not None and row[3] is not None:
            uow.adopt_actor(row[3])
        return cls(uow=uow, client=row[0], interaction_id=int(row[1]), pbx_record_id=row[2])

    def write(self, interaction: Interaction) -> None:
        """The second statement; ``interaction`` then belongs to the session as if the ORM had written it."""
        from sqlalchemy import and_, insert, or_, update
        from sqlalchemy.orm import make_transient_to_detached
        from sqlalchemy.orm.attributes import set_committed_value

        from hotline.core.models import AuditEntry

        uow, client, at = self.uow, self.client, interaction.started_at
        audit = audit_row(  # checks the operator, as ``record_audit`` does
            uow,
            action=f"interaction.{interaction.kind}",
            entity="interaction",
            entity_id=interaction.id,
            after=snapshot(interaction),
        )
        table = Interaction.__table__  # type: ignore[attr-defined]
        values = {column.name: getattr(interaction, column.name) for column in table.columns}
        statement = insert(table).values(values)
        statement = statement.add_cte(
            insert(AuditEntry.__table__).values(audit).cte("call_audit")  # type: ignore[attr-defined]
        )
        moves = last_interaction_moves(client, at)
        if moves:  # the same rule again in SQL: another writer may have moved it since the read
            clients = Client.__table__  # type: ignore[attr-defined]
            touched = (
                update(clients)
                .where(
                    and_(
                        clients.c.id == client.id,
                        or_(clients.c.last_interaction_at.is_(None), clients.c.last_interaction_at < at),
                    )
                )
                .values(last_interaction_at=at)
                .cte("call_touch")
            )
            statement = statement.add_cte(touched)
        uow.session.execute(statement)
        if moves:  # written above: the session must not write it again
            set_committed_value(client, "last_interaction_at", at)
        make_transient_to_detached(interaction)
        uow.session.add(interaction)


def _conduct_call(uow: UnitOfWork, call: Interaction) -> None:
    """The event rules of ``call.logged`` (on the call's ticket, when it was logged on one)."""
    ticket = uow.session.get(Ticket, call.ticket_id) if call.ticket_id is not None else None
    extra = {"call.outcome": call.outcome or "", "call.direction": call.direction or ""}
    conduct(
        uow,
        "call.logged",
        ticket=ticket,
        client_id=call.client_id,
        channel="phone",
        body=call.notes,
        extra=extra,
    )


def log_call(
    uow: UnitOfWork,
    *,
    client_id: int,
    direction: Direction,
    duration_seconds: int | None,
    outcome: str | None,
    notes: str = "",
    started_at: datetime | None = None,
    ticket_id: int | None = None,
    attribution: Attribution | None = None,
) -> Interaction:
    """Log a phone call with its wrap-up code (and where the caller came from, when known)."""
    return log_interaction(
        uow,
        client_id=client_id,
        kind=InteractionKind.CALL,
        direction=direction,
        duration_seconds=duration_seconds,
        outcome=outcome,
        notes=notes,
        started_at=started_at,
        ticket_id=ticket_id,
        attribution=attribution,
    )


@dataclass(frozen=True)
class TimelineItem:
    """One line of a client's timeline: an interaction or an event of one of its tickets."""

    source: str  # "interaction" | "ticket_event"
    id: int
    at: datetime
    kind: str
    direction: str | None
    summary: str
    ticket_number: int | None
    pbx_duration_seconds: int | None = None
    """The talk time the PBX measured, for a call it recorded."""
    text: str = ""
    """The line's whole text (outcome, subject, every line of the body): the summary is cut to one line."""

    @property
    def unlogged(self) -> bool:
        """A call the PBX recorded that no operator has logged yet (a note logs it)."""
        return self.source == "call_record"


def timeline_page(
    uow: UnitOfWork, *, client_id: int, before: tuple[datetime, str, int] | None = None, limit: int = 50
) -> list[TimelineItem]:
    """The client's timeline, newest first, ``limit`` lines after the cursor ``before``.

    Keyset paging (at, source, id) keeps a client with 10,000 events as quick as one with ten.
    """
    interactions = select(
        literal("interaction").label("source"),
        col(Interaction.id).label("id"),
        col(Interaction.started_at).label("at"),
        col(Interaction.kind).label("kind"),
        col(Interaction.direction).label("direction"),
        col(Interaction.outcome).label("outcome"),
        col(Interaction.subject).label("subject"),
        col(Interaction.notes).label("body"),
        literal(None).label("ticket_number"),
        col(CallRecord.duration_seconds).label("pbx_duration"),
    ).outerjoin(CallRecord, col(CallRecord.interaction_id) == col(Interaction.id))
    interactions = interactions.where(Interaction.client_id == client_id)
    unlogged = select(
        literal("call_record").label("source"),
        col(CallRecord.id).label("id"),
        col(CallRecord.started_at).label("at"),
        literal(InteractionKind.CALL.value).label("kind"),
        col(CallRecord.direction).label("direction"),
        col(CallRecord.outcome).label("outcome"),
        literal(None).label("subject"),
        literal(None).label("body"),
        literal(None).label("ticket_number"),
        col(CallRecord.duration_seconds).label("pbx_duration"),
    ).where(
        CallRecord.client_id == client_id,
        CallRecord.state == "ended",
        col(CallRecord.interaction_id).is_(None),
    )
    events = (
        select(
            literal("ticket_event").label("source"),
            col(TicketEvent.id).label("id"),
            col(TicketEvent.created_at).label("at"),
            col(TicketEvent.kind).label("kind"),
            literal(None).label("direction"),
            literal(None).label("outcome"),
            col(Ticket.subject).label("subject"),
            col(TicketEvent.body).label("body"),
            col(Ticket.number).label("ticket_number"),
            literal(None).label("pbx_duration"),
        )
        .join(Ticket, col(Ticket.id) == col(TicketEvent.ticket_id))
        .where(Ticket.client_id == client_id)
    )
    merged = union_all(interactions, events, unlogged).subquery()
    query = select(merged)
    if before is not None:
        at, source, item_id = before
        query = query.where(
            (merged.c.at < at)
            | ((merged.c.at == at) & (merged.c.source < source))
            | ((merged.c.at == at) & (merged.c.source == source) & (merged.c.id < item_id))
        )
    query = query.order_by(merged.c.at.desc(), merged.c.source.desc(), merged.c.id.desc()).limit(limit)
    items = []
    for row in uow.session.execute(query):
        at = row.at if isinstance(row.at, datetime) else datetime.fromisoformat(str(row.at))
        from hotline.core.clock import as_utc

        items.append(
            TimelineItem(
                source=row.source,
                id=row.id,
                at=as_utc(at),
                kind=row.kind,
                direction=row.direction,
                summary=_summary(row.outcome, row.subject, row.body, row.pbx_duration, row.source),
                ticket_number=row.ticket_number,
                pbx_duration_seconds=row.pbx_duration,
                text="\n\n".join(
                    part for part in (row.outcome, row.subject, (row.body or "").strip()) if part
                ),
            )
        )
    return items


def _summary(
    outcome: str | None,
    subject: str | None,
    body: str | None,
    pbx_duration: int | None = None,
    source: str = "interaction",
) -> str:
    parts = [
        part
        for part in (
            "unlogged" if source == "call_record" else None,
            outcome,
            subject,
            (body or "").strip().splitlines()[0] if body and body.strip() else None,
            f"PBX {format_duration(pbx_duration)}" if pbx_duration is not None else None,
        )
        if part
    ]
    return " · ".join(parts)
