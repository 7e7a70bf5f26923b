"""Helpers for lookup tests: clients made through the services, then indexed."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

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


@pytest.fixture
def wire(engine: Engine) -> Iterator[Callable[[], Any]]:
    """``counting()``: a context yielding a dict that gets the block's round trips and statements, on
    fresh connections (``counting(fresh=False)``: on the connection the pool kept, as a console's next
    unit of work gets it)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("round trips are a PostgreSQL matter (SQLite runs in-process)")
    import psycopg

    trace = tempfile.TemporaryFile()  # noqa: SIM115 - closed when the fixture ends
    statements = [0]
    traced: list[Any] = []

    def start_trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        traced.append(dbapi_connection.pgconn)

    def count(*_args: Any) -> None:
        statements[0] += 1

    def round_trips() -> int:
        traced[:] = [pgconn for pgconn in traced if pgconn.status == psycopg.pq.ConnStatus.OK]
        for pgconn in traced:  # libpq buffers its trace: stopping writes it out; then trace on
            pgconn.untrace()
            pgconn.trace(trace.fileno())
            pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        trace.seek(0)
        return sum(1 for line in trace if b"\tReadyForQuery\t" in line)

    @contextmanager
    def counting(fresh: bool = True) -> Iterator[dict[str, int]]:
        if fresh:
            engine.dispose()  # fresh connections, each traced from its first message
        figures: dict[str, int] = {}
        before, executed = round_trips(), statements[0]
        yield figures
        figures["round trips"] = round_trips() - before
        figures["statements"] = statements[0] - executed

    event.listen(engine, "connect", start_trace)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counting
    finally:
        event.remove(engine, "connect", start_trace)
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
        trace.close()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
