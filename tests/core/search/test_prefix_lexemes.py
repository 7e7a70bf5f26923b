"""Prefix lexemes (PostgreSQL): a several-word lookup whose last word is being typed matches the prefix as
one exact lexeme of the GIN index over ``search_doc_prefixed(terms)``; found the same on both backends at
every length of the prefix."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from hotline.core import migrate
from hotline.core.db import UnitOfWork
from hotline.core.search import lookup
from hotline.core.search.matching import WordOption, ts_term
from hotline.core.search.schema import FTS_PREFIXES

Uow = Callable[..., UnitOfWork]


def found(uow_factory: Uow, query: str) -> list[int]:
    with uow_factory(readonly=True) as uow:
        return [hit.id for hit in lookup(uow.session, query, default_region="RU") if hit.kind == "client"]


@pytest.mark.parametrize("backend", ["sqlite"])  # no database: the query's terms
def test_a_prefix_of_3_to_16_letters_is_one_exact_lexeme(backend: str) -> None:
    def term(value: str, *, prefix: bool = True) -> str:
        return ts_term(WordOption("word", value, prefix=prefix, level=1.0))

    assert term("го") == "'го':*"  # too short for a lexeme of its own: a prefix match
    assert term("гор") == "'гор~'"
    assert term("константинович") == "'константинович~'"
    assert term("константиновичев") == "'константиновичев~'"  # 16 letters
    assert term("константиновичева") == "'константиновичева':*"  # 17: a prefix match again
    assert term("гордей", prefix=False) == "'гордей'"
    assert term("o'ne") == "'o''ne~'"  # quoted: never read as an operator


def test_every_length_of_the_last_word_finds_the_client(uow_factory: Uow, add_client) -> None:
    kazakov = add_client(first_name="Гордей", middle_name="Александрович", last_name="Казаков")
    others = [
        add_client(first_name="Гордон", last_name="Казаков"),
        add_client(first_name="Пётр", last_name="Казаков"),
        add_client(first_name="Гордей", last_name="Смирнов"),
        add_client(first_name="Егор", last_name="Казаков"),  # "гор" inside a word: no prefix of it
    ]
    for size in range(1, len("гордей") + 1):
        hits = found(uow_factory, f"казаков {'гордей'[:size]}")
        assert kazakov in hits, size
        if size >= 4:
            assert hits == [kazakov] or set(hits) == {kazakov, others[0]}, (size, hits)
    assert found(uow_factory, "казаков гор") and others[3] not in found(uow_factory, "казаков гор")
    assert others[1] not in found(uow_factory, "казаков горд")
    for size in range(3, len("александрович") + 1):
        assert found(uow_factory, f"казаков {'александрович'[:size]}") == [kazakov], size
    long_name = add_client(first_name="Анна", last_name="Константиновичевская")  # 20 letters
    for size in (15, 16, 17, 20):  # a lexeme up to 16 letters, a prefix match after
        assert found(uow_factory, f"анна {'константиновичевская'[:size]}") == [long_name], size
    assert kazakov in found(uow_factory, "kazakov gorde")  # the Latin keys have prefix lexemes too
    assert found(uow_factory, "гордей каз") == [kazakov]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_function_adds_the_prefixes_of_3_to_16_letters(backend: str, engine: Engine) -> None:
    with engine.connect() as connection:
        lexemes = connection.execute(
            text("SELECT tsvector_to_array(search_doc_prefixed(CAST(:doc AS tsvector)))"),
            {"doc": "дегтярев emil ab abcdefghijklmnopq"},
        ).scalar_one()
    assert set(lexemes) == {
        "дегтярев",
        "emil",
        "ab",
        *("дег~", "дегт~", "дегтя~", "дегтяр~", "дегтяре~", "дегтярев~"),
        *("emi~", "emil~"),
        "abcdefghijklmnopq",
        *("abcdefghijklmnopq"[:size] + "~" for size in range(3, 17)),
    }


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_typed_prefix_reads_the_prefix_index(
    backend: str, engine: Engine, uow_factory: Uow, add_client
) -> None:
    for first in ("Гордей", "Гордон", "Пётр"):
        add_client(first_name=first, last_name="Казаков")
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "search_doc" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        found(uow_factory, "казаков горд")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements, "the two-word lookup reads the full-text index"
    statement, parameters = statements[0]
    assert any("'горд~'" in str(value) for value in dict(parameters).values()), parameters
    assert ":*" not in " ".join(str(value) for value in dict(parameters).values())
    with engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert "search_doc_prefixed" in plan and "Seq Scan on search_doc" not in plan, plan


def test_words_of_one_or_two_letters_only(uow_factory: Uow, add_client, engine: Engine) -> None:
    """ "ли а": the longest word's B-tree scan gives the candidates (PostgreSQL reads no full-text index:
    as prefixes there, such words gather millions of clients); the scoring checks the other word."""
    li = add_client(first_name="Анна", last_name="Ли")
    add_client(first_name="Борис", last_name="Ли")
    add_client(first_name="Анна", last_name="Ливанова")
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        hits = found(uow_factory, "ли а")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert li in hits
    assert set(hits) <= {li, li + 2}, hits  # Анна Ливанова begins with both too; Борис Ли does not match
    if engine.dialect.name == "postgresql":
        assert not [statement for statement in statements if "search_doc" in statement], statements


@pytest.mark.parametrize("backend", ["sqlite"])
def test_migration_0016_gives_fts5_prefix_indexes_of_4_to_6_letters(
    backend: str, engine: Engine, uow_factory: Uow, add_client
) -> None:
    """SQLite: the full-text table made before 0016 (prefix indexes of 1-3 letters) is made again with
    4-6 too and rebuilt from ``search_doc``: the clients are found as before, by every prefix length."""
    gordey = add_client(first_name="Гордей", last_name="Казаков")
    migrate.downgrade(engine, "0015")

    def table_sql() -> str:
        with engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'search_doc_fts'"
            ).scalar_one()

    assert "prefix='1 2 3'" in table_sql()
    assert found(uow_factory, "казаков горд") == [gordey]
    migrate.upgrade(engine)
    assert f"prefix='{FTS_PREFIXES}'" in table_sql() and FTS_PREFIXES == "1 2 3 4 5 6"
    for typed in (
        "казаков г",
        "казаков гор",
        "казаков горд",
        "казаков горде",
        "казаков гордей",
        "гордей каза",
    ):
        assert found(uow_factory, typed) == [gordey], typed
