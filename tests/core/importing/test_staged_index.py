"""The lookup index of a big import: complete after the import, written after its clients in short
transactions on SQLite (the clients first, in one), right when other writers change the new clients
meanwhile, completed after a ``kill -9`` between the two, and never keeping another writer waiting long.

The tests shrink the chunks (and the pauses) so that a few hundred rows take many index transactions.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from hotline.core.db import UnitOfWork
from hotline.core.importing import stage_index, staging
from hotline.core.importing.service import ImportOptions, import_clients
from hotline.core.search import lookup, pending, rebuild_index
from hotline.core.services.clients import (
    ClientChanges,
    ClientDraft,
    create_client,
    delete_client,
    update_client,
)
from hotline.core.services.groups import create_group, delete_group
from hotline.core.services.screen_pop import request_screen_pop
from tests.cli.invoke import hotline
from tests.killing import kill_script_once_signalled

ROWS = 600
ORGANISATIONS = 7


def surname(n: int) -> str:
    """A made-up surname of letters only, one per ``n`` (``Babadov``...)."""
    letters = ""
    for _ in range(3):
        n, digit = divmod(n, 20)
        letters += "bdgklmnprstvzhfjcwxy"[digit] + "aeiou"[digit % 5]
    return letters.capitalize() + "ov"


def people_file(tmp_path: Path, rows: int = ROWS) -> Path:
    """People with a phone each, half with an address, one in five at one of ``ORGANISATIONS`` firms
    (which the import creates)."""
    path = tmp_path / "people.csv"
    lines = [
        f"{surname(n)} Ivan,+7 916 {n:07d},{f'{surname(n).lower()}@mail.example.ru' if n % 2 else ''},"
        f"{f'Firm {n % ORGANISATIONS}' if n % 5 == 0 else ''}\n"
        for n in range(rows)
    ]
    path.write_text("name,phone,email,organisation\n" + "".join(lines), encoding="utf-8")
    return path


def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few dozen rows, one per transaction, no pause: many index transactions, quickly."""
    monkeypatch.setattr(stage_index, "CHUNK_ROWS", 500)
    monkeypatch.setattr(stage_index, "CHUNK_CLIENTS", 50)
    monkeypatch.setattr(pending, "BLOCK_CLIENTS", 50)
    monkeypatch.setattr(pending, "BUDGET_SECONDS", 0.0)
    monkeypatch.setattr(pending, "pause", lambda: None)


def import_file(engine: Engine, path: Path, **options: object):
    with UnitOfWork(engine, actor_login="root") as uow:
        return import_clients(
            uow, path=path, options=ImportOptions(default_region="RU", stage_from=100, **options)
        )


def index_state(engine: Engine) -> dict[str, list[tuple]]:
    """Every lookup-index row, order-free (a document's words sorted)."""
    queries = {
        "search_word": "SELECT client_id, field, word, wkey FROM search_word",
        "search_phone": "SELECT suffix, phone_id, client_id FROM search_phone",
        "search_phone_owner": "SELECT phone_id, client_id, digits FROM search_phone_owner",
        "search_email": "SELECT part, email_id, client_id, address FROM search_email",
        "search_vocab": "SELECT dkey, term FROM search_vocab",
    }
    with engine.connect() as connection:
        state = {
            table: sorted(tuple(map(str, row)) for row in connection.exec_driver_sql(sql))
            for table, sql in queries.items()
        }
        documents = connection.exec_driver_sql("SELECT client_id, terms FROM search_doc").all()
        if connection.dialect.name == "sqlite":
            state["search_doc"] = sorted((str(c), sorted(terms.split())) for c, terms in documents)
            connection.exec_driver_sql(
                "INSERT INTO search_doc_fts(search_doc_fts) VALUES ('integrity-check')"
            )
        else:
            state["search_doc"] = sorted((str(c), str(terms)) for c, terms in documents)
    return state


