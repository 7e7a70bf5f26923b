"""The staged import on SQLite (written ahead into TEMP tables, published in one short transaction) writes
exactly what the direct path writes; a client written by someone else meanwhile keeps its id and, when it
touches a staged row, makes the import decide again; other writers are served while the import stages.

SQLite only: PostgreSQL's writers never wait for an import (MVCC), so it keeps the direct path.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.importing import staging
from hotline.core.importing.service import ImportOptions, import_clients
from hotline.core.models.enums import Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.operators import add_operator
from tests.killing import kill_script_once_signalled

CLOCK = FixedClock(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))  # both paths stamp the same time
HEADER = "Фамилия;Имя;Отчество;Организация;Телефон;E-mail;Группа;День рождения;Примечание;Теги\n"
GROUPS = ["VIP", "vip", "Опт", "Новая группа", "", ""]


def mixed_rows(count: int) -> str:
    """People and organisations of every shape: explicit organisation rows after their people, shared
    office numbers, several phones, addresses with dots, groups old and new, duplicates (skipped)."""
    rows = []
    for n in range(count):
        organisation = f"ООО «Фирма {n % 17}»" if n % 3 == 0 else ("Existing Org" if n % 7 == 0 else "")
        phones = f"+7 916 {n:07d}" + (", 8 (495) 100-00-01" if n % 5 == 0 else "")
        email = f"first.last{n}@mail.example.ru" if n % 2 == 0 else (f"x{n}@b.ru" if n % 9 == 0 else "")
        birthday = f"{n % 28 + 1:02d}.0{n % 9 + 1}.19{50 + n % 50}" if n % 4 else ""
        tags = "опт, розница" if n % 11 == 0 else ""
        rows.append(
            f"Фамилия{n % 23};Имя{n % 13};{'Отчество' if n % 2 else ''};{organisation};{phones};{email};"
            f"{GROUPS[n % len(GROUPS)]};{birthday};заметка {n};{tags}\n"
        )
        if n % 50 == 10:
            rows.append(f";;;ООО «Фирма {n % 17}»;+7 495 200-{n:04d};office{n}@firm.ru;Опт;;;\n")
        if n % 97 == 5:
            rows.append(rows[-1])  # a duplicate line: skipped
    return "".join(rows)


def seed(engine: Engine) -> None:
    """What is already stored: an admin, a group, an organisation the file names, a client it repeats."""
    with UnitOfWork(engine, clock=CLOCK) as uow:
        add_operator(uow, login="root", role=Role.ADMIN)
    with UnitOfWork(engine, actor_login="root", clock=CLOCK) as uow:
        organisation = create_client(
            uow, draft=ClientDraft(kind="organisation", name="Existing ORG", group="VIP"), default_region="RU"
        )
        create_client(
            uow,
            draft=ClientDraft(name="Стоящий", phones=["+7 916 0000001"], organisation_id=organisation.id),
            default_region="RU",
        )


def everything(engine: Engine) -> dict[str, list[tuple]]:
    """Every row an import writes, order-free (a document's words as a sorted list: their order is the
    order SQLite happened to group them in, which the full-text index does not see)."""
    queries = {
        "client": "SELECT * FROM client",
        "client_phone": "SELECT * FROM client_phone",
        "client_email": "SELECT * FROM client_email",
        "client_group": "SELECT * FROM client_group",
        "search_word": "SELECT client_id, field, word, wkey FROM search_word",
        "search_phone": "SELECT * FROM search_phone",
        "search_phone_owner": "SELECT * FROM search_phone_owner",
        "search_email": "SELECT * FROM search_email",
        "search_vocab": "SELECT * FROM search_vocab",
        "search_doc": "SELECT client_id, terms FROM search_doc",
    }
    with engine.connect() as connection:
        state = {
            table: sorted(tuple(map(str, row)) for row in connection.exec_driver_sql(sql))
            for table, sql in queries.items()
        }
        state["search_doc"] = [(client_id, sorted(terms.split())) for client_id, terms in state["search_doc"]]
        connection.exec_driver_sql("INSERT INTO search_doc_fts(search_doc_fts) VALUES ('integrity-check')")
        audit = connection.exec_driver_sql("SELECT action FROM audit_entry WHERE action = 'client.import'")
        state["audit"] = [tuple(row) for row in audit]
    return state


def count_publishes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that gets one item per staged publish."""
    published: list[int] = []
    original = staging.TempStage.publish
    monkeypatch.setattr(
        staging.TempStage, "publish", lambda self, uow: (published.append(1), original(self, uow))[1]
    )
    return published


def import_into(engine: Engine, path: Path, *, stage_from: int) -> object:
    with UnitOfWork(engine, actor_login="root", clock=CLOCK) as uow:
        return import_clients(
            uow, path=path, options=ImportOptions(default_region="RU", batch_size=64, stage_from=stage_from)
        )


@pytest.fixture
def two_databases(sqlite_template: Path, tmp_path: Path):
    engines = []
    for name in ("direct.db", "staged.db"):
        shutil.copyfile(sqlite_template, tmp_path / name)
        engines.append(make_engine(f"sqlite:///{tmp_path / name}"))
        seed(engines[-1])
    yield engines
    for engine in engines:
        engine.dispose()


