"""An update import (``--on-duplicate update``) on SQLite stages its merges outside the write lock and
applies them in one short hold (``importing/stage_merges.py``): the same clients as the direct path, a
merged client found under its new name and number as soon as the import commits and no longer under the
old one, its lookup rows rebuilt after the commit (resumed after a ``kill -9``), and a merged client
someone writes while the import stages makes the import decide again inside the lock.

The lookup test runs on both backends (PostgreSQL keeps the direct path, whose index is written in the
import's own transaction); the rest is SQLite's staged path.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork
from hotline.core.importing import stage_merges
from hotline.core.importing.service import ImportOptions, import_clients
from hotline.core.search import lookup, pending
from hotline.core.services.clients import ClientChanges, update_client
from tests.cli.invoke import hotline
from tests.core.importing.test_staged_index import assert_as_rebuilt, small_chunks, surname
from tests.core.importing.test_staged_publish import (
    CLOCK,
    HEADER,
    count_publishes,
    everything,
    import_into,
    mixed_rows,
)
from tests.core.importing.test_staged_publish import two_databases as two_databases_fixture
from tests.killing import kill_script_once_signalled

PEOPLE = 300
two_databases = two_databases_fixture  # a direct and a staged database, seeded alike


def updated_rows(count: int) -> str:
    """``mixed_rows(count)`` as a later export would have them, for ``--on-duplicate update``: new notes,
    new groups (one new to the database), people moved to organisations the import creates, extra numbers
    and addresses, some people renamed (matched by their address), tags added; the organisations' own
    rows and the duplicate lines as they were; and a few new people."""
    rows = []
    for line in mixed_rows(count).splitlines():
        cells = line.split(";")
        if cells[0]:  # a person (``Фамилия{n % 23}`` …): its number says which
            n = int(cells[4].split(",")[0].removeprefix("+7 916 "))
            if n % 12 == 0 and cells[5]:
                cells[0] = f"Переименов{n}"
            if n % 10 == 1:
                cells[3] = f"Новая Фирма {n % 3}"
            if n % 6 == 0:
                cells[4] += f", +7 903 {n:07d}"
            if n % 8 == 0 and cells[5]:
                cells[5] += f", second{n}@example.org"
            cells[6] = "Группа обновлений" if n % 4 == 0 else cells[6]
            cells[8] = f"обновлено {n}" if n % 3 else cells[8]
            cells[9] = "новый тег" if n % 5 == 0 else cells[9]
        rows.append(";".join(cells) + "\n")
    rows += [f"Новый;Человек{n};;;+7 926 {n:07d};;;;;\n" for n in range(20)]
    return "".join(rows)


def test_a_staged_update_import_merges_exactly_what_the_direct_path_merges(
    two_databases, tmp_path, monkeypatch
) -> None:
    direct, staged = two_databases
    base, update = tmp_path / "base.csv", tmp_path / "update.csv"
    base.write_text(HEADER + mixed_rows(PEOPLE), encoding="utf-8")
    update.write_text(HEADER + updated_rows(PEOPLE), encoding="utf-8")
    for engine in (direct, staged):
        import_into(engine, base, stage_from=10**9)
    published = count_publishes(monkeypatch)

    direct_outcome = _update(direct, update, stage_from=10**9)
    assert published == []
    staged_outcome = _update(staged, update, stage_from=100)
    assert published == [1]

    assert direct_outcome.as_json() == staged_outcome.as_json()  # decisions, client ids, new groups
    assert direct_outcome.count("updated") > 200 and direct_outcome.count("unchanged") > 0
    assert direct_outcome.count("created") == 20 and direct_outcome.organisations_created == 3
    assert direct_outcome.groups_created == ["Группа обновлений"]
    assert everything(direct) == everything(staged)
    assert pending.owed_clients(staged) == 0


def _update(engine: Engine, path: Path, *, stage_from: int):
    with UnitOfWork(engine, actor_login="root", clock=CLOCK) as uow:
        options = ImportOptions(
            default_region="RU", batch_size=64, on_duplicate="update", stage_from=stage_from
        )
        return import_clients(uow, path=path, options=options)


def people(count: int, *, renamed: bool = False) -> str:
    """People with a number and an address each; ``renamed``: the same people under other surnames, each
    with a second number (matched by their address)."""
    lines = []
    for n in range(count):
        name = f"{surname(n + 5000) if renamed else surname(n)} Ivan"
        phones = f"+7 916 {n:07d}" + (f"; +7 903 {n:07d}" if renamed else "")
        lines.append(f"{name},{phones},{surname(n).lower()}.{n}@mail.example.ru\n")
    return "name,phone,email\n" + "".join(lines)


def base_imported(engine: Engine, tmp_path: Path, count: int, *, clock: FixedClock | None = None) -> Path:
    """``count`` people imported (the base); the file of the same people renamed, to merge, not yet."""
    base, renamed = tmp_path / "base.csv", tmp_path / "renamed.csv"
    base.write_text(people(count), encoding="utf-8")
    renamed.write_text(people(count, renamed=True), encoding="utf-8")
    with UnitOfWork(engine, actor_login="root", clock=clock) as uow:
        import_clients(uow, path=base, options=ImportOptions(default_region="RU"))
    return renamed


def ids_found(engine: Engine, query: str) -> list[int]:
    with UnitOfWork(engine, readonly=True) as uow:
        return [hit.id for hit in lookup(uow.session, query, default_region="RU", limit=50)]


def test_a_merged_client_is_found_under_its_new_name_and_number_at_commit(
    engine, admin, tmp_path, monkeypatch
) -> None:
    small_chunks(monkeypatch)
    count = 120
    renamed = base_imported(engine, tmp_path, count)
    with engine.connect() as connection:
        ids = dict(connection.execute(text("SELECT name, id FROM client")).all())
    sample = range(0, count, 17)
    seen: dict[str, object] = {}

    def answers() -> dict[str, object]:
        return {
            "new": {n: ids_found(engine, f"{surname(n + 5000)} Ivan") for n in sample},
            "old": {n: ids_found(engine, f"{surname(n)} Ivan") for n in sample},
            "number": {n: ids_found(engine, f"+7 903 {n:07d}") for n in sample},
        }

    def before_each_index_transaction() -> None:  # SQLite: merges committed, their rows not rebuilt yet
        if not seen:
            seen["owed"] = pending.owed_clients(engine)
            seen.update(answers())

    monkeypatch.setattr(pending, "pause", before_each_index_transaction)
    with UnitOfWork(engine, actor_login="root") as uow:
        options = ImportOptions(default_region="RU", on_duplicate="update", stage_from=50)
        outcome = import_clients(uow, path=renamed, options=options)
    assert outcome.count("updated") == count
    if engine.dialect.name == "sqlite":
        assert seen["owed"] == count  # staged: every merged client was owed its rows at commit
        checks = [seen, answers()]
    else:
        assert seen == {}  # PostgreSQL: the direct path, the index written with the merges
        checks = [answers()]
    for found in checks:
        for n in sample:
            client_id = ids[f"{surname(n)} Ivan"]
            assert found["new"][n][:1] == [client_id], n
            assert client_id not in found["old"][n], n
            assert found["number"][n][:1] == [client_id], n
    assert pending.owed_clients(engine) == 0
    assert_as_rebuilt(engine)


@pytest.mark.parametrize("clock_offset", [timedelta(hours=1), timedelta(hours=-1)], ids=["later", "earlier"])
def test_a_merged_client_written_while_the_import_stages_makes_it_decide_again(
    sqlite_engine, tmp_path, monkeypatch, clock_offset: timedelta
) -> None:
    """An operator edits a client the import merges into after the import read it: the staged merges
    are not published (the import decides again under the lock), the operator's change is kept and the
    import's merged over it. ``earlier``: the operator's clock is behind, so only the check of the
    merged clients' own ``updated_at`` can see it."""
    engine = sqlite_engine
    count = 120
    renamed = base_imported(engine, tmp_path, count, clock=CLOCK)
    target = f"{surname(7)} Ivan"
    with engine.connect() as connection:
        client_id = connection.execute(
            text("SELECT id FROM client WHERE name = :n"), {"n": target}
        ).scalar_one()
    original = stage_merges.MergeStage.plan

    def plan(self, **stand_ins) -> None:
        original(self, **stand_ins)  # the merges are computed from the clients as they were
        with UnitOfWork(engine, actor_login="root", clock=FixedClock(CLOCK.now() + clock_offset)) as uow:
            changes = ClientChanges(notes="called back", birthday=None)
            update_client(uow, client_id=client_id, changes=changes, default_region="RU")

    monkeypatch.setattr(stage_merges.MergeStage, "plan", plan)
    published = count_publishes(monkeypatch)
    with UnitOfWork(engine, actor_login="root", clock=CLOCK) as uow:
        options = ImportOptions(default_region="RU", on_duplicate="update", stage_from=50)
        outcome = import_clients(uow, path=renamed, options=options)
    assert published == []  # decided again inside the lock
    assert outcome.count("updated") == count
    with engine.connect() as connection:
        name, notes = connection.execute(
            text("SELECT name, notes FROM client WHERE id = :id"), {"id": client_id}
        ).one()
        phones = connection.execute(
            text("SELECT count(*) FROM client_phone WHERE client_id = :id"), {"id": client_id}
        ).scalar_one()
    assert (name, notes, phones) == (f"{surname(5007)} Ivan", "called back", 2)
    assert pending.owed_clients(engine) == 0
    assert_as_rebuilt(engine)