def assert_as_rebuilt(engine: Engine) -> None:
    """The index is what a full rebuild from the client tables makes (but for typo-vocabulary left by
    names no longer stored: the vocabulary only grows, except in a rebuild)."""
    written = index_state(engine)
    with UnitOfWork(engine) as uow:
        rebuild_index(uow.session)
    rebuilt = index_state(engine)
    assert set(written.pop("search_vocab")) >= set(rebuilt.pop("search_vocab"))
    assert written == rebuilt


def assert_found(engine: Engine, clients: dict[int, tuple[str, str]]) -> None:
    """Every client (id → name, phone) is found by its phone and by its name."""
    with UnitOfWork(engine, readonly=True) as uow:
        for client_id, (name, phone) in clients.items():
            by_phone = [hit.id for hit in lookup(uow.session, phone, default_region="RU")]
            assert client_id in by_phone, (phone, by_phone)
            by_name = [hit.id for hit in lookup(uow.session, name, default_region="RU", limit=5)]
            assert client_id in by_name, (name, by_name)


def stored_clients(engine: Engine) -> dict[int, tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT c.id, c.name, p.raw FROM client c JOIN client_phone p ON p.client_id = c.id")
        )
        return {client_id: (name, raw) for client_id, name, raw in rows}


def test_every_imported_client_is_found_by_phone_and_by_name(engine, admin, tmp_path, monkeypatch) -> None:
    small_chunks(monkeypatch)
    outcome = import_file(engine, people_file(tmp_path))
    assert outcome.count("created") == ROWS
    clients = stored_clients(engine)
    assert len(clients) == ROWS
    assert_found(engine, clients)
    if engine.dialect.name == "sqlite":  # staged: the clients in one transaction, the index in many
        holds = [what for what, _wall, _cpu in outcome.lock_holds]
        assert holds[0] == "publish" and holds.count("index") > 10 and "publish" not in holds[1:]
        with engine.connect() as connection:
            assert pending.pending_ranges(connection) == []
    assert_as_rebuilt(engine)


def test_clients_changed_while_their_index_is_written_are_indexed_as_they_now_are(
    sqlite_engine, tmp_path, monkeypatch
) -> None:
    engine = sqlite_engine
    small_chunks(monkeypatch)
    pauses = 0

    def meanwhile() -> None:  # between two index transactions, other writers
        nonlocal pauses
        pauses += 1
        with UnitOfWork(engine) as uow:  # a write to another table, every time
            request_screen_pop(uow, operator_login="olga", number="+7 916 000 00 01")
        if pauses != 5:  # the phone owners and the words of the first clients are written
            return
        with UnitOfWork(engine, actor_login="root") as uow:
            connection = uow.session.connection()
            ids = [row[0] for row in connection.execute(text("SELECT id FROM client ORDER BY id"))]
            for client_id, name, phone in ((ids[10], "Renamed Early", "+7 495 7777701"),
                                           (ids[-1], "Renamed Late", "+7 495 7777702")):  # fmt: skip
                changes = ClientChanges(name=name, phones=[phone])
                update_client(uow, client_id=client_id, changes=changes, default_region="RU")
            delete_client(uow, client_id=ids[20])
            create_client(
                uow, draft=ClientDraft(name="Newcomer", phones=["+7 495 8888888"]), default_region="RU"
            )
        changed.extend((ids[10], ids[-1]))

    changed: list[int] = []
    monkeypatch.setattr(pending, "pause", meanwhile)
    outcome = import_file(engine, people_file(tmp_path))
    assert outcome.count("created") == ROWS and pauses > 5
    clients = stored_clients(engine)
    assert len(clients) == ROWS  # one deleted, one created
    assert_found(engine, clients)
    with UnitOfWork(engine, readonly=True) as uow:
        for old_phone, client_id in (("+7 916 0000010", changed[0]), ("+7 916 0000599", changed[1])):
            assert client_id not in [hit.id for hit in lookup(uow.session, old_phone, default_region="RU")]
        assert [hit.title for hit in lookup(uow.session, "Renamed", default_region="RU")] == [
            "Renamed Early",
            "Renamed Late",
        ]
    assert_as_rebuilt(engine)


