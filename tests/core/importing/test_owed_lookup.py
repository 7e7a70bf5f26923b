"""Clients a staged import has committed are found at once, before their lookup-index rows are written:
the lookup also reads the clients still owed rows (``search.owed``) and ranks them as the index will.

SQLite only: PostgreSQL imports write the index in the clients' own transaction (no staged path, never a
range owed), and there the lookup does not look for one.
"""

from __future__ import annotations

from pathlib import Path

from hotline.core.db import UnitOfWork
from hotline.core.search import lookup, pending
from hotline.core.services.screen_pop import callers_of
from tests.core.importing.test_staged_index import (
    ORGANISATIONS,
    ROWS,
    import_file,
    people_file,
    small_chunks,
    stored_clients,
    surname,
)

SAMPLE = range(0, ROWS, 37)


def queries(n: int) -> list[str]:
    """Exact queries for person ``n`` of ``people_file``: the phone as typed and as E.164, the full name,
    the surname (any case), the address."""
    name = surname(n)
    return [
        f"+7 916 {n:07d}",
        f"8 916 {n:07d}",
        f"{name} Ivan",
        name.lower(),
        name.upper(),
        *([f"{name.lower()}@mail.example.ru"] if n % 2 else []),
    ]


def answers(engine, ns, ask=queries) -> dict[str, list[dict]]:
    with UnitOfWork(engine, readonly=True) as uow:
        return {
            query: [hit.as_json() for hit in lookup(uow.session, query, default_region="RU")]
            for n in ns
            for query in ask(n)
        }


def as_written(answers: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The index's answers but for the namesakes it finds by transliteration or a typo (the owed clients'
    lookup reads names as written): the same clients, scores and order otherwise."""
    return {
        query: [
            hit
            for hit in hits
            if not {"(translit)", "(typo)"} & set(hit["matched"].replace(",", " ").split())
        ]
        for query, hits in answers.items()
    }


def found_at_commit(engine, path: Path, monkeypatch, ask=queries) -> dict[str, object]:
    """Import ``path`` staged; before its first index transaction (the clients committed, no index row
    yet), what the lookup answers for the ``SAMPLE`` and whom the screen pop finds for each phone."""
    small_chunks(monkeypatch)
    seen: dict[str, object] = {}

    def before_each_index_transaction() -> None:
        if seen:
            return
        with UnitOfWork(engine, readonly=True) as uow:
            seen["owed"] = pending.owed_clients(engine)
            seen["indexed"] = (
                uow.session.connection().exec_driver_sql("SELECT count(*) FROM search_word").scalar_one()
            )
            seen["callers"] = {
                n: [client.name for client in callers_of(uow, number=f"8 916 {n:07d}", default_region="RU")]
                for n in SAMPLE
            }
        seen["answers"] = answers(engine, SAMPLE, ask)

    monkeypatch.setattr(pending, "pause", before_each_index_transaction)
    outcome = import_file(engine, path)
    assert outcome.count("created") == ROWS
    assert seen["indexed"] == 0
    assert pending.owed_clients(engine) == 0
    return seen


def test_a_client_is_found_as_soon_as_committed_with_the_answers_the_index_gives(
    sqlite_engine, tmp_path: Path, monkeypatch
) -> None:
    engine = sqlite_engine
    seen = found_at_commit(engine, people_file(tmp_path), monkeypatch)
    assert seen["owed"] == ROWS + ORGANISATIONS
    # The screen pop looks the caller up in ``client_phone`` itself: found at commit.
    assert seen["callers"] == {n: [f"{surname(n)} Ivan"] for n in SAMPLE}
    indexed = answers(engine, SAMPLE)
    assert seen["answers"] == as_written(indexed)
    ids = {name: client_id for client_id, (name, _phone) in stored_clients(engine).items()}
    for n in SAMPLE:
        for query in queries(n):
            assert indexed[query][0]["id"] == ids[f"{surname(n)} Ivan"], query


CYRILLIC = str.maketrans("bdgklmnprstvzhfjcwxyaeiou", "бдгклмнпрствзхфжцшщйаёиоу")


def test_a_name_in_cyrillic_is_found_at_commit_in_any_case_and_with_e_for_yo(
    sqlite_engine, tmp_path: Path, monkeypatch
) -> None:
    """``Сёмадов Пётр`` (each surname holds a ``ё``) is found as ``семадов``, ``СЕМАДОВ``, ``Семадов петр``."""
    engine = sqlite_engine
    path = tmp_path / "people.csv"
    path.write_text(
        "name,phone\n" + "".join(f"{cyrillic(n)} Пётр,+7 916 {n:07d}\n" for n in range(ROWS)),
        encoding="utf-8",
    )
    seen = found_at_commit(engine, path, monkeypatch, cyrillic_queries)
    assert seen["callers"] == {n: [f"{cyrillic(n)} Пётр"] for n in SAMPLE}
    indexed = answers(engine, SAMPLE, cyrillic_queries)
    assert seen["answers"] == as_written(indexed)
    ids = {name: client_id for client_id, (name, _phone) in stored_clients(engine).items()}
    for n in SAMPLE:
        for query in cyrillic_queries(n):
            assert indexed[query][0]["id"] == ids[f"{cyrillic(n)} Пётр"], query


def cyrillic(n: int) -> str:
    return surname(n).lower().translate(CYRILLIC).capitalize()


def cyrillic_queries(n: int) -> list[str]:
    plain = cyrillic(n).replace("ё", "е")
    return [f"8 916 {n:07d}", plain.lower(), plain.upper(), f"{plain} петр"]


def test_clients_owed_by_a_killed_import_are_found_until_indexed(sqlite_engine, tmp_path: Path) -> None:
    """A marker left behind (its owner gone): the fallback answers until ``complete_pending`` runs."""
    engine = sqlite_engine
    import_file(engine, people_file(tmp_path))
    indexed = answers(engine, SAMPLE)
    with engine.begin() as connection:  # as a kill -9 between the clients and their index leaves it
        last = connection.exec_driver_sql("SELECT max(id) FROM client").scalar_one()
        for table in ("search_word", "search_phone", "search_phone_owner", "search_email", "search_doc"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
        connection.exec_driver_sql("DELETE FROM search_doc_fts")
        pending.mark_pending(connection, 1, last)
        pending.release(connection, f"{pending.MARKER_PREFIX}1-{last}")
    assert answers(engine, SAMPLE) == as_written(indexed)
    assert pending.complete_pending(engine) == last
    assert answers(engine, SAMPLE) == indexed
