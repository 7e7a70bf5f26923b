"""Export on SQLite and PostgreSQL: formats, paging, formula neutralising, admin only, audit, round trip."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from hotline.core.errors import PermissionDenied
from hotline.core.exporting import CSV_COLUMNS, export_clients, iter_clients, neutralise, record_export
from hotline.core.importing.service import ImportOptions, import_clients
from hotline.core.models import AuditEntry
from hotline.core.models.enums import ClientKind, Role
from hotline.core.search.schema import TABLES as SEARCH_TABLES
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.operators import add_operator

TRICKY_NAMES = ['=HYPERLINK("http://evil.example","click")', "+1 trick", "-minus", "@at", "\tTabbed"]


@pytest.fixture
def clients(uow_factory) -> list[int]:
    """A small hand-made client base with every awkward value an export must survive."""
    with uow_factory() as uow:
        add_operator(uow, login="root", role=Role.ADMIN)
        add_operator(uow, login="olga", role=Role.OPERATOR)
        org = create_client(
            uow,
            draft=ClientDraft(
                kind=ClientKind.ORGANISATION, name="ООО «Ромашка»; филиал", phones=["+7 495 111-22-33"]
            ),
            default_region="RU",
        )
        ids = [org.id]
        ids.append(
            create_client(
                uow,
                draft=ClientDraft(
                    first_name="Иван", middle_name="Иванович", last_name="Иванов", organisation_id=org.id,
                    group="VIP", birthday=date(1980, 1, 15), notes='первая строка\nвторая "в кавычках", с запятой',
                    tags=["опт", "vip"],
                    phones=["8 (916) 123-45-67", "8 (495) 765-43-21 доб. 123"],
                    emails=["ivan@example.ru", "i.ivanov@example.com"], source="TV", campaign="TV-NOV",
                ), default_region="RU",
            ).id
        )  # fmt: skip
        for index, name in enumerate(TRICKY_NAMES):
            draft = ClientDraft(
                name=name.strip(), phones=[f"+44 20 7946 {index:04d}"], notes="=1+1" if index == 0 else ""
            )
            ids.append(create_client(uow, draft=draft, default_region="RU").id)
        ids.append(create_client(uow, draft=ClientDraft(name="Без Контактов"), default_region="RU").id)
        # Two organisations of one name, each with a person; the second's person exported before it.
        first = create_client(
            uow, draft=ClientDraft(kind=ClientKind.ORGANISATION, name="Twin Org"), default_region="RU"
        )
        peter = ClientDraft(name="Пётр Первый", organisation_id=first.id, phones=["+7 916 000-00-01"])
        pavel = ClientDraft(name="Павел Второй", phones=["+7 916 000-00-02"])
        ids += [first.id, create_client(uow, draft=peter, default_region="RU").id]
        ids.append(create_client(uow, draft=pavel, default_region="RU").id)
        second = create_client(
            uow, draft=ClientDraft(kind=ClientKind.ORGANISATION, name="Twin Org"), default_region="RU"
        )
        ids.append(second.id)
        uow.session.execute(
            text("UPDATE client SET organisation_id = :o WHERE id = :p"), {"o": second.id, "p": ids[-2]}
        )
        run = uow.session.execute
        run(text("UPDATE client_phone SET label = 'мобильный' WHERE e164 = '+79161234567'"))
        run(text("UPDATE client_group SET colour = '#ff0000', contract_level = 'gold' WHERE name = 'VIP'"))
        olga = run(text("SELECT id FROM operator WHERE login = 'olga'")).scalar_one()
        run(text("UPDATE client SET owner_id = NULL"))  # nobody's, but Ivan: Olga's since 2020
        run(
            text("UPDATE client SET owner_id = :olga, created_at = :then WHERE id = :ivan"),
            {"olga": olga, "then": datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC), "ivan": ids[1]},
        )
    return ids


def export_text(uow_factory, fmt: str, login: str = "root") -> str:
    stream = io.StringIO()
    with uow_factory(actor_login=login, readonly=True) as uow:
        export_clients(uow, fmt=fmt, stream=stream)
    return stream.getvalue()


def comparable(exported: list[dict]) -> list[dict]:
    """Exported clients without what a re-import legitimately changes (ids)."""
    out = []
    for item in exported:
        item = {key: value for key, value in item.items() if key not in ("id", "organisation_id")}
        out.append(item)
    return sorted(out, key=lambda item: item["name"])


def test_iter_clients_pages_keep_contacts_with_their_client(engine, uow_factory, clients) -> None:
    with engine.connect() as connection:
        paged = list(iter_clients(connection, page_size=2))
        whole = list(iter_clients(connection, page_size=1000))
    assert [c.id for c in paged] == sorted(clients)
    assert [c.as_json() for c in paged] == [c.as_json() for c in whole]
    ivan = next(c for c in paged if c.last_name == "Иванов")
    assert [e164 for _, e164, _ in ivan.phones] == ["+79161234567", "+74957654321"]
    assert ivan.organisation == "ООО «Ромашка»; филиал"
    assert ivan.group == "VIP"


def test_csv_neutralises_formulas_and_json_keeps_them_verbatim(engine, uow_factory, clients) -> None:
    rows = list(csv.reader(io.StringIO(export_text(uow_factory, "csv"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    names = [row[2] for row in rows[1:]]
    for name in TRICKY_NAMES:
        assert neutralise(name.strip()) in names
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows[1:] for cell in row)
    assert "'=1+1" in [row[11] for row in rows[1:]]
    data = json.loads(export_text(uow_factory, "json"))
    assert len(data) == len(clients)
    assert TRICKY_NAMES[0] in [item["name"] for item in data]


def test_xlsx_cells_are_text_never_formulas(engine, uow_factory, clients, tmp_path) -> None:
    path = tmp_path / "clients.xlsx"
    with path.open("wb") as stream, uow_factory(actor_login="root", readonly=True) as uow:
        assert export_clients(uow, fmt="xlsx", stream=stream) == len(clients)
    sheet = load_workbook(path).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert TRICKY_NAMES[0] in [cell.value for cell in cells]


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
@pytest.mark.parametrize("stage_from", [2000, 1], ids=["direct", "staged"])
def test_export_imports_back_unchanged(engine, uow_factory, clients, tmp_path, fmt, stage_from) -> None:
    before = comparable(json.loads(export_text(uow_factory, "json")))
    path = tmp_path / f"clients.{fmt}"
    with path.open("wb") as stream, uow_factory(actor_login="root", readonly=True) as uow:
        writable = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="") if fmt != "xlsx" else stream
        export_clients(uow, fmt=fmt, stream=writable)
        writable.flush()
    again = import_clients_from(uow_factory, path)
    assert again.count("created") == 0  # the same base: every row is a duplicate
    merged = import_clients_from(uow_factory, path, on_duplicate="update")
    assert (merged.count("created"), merged.organisations_created, merged.count("rejected")) == (0, 0, 0)
    assert comparable(json.loads(export_text(uow_factory, "json"))) == before  # twins included
    with engine.begin() as connection:
        for table in SEARCH_TABLES:  # the lookup index of the deleted clients (their phone ids come again)
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("DELETE FROM client"))
        connection.execute(text("DELETE FROM client_group"))
    outcome = import_clients_from(uow_factory, path, stage_from=stage_from)  # staged: SQLite's big import
    assert outcome.count("created") == len(clients)
    assert outcome.organisations_created == 0
    assert comparable(json.loads(export_text(uow_factory, "json"))) == before
    with engine.connect() as connection:
        owners = connection.execute(
            text(
                "SELECT o.login, count(*) FROM client c LEFT JOIN operator o ON o.id = c.owner_id GROUP BY o.login"
            )
        ).all()
        ivan = connection.execute(
            text("SELECT created_at FROM client WHERE last_name = 'Иванов'")
        ).scalar_one()
        group = connection.execute(text("SELECT colour, contract_level FROM client_group")).one()
    assert sorted(owners, key=str) == sorted([("olga", 1), (None, len(clients) - 1)], key=str)
    assert str(ivan).startswith("2020-01-02 03:04:05")
    assert tuple(group) == ("#ff0000", "gold")
    with engine.connect() as connection:  # each person in their own Twin Org, not both in the first
        twins = connection.execute(
            text(
                "SELECT p.name, o.id FROM client p JOIN client o ON o.id = p.organisation_id"
                " WHERE o.name = 'Twin Org' ORDER BY p.name"
            )
        ).all()
    assert [name for name, _ in twins] == ["Павел Второй", "Пётр Первый"] and twins[0][1] != twins[1][1]


def import_clients_from(uow_factory, path: Path, stage_from: int = 2000, on_duplicate: str = "skip"):
    with uow_factory(actor_login="root") as uow:
        return import_clients(
            uow,
            path=path,
            options=ImportOptions(default_region="RU", stage_from=stage_from, on_duplicate=on_duplicate),
        )


def test_only_admins_export_and_every_export_is_audited(engine, uow_factory, clients) -> None:
    with pytest.raises(PermissionDenied):
        export_text(uow_factory, "csv", login="olga")
    with uow_factory(actor_login="root") as uow:
        record_export(uow, fmt="csv", count=8, destination="out.csv")
    with engine.connect() as connection:
        entry = connection.execute(select(AuditEntry).where(AuditEntry.action == "client.export")).one()
    assert entry.actor == "root"
    assert entry.after == {"format": "csv", "clients": 8, "destination": "out.csv"}