def test_a_group_deleted_while_the_import_stages_is_made_again(sqlite_engine, tmp_path, monkeypatch) -> None:
    """The publish does not check its references row by row (foreign keys off): a stored group the file
    names, deleted meanwhile, sends the import down the direct path, which makes the group again."""
    engine = sqlite_engine
    with UnitOfWork(engine, actor_login="root") as uow:
        create_group(uow, name="VIP")
    path = tmp_path / "vip.csv"
    path.write_text("name,phone,group\n" + "".join(f"{surname(n)},+7 916 {n:07d},vip\n" for n in range(300)))
    original = staging.TempStage._write_index

    def write_index(self, cursor) -> None:  # staged: the group is known by its id
        with UnitOfWork(engine, actor_login="root") as uow:
            delete_group(uow, name="VIP")
        original(self, cursor)

    monkeypatch.setattr(staging.TempStage, "_write_index", write_index)
    publish = staging.TempStage.publish
    published: list[int] = []
    monkeypatch.setattr(
        staging.TempStage, "publish", lambda self, uow: (published.append(1), publish(self, uow))
    )
    outcome = import_file(engine, path)
    assert outcome.count("created") == 300 and outcome.groups_created == ["vip"] and published == []
    with sqlite3.connect(Path(engine.url.database)) as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        grouped = connection.execute(
            "SELECT count(*) FROM client c JOIN client_group g ON g.id = c.group_id WHERE g.name = 'vip'"
        )
        assert grouped.fetchone()[0] == 300


def test_an_index_transaction_that_fails_leaves_the_rest_to_the_next_import(
    sqlite_engine, tmp_path, monkeypatch
) -> None:
    """A database error while the index is written (a writer holding the lock past the busy timeout):
    the import is done, says that part of its lookup rows is owed, and gives the marker up at once."""
    engine = sqlite_engine
    small_chunks(monkeypatch)
    steps = 0
    step = stage_index.IndexPublisher._step

    def failing_step(self, statements, **bounds):
        run = step(self, statements, **bounds)

        def counted(connection):
            nonlocal steps
            steps += 1
            if steps == 4:
                raise sqlite3.OperationalError("database is locked")
            run(connection)

        return counted

    monkeypatch.setattr(stage_index.IndexPublisher, "_step", failing_step)
    path = people_file(tmp_path)
    outcome = import_file(engine, path)
    assert outcome.count("created") == ROWS and outcome.index_pending
    with engine.connect() as connection:
        [owed] = pending.pending_ranges(connection)
    assert owed.owner == 0  # given up: anyone may write the rest
    monkeypatch.setattr(stage_index.IndexPublisher, "_step", step)
    assert import_file(engine, path).count("skipped") == ROWS
    assert pending.owed_clients(engine) == 0
    assert_found(engine, stored_clients(engine))
    assert_as_rebuilt(engine)


KILLED_BETWEEN = """
import os, sys, time
from pathlib import Path
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.importing import stage_index, staging
from hotline.core.importing.service import ImportOptions, import_clients
from hotline.core.search import pending

url, path, signal_file, after = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
stage_index.CHUNK_ROWS, stage_index.CHUNK_CLIENTS, pending.BUDGET_SECONDS = 500, 50, 0.0
pauses = 0

def pause():  # before each index transaction; the clients are committed
    global pauses
    pauses += 1
    if pauses > after:
        signal_file.write_text("committed")
        time.sleep(120)

pending.pause = pause
with UnitOfWork(make_engine(url), actor_login="root") as uow:
    import_clients(uow, path=Path(path), options=ImportOptions(default_region="RU", stage_from=100))
"""