KILLED_AFTER_PUBLISH = """
import sys, time
from pathlib import Path
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.importing.service import ImportOptions, import_clients
from hotline.core.search import pending

url, path, signal_file, after = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
pending.OWED_BLOCK_CLIENTS, pending.BUDGET_SECONDS = 20, 0.0
pauses = 0

def pause():  # before each index transaction; the merges are committed
    global pauses
    pauses += 1
    if pauses > after:
        signal_file.write_text("committed")
        time.sleep(120)

pending.pause = pause
with UnitOfWork(make_engine(url), actor_login="root") as uow:
    options = ImportOptions(default_region="RU", on_duplicate="update", stage_from=50)
    import_clients(uow, path=Path(path), options=options)
"""


@pytest.mark.parametrize("completed_by", ["the next import", "db upgrade"])
@pytest.mark.parametrize("after", [0, 3], ids=["before-any-rebuild", "after-three-rebuild-transactions"])
def test_an_update_import_killed_after_its_merges_is_rebuilt_later(
    sqlite_engine, tmp_path: Path, after: int, completed_by: str
) -> None:
    engine = sqlite_engine
    url = engine.url.render_as_string()
    count = 200
    renamed = base_imported(engine, tmp_path, count)
    signal_file = tmp_path / "committed"
    kill_script_once_signalled(
        KILLED_AFTER_PUBLISH, [url, str(renamed), str(signal_file), str(after)], signal_file
    )

    with sqlite3.connect(Path(engine.url.database)) as connection:  # consistent: merged whole, rows owed
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        renamed_count = connection.execute("SELECT count(*) FROM client WHERE name LIKE '% Ivan'").fetchone()[
            0
        ]
        names = {name for (name,) in connection.execute("SELECT name FROM client")}
        phones = connection.execute("SELECT count(*) FROM client_phone").fetchone()[0]
        imports = connection.execute("SELECT count(*) FROM audit_entry WHERE action = 'client.import'")
        assert imports.fetchone()[0] == 2
    assert renamed_count == count and names == {f"{surname(n + 5000)} Ivan" for n in range(count)}
    assert phones == 2 * count
    assert pending.owed_clients(engine) == count - 20 * after
    for n in range(0, count, 23):  # found under the new name, not the old, while owed
        assert ids_found(engine, f"{surname(n + 5000)} Ivan")[:1] == ids_found(engine, f"+7 916 {n:07d}")[:1]
        assert not set(ids_found(engine, f"{surname(n)} Ivan")) & set(ids_found(engine, f"+7 916 {n:07d}"))

    if completed_by == "the next import":  # the file again: every row unchanged, the index completed
        with UnitOfWork(engine, actor_login="root") as uow:
            options = ImportOptions(default_region="RU", on_duplicate="update")
            outcome = import_clients(uow, path=renamed, options=options)
        assert outcome.count("unchanged") == count
    else:
        status = hotline("--db", url, "db", "status")
        assert f"{count - 20 * after:,} imported clients not indexed yet" in status.stderr
        upgrade = hotline("--db", url, "--operator", "root", "db", "upgrade")
        assert upgrade.exit_code == 0
        assert f"lookup index completed for {count - 20 * after:,} imported clients" in upgrade.stderr
    assert pending.owed_clients(engine) == 0
    assert_as_rebuilt(engine)