def test_the_staged_path_writes_exactly_what_the_direct_path_writes(
    two_databases, tmp_path, monkeypatch
) -> None:
    direct, staged = two_databases
    path = tmp_path / "mixed.csv"
    path.write_text(HEADER + mixed_rows(700), encoding="utf-8")
    published = count_publishes(monkeypatch)
    direct_outcome = import_into(direct, path, stage_from=10**9)
    assert published == []  # the direct path
    staged_outcome = import_into(staged, path, stage_from=100)
    assert published == [1]  # the staged path

    assert direct_outcome.as_json() == staged_outcome.as_json()  # decisions, client ids, new groups
    assert direct_outcome.count("created") > 700 and direct_outcome.count("skipped") > 0
    assert direct_outcome.groups_created == ["Опт", "Новая группа"]  # VIP is stored
    assert everything(direct) == everything(staged)


def concurrent_writer(url: str, name: str, phone: str) -> list[str]:
    """Another process: creates a client, then pops a screen for it; prints how long each took."""
    script = (
        "import sys, time\n"
        "from hotline.core.db import UnitOfWork, make_engine\n"
        "from hotline.core.services.clients import ClientDraft, create_client\n"
        "from hotline.core.services.screen_pop import request_screen_pop\n"
        "engine = make_engine(sys.argv[1])\n"
        "started = time.perf_counter()\n"
        "with UnitOfWork(engine, actor_login='root') as uow:\n"
        "    create_client(uow, draft=ClientDraft(name=sys.argv[2], phones=[sys.argv[3]]), default_region='RU')\n"
        "created = time.perf_counter()\n"
        "with UnitOfWork(engine) as uow:\n"
        "    request_screen_pop(uow, operator_login='root', number=sys.argv[3])\n"
        "print(created - started, time.perf_counter() - created)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, url, name, phone],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.split()


@pytest.mark.parametrize(
    ("name", "phone"),
    [("Someone Else", "+7 916 5550000"), ("Person 300", "+7 916 0000300")],
    ids=["another-client", "a-row-of-the-file"],
)
def test_another_process_writes_while_the_import_stages(
    sqlite_template: Path, tmp_path: Path, monkeypatch, name: str, phone: str
) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "hotline.db")
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    engine = make_engine(url)
    with UnitOfWork(engine) as uow:
        add_operator(uow, login="root", role=Role.ADMIN)
    path = tmp_path / "people.csv"
    path.write_text("name,phone\n" + "".join(f"Person {n},+7 916 {n:07d}\n" for n in range(600)), "utf-8")
    times: list[float] = []
    original = staging.TempStage._write_index

    def write_index(self, cursor) -> None:  # the clients are staged, the index rows not yet
        started = time.perf_counter()
        times.extend(float(seconds) for seconds in concurrent_writer(url, name, phone))
        times.append(time.perf_counter() - started)
        original(self, cursor)

    monkeypatch.setattr(staging.TempStage, "_write_index", write_index)
    published = count_publishes(monkeypatch)
    outcome = import_into(engine, path, stage_from=100)
    create, pop, _wall = times
    assert create < 2.0 and pop < 2.0  # served at once, not queued behind the import
    with engine.connect() as connection:
        someone = connection.execute(text("SELECT min(id) FROM client WHERE name = :n"), {"n": name}).scalar()
        clients = connection.execute(text("SELECT count(*) FROM client")).scalar_one()
        indexed = connection.execute(text("SELECT count(*) FROM search_doc")).scalar_one()
    assert someone == 1  # created first, kept its id: the import's ids came after it
    if name == "Someone Else":  # nothing the import decided depends on it: published as staged
        assert outcome.count("created") == 600 and clients == 601 and published == [1]
    else:  # the same person as line 302: the import decided again and skips that row
        assert outcome.count("created") == 599 and outcome.count("skipped") == 1 and clients == 600
        assert published == []
    assert indexed == clients
    engine.dispose()


KILLED_WHILE_STAGING = """
import sys, time
from pathlib import Path
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.importing import staging
from hotline.core.importing.service import ImportOptions, import_clients

url, path, signal_file = sys.argv[1:]
original = staging.TempStage._write_index

def write_index(self, cursor):
    original(self, cursor)  # every row is staged in TEMP tables, nothing published yet
    Path(signal_file).write_text("staged")
    time.sleep(120)

staging.TempStage._write_index = write_index
with UnitOfWork(make_engine(url), actor_login="root") as uow:
    import_clients(uow, path=Path(path), options=ImportOptions(default_region="RU", stage_from=100))
"""


def test_an_import_killed_while_staging_leaves_nothing(sqlite_template: Path, tmp_path: Path) -> None:
    database = tmp_path / "hotline.db"
    shutil.copyfile(sqlite_template, database)
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    with UnitOfWork(engine) as uow:
        add_operator(uow, login="root", role=Role.ADMIN)
    path = tmp_path / "people.csv"
    path.write_text("name,phone,email\n" + "".join(f"P {n},+7 916 {n:07d},p{n}@x.ru\n" for n in range(800)))
    signal_file = tmp_path / "staged"
    kill_script_once_signalled(KILLED_WHILE_STAGING, [url, str(path), str(signal_file)], signal_file)
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        published = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "client",
                "client_phone",
                "client_email",
                "search_word",
                "search_phone",
                "search_doc",
            )
        }
        audit = connection.execute("SELECT count(*) FROM audit_entry WHERE action = 'client.import'")
        assert audit.fetchone()[0] == 0
    assert set(published.values()) == {0}, published
    outcome = import_into(engine, path, stage_from=100)  # and the import then runs whole
    assert outcome.count("created") == 800
    with engine.connect() as connection:
        indexed = connection.execute(text("SELECT count(*) FROM search_doc")).scalar_one()
    assert indexed == 800
    engine.dispose()
