"""What the rules look at: one event, its ticket and client, and its text, read once and kept current.

Ticket fields are read from the ticket each time (an earlier rule may have changed them); the words of
the subject and body are stemmed once per event, with the knowledge base's stemmer, so «роутер» in a
rule finds «роутера» in a message.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from hotline.core.kb.text import stems
from hotline.core.models import Client, ClientEmail, ClientGroup, Operator, Queue, Ticket
from hotline.core.text import printable

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork


_QUEUE_NAMES: weakref.WeakKeyDictionary[Any, dict[int, str]] = weakref.WeakKeyDictionary()
"""Queue names by engine and id: queues are never renamed or deleted, and the rules ask for the name of
the ticket's queue on every event."""


def queue_name(uow: UnitOfWork, queue_id: int) -> str | None:
    names = _QUEUE_NAMES.setdefault(uow.engine, {})
    name = names.get(queue_id)
    if name is None:
        queue = uow.session.get(Queue, queue_id)
        if queue is None:
            return None
        name = names[queue_id] = queue.name
    return name


@dataclass
class EventFacts:
    """An event as the rules see it."""

    uow: UnitOfWork
    event: str
    at: datetime
    ticket: Ticket | None = None
    client_id: int | None = None
    channel: str | None = None
    subject: str = ""
    body: str = ""
    sender: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    """Template fields only this event has (``mail.from``, ``call.outcome`` …)."""
    from_mail: bool = False
    """Raised by an incoming message (the mail intake): a mail the rules send is an automatic answer."""
    automated: str | None = None
    """That message's loop verdict (``IncomingMail.automated_kind``): None for a person's mail."""
    _rows: dict[tuple[type, int], Any] = field(default_factory=dict, repr=False)
    """Rows read for the rules, kept referenced (the session's identity map is weak, so a row nobody
    holds would be read again for every rule)."""

    def _row(self, model: type, key: int) -> Any:
        found = self._rows.get((model, key))
        if found is None:
            found = self._rows[(model, key)] = self.uow.session.get(model, key)
        return found

    @property
    def ticket_number(self) -> int | None:
        return self.ticket.number if self.ticket is not None else None

    @property
    def client(self) -> Client | None:
        client_id = self.ticket.client_id if self.ticket is not None else self.client_id
        return self._row(Client, client_id) if client_id is not None else None

    @property
    def queue_name(self) -> str | None:
        if self.ticket is None:
            return None
        return queue_name(self.uow, self.ticket.queue_id)

    @property
    def assignee_login(self) -> str | None:
        if self.ticket is None or self.ticket.assignee_id is None:
            return None
        operator = self._row(Operator, self.ticket.assignee_id)
        return operator.login if operator is not None else None

    @cached_property
    def client_group(self) -> str | None:
        client = self.client
        if client is None or client.group_id is None:
            return None
        group = self._row(ClientGroup, client.group_id)
        return group.name if group is not None else None

    @cached_property
    def contract_level(self) -> str | None:
        from hotline.core.services.contracts import contract_level_of

        client = self.client
        book = getattr(self.uow, "rules", None)  # the rule book carries the centre's zone
        zone = book.zone if book is not None else None
        return contract_level_of(self.uow, client.id, at=self.at, zone=zone) if client is not None else None

    @cached_property
    def client_email(self) -> str | None:
        client = self.client
        if client is None:
            return None
        from sqlmodel import select

        from hotline.core.contact_handout import hand_out

        hand_out(self.uow, [client.id])  # a rule reads it for the role that set it off (0021)
        return self.uow.session.exec(
            select(ClientEmail.address).where(ClientEmail.client_id == client.id).order_by(ClientEmail.id)
        ).first()

    @property
    def sender_domain(self) -> str | None:
        address = self.sender or (self.ticket.requester if self.ticket is not None else None)
        address = address or self.client_email
        if not address or "@" not in address:
            return None
        return address.rsplit("@", 1)[1].strip().lower()

    @property
    def tags(self) -> set[str]:
        found = set(self.ticket.tags or []) if self.ticket is not None else set()
        client = self.client
        if client is not None:
            found |= set(client.tags or [])
        return found

    @cached_property
    def subject_stems(self) -> frozenset[str]:
        text = self.subject or (self.ticket.subject if self.ticket is not None else "")
        return frozenset(stems(text))

    @cached_property
    def body_stems(self) -> frozenset[str]:
        return frozenset(stems(self.body))

    def template_values(self, rule_name: str) -> dict[str, str]:
        """Every field a template may name, as printable text (controls stripped)."""
        ticket, client = self.ticket, self.client
        values: dict[str, Any] = {"rule.name": rule_name, "event.name": self.event, **self.extra}
        if ticket is not None:
            values |= {
                "ticket.number": ticket.number,
                "ticket.subject": ticket.subject,
                "ticket.status": ticket.status,
                "ticket.priority": ticket.priority,
                "ticket.queue": self.queue_name,
                "ticket.assignee": self.assignee_login,
                "ticket.requester": ticket.requester,
                "ticket.tags": ", ".join(ticket.tags or []),
            }
        values |= {
            "client.name": client.name if client is not None else None,
            "client.email": self.client_email,
            "client.group": self.client_group,
            "client.contract": self.contract_level,
        }
        return {key: printable("" if value is None else str(value)) for key, value in values.items()}
