"""Tickets: the operations that change them and the one read model that describes them.

What the faces call (``__all__``):

- ``create``: ``create_ticket`` (number, subject, first event, SLA clocks, audit) and
  ``create_tickets``, the same for many at once (the mail intake's groups); one is the other's case.
- ``changes``: ``update_ticket`` and its named uses (status, priority, queue, assignee, take, subject).
- ``texts``: ``add_note`` and ``reply_ticket`` (the reply's mail goes through the outbox).
- ``reads``/``read_model``/``queue_views``: ``TicketSummary``/``TicketDetail`` and their JSON, the
  listings and counts the console and ``tickets list|show`` show.
- ``vocabulary``: parsing priority and status names; the status lifecycle.

Every change takes the version the person saw (None: the system's own actors, cron and the mail
poller), refuses with ``Conflict`` when the ticket changed since, then bumps the version and records an
audit entry, in the caller's unit of work. The steps those operations are made of live in the private
modules (``_chronology``: adding an event, moving status; ``_guard``: the version check and audit;
``_numbering``): core services may use them (the mail intake does), faces may not — an import-linter
contract and tests/test_write_boundary.py refuse it.

Every function takes the process's ``SlaSetup`` (``sla=``) so the ticket's SLA clocks follow its life:
started on creation, paused while pending (when the policy says so), restarted when a client's reply
reopens it, and reconsidered when its priority or queue changes. Without one the ticket gets its clocks
at the next ``hotline escalate`` run, counted from its creation.
"""

from hotline.core.services.tickets._chronology import EventDraft as EventDraft  # for core services only
from hotline.core.services.tickets._chronology import WrittenEvent as WrittenEvent  # for core services only
from hotline.core.services.tickets._chronology import add_event as add_event  # for core services only
from hotline.core.services.tickets._chronology import add_events as add_events  # for core services only
from hotline.core.services.tickets.changes import (
    assign_ticket,
    change_priority,
    change_queue,
    change_status,
    change_subject,
    take_ticket,
    update_ticket,
)
from hotline.core.services.tickets.create import MAX_SUBJECT, TicketDraft, create_ticket, create_tickets
from hotline.core.services.tickets.delivery_state import delivery_fingerprint
from hotline.core.services.tickets.queue_views import (
    QueueCount,
    QueueListing,
    QueueView,
    queue_counts,
    queue_tickets,
)
from hotline.core.services.tickets.read_model import (
    AttachmentInfo,
    DeliveryInfo,
    EventLine,
    TicketDetail,
    TicketSummary,
)
from hotline.core.services.tickets.reads import (
    get_ticket,
    list_tickets,
    ticket_detail,
    ticket_events,
    ticket_stamp,
    ticket_summary,
    tickets_by_number,
)
from hotline.core.services.tickets.texts import add_note, reply_ticket
from hotline.core.services.tickets.vocabulary import (
    ALLOWED_TRANSITIONS,
    parse_priority,
    parse_status,
    statuses_after,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "MAX_SUBJECT",
    "AttachmentInfo",
    "DeliveryInfo",
    "EventLine",
    "QueueCount",
    "QueueListing",
    "QueueView",
    "TicketDetail",
    "TicketDraft",
    "TicketSummary",
    "add_note",
    "assign_ticket",
    "change_priority",
    "change_queue",
    "change_status",
    "change_subject",
    "create_ticket",
    "create_tickets",
    "delivery_fingerprint",
    "get_ticket",
    "list_tickets",
    "parse_priority",
    "parse_status",
    "queue_counts",
    "queue_tickets",
    "reply_ticket",
    "statuses_after",
    "take_ticket",
    "ticket_detail",
    "ticket_events",
    "ticket_stamp",
    "ticket_summary",
    "tickets_by_number",
    "update_ticket",
]
