"""Export then import into an empty database gives back the same clients, in every format, on both backends.

Any set of clients: people sharing phones, organisations with their contacts, every field, hostile text
(formula signs, quotes, delimiters, apostrophes, newlines in notes, control and bidi characters as the
import stores them).
"""

from __future__ import annotations

import io
import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from hotline.core.exporting import export_clients
from hotline.core.importing.drafts import clean_text
from hotline.core.importing.service import ImportOptions, import_clients
from hotline.core.search.schema import TABLES as SEARCH_TABLES
from hotline.core.services.clients import ClientDraft, create_client

HOSTILE = ["=1+2", "'=x", "''@y", '"quoted", ;', "-5", "+7 900", " lead ", "Ёжик\tи", "\u202eevil", "\x1b[2J",
           "a\r\nb", "@SUM(A1)", "'", "\"", ";", "", "x,y"]  # fmt: skip
free_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(codec="utf-8", exclude_characters="№", exclude_categories=("Cs",)), max_size=12),
)
PHONES = ["+7 495 100-00-00", "+7 916 000-00-01", "+44 20 7946 0958"]
GROUPS = ["VIP", "Опт", "=Формула", "'@x"]
LOCAL_PARTS = ["a", "o'brien", "x+y"]
TAGS = ["vip", "опт", "=sum", "'+x", "a b"]


def _line(value: str) -> str | None:
    return clean_text(value)[:80] or None


@st.composite
def client_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Organisations first, then people (some of them at an organisation), as ``create_client`` takes them."""
    clients: list[dict[str, Any]] = []
    organisations = draw(st.integers(0, 2))
    people = draw(st.integers(1, 5))
    for index in range(organisations + people):
        organisation = index < organisations
        name = clean_text(f"{draw(free_text)} №{index}")
        clients.append(
            {
                "kind": "organisation" if organisation else "person",
                "name": name,
                "first_name": None if organisation else _line(draw(free_text)),
                "last_name": None if organisation else _line(draw(free_text)),
                "middle_name": None if organisation else _line(draw(free_text)),
                "organisation": draw(st.none() | st.integers(0, organisations - 1))
                if organisations and not organisation
                else None,
                "phones": draw(st.lists(st.sampled_from(PHONES), unique=True, max_size=2)),
                "emails": [f"{draw(st.sampled_from(LOCAL_PARTS))}.{index}@example.ru"]
                if draw(st.booleans())
                else [],
                "group": draw(st.none() | st.sampled_from(GROUPS)),
                "birthday": draw(st.none() | st.dates(date(1900, 1, 1), date(2020, 12, 31))),
                "notes": clean_text(draw(free_text) + "\n" + draw(free_text), multiline=True),
                "tags": draw(st.lists(st.sampled_from(TAGS), unique=True, max_size=3)),
            }
        )
    return clients


def wipe(engine) -> None:
    with engine.begin() as connection:
        for table in (*SEARCH_TABLES, "client_email", "client_phone"):  # the audit trail is append-only
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("UPDATE client SET organisation_id = NULL"))
        connection.execute(text("DELETE FROM client"))
        connection.execute(text("DELETE FROM client_group"))


def load(uow_factory, clients: list[dict[str, Any]]) -> None:
    ids: list[int] = []
    with uow_factory() as uow:
        for client in clients:
            values = dict(client)
            organisation = values.pop("organisation")
            values["organisation_id"] = ids[organisation] if organisation is not None else None
            ids.append(create_client(uow, draft=ClientDraft(**values), default_region="RU").id)


def export(uow_factory, fmt: str) -> bytes:
    stream: Any = io.BytesIO() if fmt == "xlsx" else io.StringIO()
    with uow_factory(readonly=True) as uow:
        export_clients(uow, fmt=fmt, stream=stream)
    value = stream.getvalue()
    return value if isinstance(value, bytes) else value.encode("utf-8")


def comparable(exported_json: bytes) -> list[dict[str, Any]]:
    """The exported clients without their ids (and their organisation's, named by name), in name order;
    phones whole (as typed, E.164, label)."""
    clients = json.loads(exported_json)
    for client in clients:
        del client["id"], client["organisation_id"]
    return sorted(clients, key=lambda client: client["name"])


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(clients=client_sets())
def test_export_then_import_gives_back_the_same_clients(engine, uow_factory, clients) -> None:
    wipe(engine)
    load(uow_factory, clients)
    expected = comparable(export(uow_factory, "json"))
    assert len(expected) == len(clients)
    files = {fmt: export(uow_factory, fmt) for fmt in ("csv", "xlsx", "json")}
    with tempfile.TemporaryDirectory() as folder:
        for fmt, content in files.items():
            wipe(engine)
            path = Path(folder) / f"clients.{fmt}"
            path.write_bytes(content)
            with uow_factory() as uow:
                outcome = import_clients(uow, path=path, options=ImportOptions(default_region="RU"))
            assert outcome.counts["created"] == len(clients), (fmt, outcome.as_json())
            assert comparable(export(uow_factory, "json")) == expected, fmt
