"""Helpers for lookup tests: clients made through the services, then indexed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from hotline.core.db import UnitOfWork
from hotline.core.models import Queue, Ticket
from hotline.core.search import reindex_clients
from hotline.core.services.clients import ClientDraft, create_client

AddClient = Callable[..., int]


@pytest.fixture
def add_client(uow_factory: Callable[..., UnitOfWork]) -> AddClient:
    """``add_client(first_name=..., phones=[...], ...)`` → the new client's id, committed and indexed."""

    def add(**fields: object) -> int:
        with uow_factory() as uow:
            client = create_client(uow, draft=ClientDraft(**fields), default_region="RU")
            reindex_clients(uow.session, [client.id])
            assert client.id is not None
            return client.id

    return add


@pytest.fixture
def add_ticket(uow_factory: Callable[..., UnitOfWork]) -> Callable[..., int]:
    """``add_ticket(number, client_id=None, status="open")`` → the ticket number."""

    def add(number: int, *, client_id: int | None = None, status: str = "open", subject: str = "Help") -> int:
        with uow_factory() as uow:
            queue = uow.session.get(Queue, 1) or Queue(id=1, name="Support")
            uow.session.add(queue)
            uow.session.flush()
            now = uow.now()
            uow.session.add(
                Ticket(
                    number=number,
                    subject=subject,
                    status=status,
                    queue_id=queue.id,
                    client_id=client_id,
                    created_at=now,
                    updated_at=now,
                )
            )
        return number

    return add


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