@pytest.mark.parametrize("completed_by", ["the next import", "db upgrade"])
@pytest.mark.parametrize("after", [0, 3], ids=["before-any-index-row", "after-three-index-transactions"])
def test_an_import_killed_between_its_clients_and_their_index_is_completed_later(
    sqlite_engine, tmp_path: Path, after: int, completed_by: str
) -> None:
    engine = sqlite_engine
    url = engine.url.render_as_string()
    database = Path(engine.url.database)
    path = people_file(tmp_path)
    signal_file = tmp_path / "committed"
    kill_script_once_signalled(KILLED_BETWEEN, [url, str(path), str(signal_file), str(after)], signal_file)

    with sqlite3.connect(database) as connection:  # consistent: the clients whole, the index owed
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        counts = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("client", "client_phone", "client_email", "search_doc")
        }
        imports = connection.execute("SELECT count(*) FROM audit_entry WHERE action = 'client.import'")
        assert imports.fetchone()[0] == 1
    assert counts["client"] == ROWS + ORGANISATIONS
    assert counts["client_phone"] == ROWS and counts["client_email"] == ROWS // 2
    assert counts["search_doc"] < ROWS and (counts["search_doc"] > 0) == (after > 0)
    assert pending.owed_clients(engine) == ROWS + ORGANISATIONS

    if completed_by == "the next import":  # the file again: every row a duplicate, the index completed
        outcome = import_file(engine, path)
        assert outcome.count("skipped") == ROWS and outcome.count("created") == 0
    else:
        status = hotline("--db", url, "db", "status")
        assert f"{ROWS + ORGANISATIONS:,} imported clients not indexed yet" in status.stderr
        upgrade = hotline("--db", url, "--operator", "root", "db", "upgrade")
        assert upgrade.exit_code == 0
        assert f"lookup index completed for {ROWS + ORGANISATIONS:,} imported clients" in upgrade.stderr
    assert pending.owed_clients(engine) == 0
    assert_found(engine, stored_clients(engine))
    assert_as_rebuilt(engine)


WRITER = """
import sys, time
from pathlib import Path
from hotline.core.db import UnitOfWork, make_engine, retry_while_busy
from hotline.core.services.screen_pop import request_screen_pop

engine = make_engine(sys.argv[1])
ready, stop = Path(sys.argv[2]), Path(sys.argv[3])

def pop():
    with UnitOfWork(engine) as uow:
        request_screen_pop(uow, operator_login="olga", number="+7 916 000 00 01")

pop()
ready.write_text("ready")
waits = []
deadline = time.monotonic() + 300
while not stop.exists() and time.monotonic() < deadline:
    started = time.perf_counter()
    retry_while_busy(pop, patience_seconds=60)
    waits.append(time.perf_counter() - started)
    time.sleep(0.05)
print(max(waits), len(waits))
"""


def test_another_process_writes_within_a_second_while_the_index_is_written(
    sqlite_engine, tmp_path: Path, monkeypatch
) -> None:
    """Each index step made slow (50 ms under the lock) and small: about three seconds of index
    transactions of about a quarter of a second each. A screen pop every 50 ms meanwhile waits less than a
    second every time: the pauses between the transactions let it in."""
    engine = sqlite_engine
    url = engine.url.render_as_string()
    monkeypatch.setattr(stage_index, "CHUNK_ROWS", 1_000)
    monkeypatch.setattr(stage_index, "CHUNK_CLIENTS", 20)
    step = stage_index.IndexPublisher._step

    def slow_step(self, statements, **bounds):
        run = step(self, statements, **bounds)
        return lambda connection: (time.sleep(0.05), run(connection))[1]

    monkeypatch.setattr(stage_index.IndexPublisher, "_step", slow_step)
    ready, stop = tmp_path / "ready", tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(ready), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ready.exists(), "the writer never started"
        outcome = import_file(engine, people_file(tmp_path))
        stop.write_text("stop")
        output, _ = writer.communicate(timeout=120)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(timeout=30)
    longest, pops = output.split()
    index = [wall for what, wall, _cpu in outcome.lock_holds if what == "index"]
    assert len(index) >= 8 and sum(index) > 1.5  # the index phase was long
    assert int(pops) >= 5  # it rang throughout (how many depends on the machine's speed: 19 on a slow one)
    assert float(longest) < 1.0, f"a screen pop waited {float(longest):.2f} s"
