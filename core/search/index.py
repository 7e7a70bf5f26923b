"""Keeping the lookup index in step with the clients: a bulk rebuild and a per-client refresh.

``rebuild_index(session)`` recomputes everything set-wise (bulk loaders call it once after loading);
``reindex_clients(session, client_ids)`` refreshes a few clients after the client services wrote them
(and, for an organisation, its contact persons, whose rows carry the organisation's name). Neither
commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from hotline.core.db import copies_into, driver_connection
from hotline.core.search.pending import clear_pending
from hotline.core.search.schema import (
    TABLES,
    create_indexes,
    drop_indexes,
    phone_suffix_delete_sql,
    phone_suffix_sql,
)
from hotline.core.search.text import words
from hotline.core.search.translit import skeleton
from hotline.core.search.typos import correctable, delete_keys
from hotline.core.statistics import analyze, lookup_tables

MAX_WORDS_PER_CLIENT = 24
MAX_INDEXED_WORD = 40
BATCH_ROWS = 20_000
BULK_CACHE_KIB = 262_144
"""Memory for index builds while rebuilding (SQLite page cache, PostgreSQL maintenance_work_mem)."""

NAME_FIELD = "n"
ORGANISATION_FIELD = "o"

_OWNER_SQL = (
    "INSERT INTO search_phone_owner (phone_id, client_id, digits)"
    " SELECT id, client_id, digits FROM client_phone"
)
_CLIENT_ROWS = (
    "SELECT c.id, c.name, c.first_name, c.middle_name, c.last_name, o.name"
    " FROM client c LEFT JOIN client o ON o.id = c.organisation_id"
)


@lru_cache(maxsize=500_000)
def _token_words(token: str) -> tuple[tuple[str, str], ...]:
    """The folded words of one whitespace-separated token, each with its key (names repeat: cached)."""
    return tuple((word[:MAX_INDEXED_WORD], skeleton(word[:MAX_INDEXED_WORD])) for word in words(token))


def word_rows(row: tuple[Any, ...]) -> list[tuple[int, str, str, str]]:
    """The ``search_word`` rows of one client row (id, name, first, middle, last, organisation name)."""
    client_id = row[0]
    return [(client_id, field_code, word, key) for field_code, word, key in _name_words(*row[1:])]


@lru_cache(maxsize=200_000)
def _name_words(
    name: str | None, first: str | None, middle: str | None, last: str | None, organisation: str | None
) -> tuple[tuple[str, str, str], ...]:
    """(field, word, key) of one set of names (namesakes and colleagues share them: cached)."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str, str]] = []
    name = name or ""
    extra_parts = tuple(part for part in (first, middle, last) if part and part not in name)
    for field_code, parts in ((NAME_FIELD, (name, *extra_parts)), (ORGANISATION_FIELD, (organisation,))):
        for part in parts:
            if not part:
                continue
            for token in part.split():
                for word, key in _token_words(token):
                    if (field_code, word) not in seen and len(out) < MAX_WORDS_PER_CLIENT:
                        seen.add((field_code, word))
                        out.append((field_code, word, key))
    return tuple(out)


def vocab_rows(keys: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``search_vocab`` rows: every one-letter-deleted form of each correctable term, pointing at the term.

    Terms are name words and their spelling-blind keys, so a typo is corrected in either alphabet.
    """
    for key in keys:
        if correctable(key):
            for dkey in delete_keys(key):
                yield dkey, key


def rebuild_index(session: Session) -> None:
    """Recompute the whole lookup index from the client tables, set-wise (for bulk loaders and repairs)."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    for table in TABLES:
        connection.exec_driver_sql(f"DELETE FROM {table}")
    clear_pending(connection)  # every client's rows are written below
    if not postgres:
        connection.exec_driver_sql("INSERT INTO search_doc_fts(search_doc_fts) VALUES ('delete-all')")
    drop_indexes(connection)
    if postgres:
        connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{BULK_CACHE_KIB}kB'")
    else:
        previous_cache = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    _bulk_insert(
        connection, "search_word", ("client_id", "field", "word", "wkey"), _all_word_rows(connection)
    )
    connection.exec_driver_sql(_OWNER_SQL)
    connection.exec_driver_sql(phone_suffix_sql(postgres=postgres, where=""))
    connection.exec_driver_sql(_email_sql(postgres=postgres, where=""))
    connection.exec_driver_sql(_doc_sql(postgres=postgres, where=""))
    create_indexes(connection)
    if not postgres:
        connection.exec_driver_sql("INSERT INTO search_doc_fts(search_doc_fts) VALUES ('rebuild')")
    keys = [
        term
        for (term,) in connection.exec_driver_sql(
            "SELECT wkey FROM search_word UNION SELECT word FROM search_word"
        )
    ]
    _bulk_insert(connection, "search_vocab", ("dkey", "term"), [sorted(set(vocab_rows(keys)))])
    if not postgres:
        connection.exec_driver_sql(f"PRAGMA cache_size = {previous_cache}")
    # Fresh statistics for the client tables too: a rebuild follows a bulk write (demo, import, repair).
    analyze(connection, lookup_tables())


def _all_word_rows(connection: Connection) -> Iterator[list[tuple[int, str, str, str]]]:
    """Every client's word rows, read in id ranges (bounded memory, no open cursor during writes)."""
    last_id = 0
    sql = _CLIENT_ROWS + " WHERE c.id > :last ORDER BY c.id LIMIT :size"
    # On SQLite the driver's own tuples (no SQLAlchemy row objects; at 1M the gain is within measuring noise).
    driver = None if connection.dialect.name == "postgresql" else driver_connection(connection)
    while True:
        params = {"last": last_id, "size": BATCH_ROWS}
        if driver is not None:
            cursor = driver.execute(sql, params)
            chunk = cursor.fetchall()
            cursor.close()
        else:
            chunk = [tuple(row) for row in connection.execute(text(sql), params)]
        if not chunk:
            return
        last_id = chunk[-1][0]
        yield [word for row in chunk for word in word_rows(row)]


def reindex_clients(session: Session, client_ids: Iterable[int]) -> None:
    """Refresh the index rows of these clients (created, changed or deleted) after the session flushed.

    Contact persons of an organisation in ``client_ids`` are refreshed too. Ids of deleted clients
    simply lose their rows.
    """
    reindex_ids(session.connection(), client_ids)


def reindex_range(connection: Connection, first_id: int, last_id: int) -> None:
    """Refresh the index rows of the clients with ids ``first_id..last_id`` (``pending.index_pending``
    completing what a killed staged import left, or a block someone changed meanwhile)."""
    reindex_ids(connection, range(first_id, last_id + 1))


def reindex_ids(connection: Connection, client_ids: Iterable[int]) -> list[int]:
    """``reindex_clients`` on a connection (in its transaction); returns the ids it reindexed (the
    contact persons of the organisations among them too)."""
    ids = sorted({int(client_id) for client_id in client_ids if client_id is not None})
    if not ids:
        return []
    postgres = connection.dialect.name == "postgresql"
    members = connection.execute(
        text("SELECT id FROM client WHERE organisation_id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": ids},
    )
    ids = sorted(set(ids) | {member_id for (member_id,) in members})
    for chunk_start in range(0, len(ids), 500):
        _reindex_chunk(connection, ids[chunk_start : chunk_start + 500], postgres=postgres)
    return ids


def _reindex_chunk(connection: Connection, ids: list[int], *, postgres: bool) -> None:
    def run(sql: str) -> Any:
        return connection.execute(text(sql).bindparams(bindparam("ids", expanding=True)), {"ids": ids})

    if not postgres:
        run(
            "INSERT INTO search_doc_fts(search_doc_fts, rowid, terms)"
            " SELECT 'delete', client_id, terms FROM search_doc WHERE client_id IN :ids"
        )
    run(phone_suffix_delete_sql(postgres=postgres))
    for table in ("search_word", "search_phone_owner", "search_email", "search_doc"):
        run(f"DELETE FROM {table} WHERE client_id IN :ids")
    rows = [word for row in run(_CLIENT_ROWS + " WHERE c.id IN :ids") for word in word_rows(tuple(row))]
    if rows:
        connection.execute(
            text("INSERT INTO search_word (client_id, field, word, wkey) VALUES (:c, :f, :w, :k)"),
            [{"c": c, "f": f, "w": w, "k": k} for c, f, w, k in rows],
        )
        _insert_vocab(connection, {term for *_, word, key in rows for term in (word, key)}, postgres=postgres)
        run(_doc_sql(postgres=postgres, where="WHERE client_id IN :ids"))
    run(_OWNER_SQL + " WHERE client_id IN :ids")
    run(phone_suffix_sql(postgres=postgres, where="AND p.client_id IN :ids"))
    run(_email_sql(postgres=postgres, where="WHERE client_id IN :ids"))
    if not postgres:
        run(
            "INSERT INTO search_doc_fts(rowid, terms)"
            " SELECT client_id, terms FROM search_doc WHERE client_id IN :ids"
        )


def _email_sql(*, postgres: bool, where: str) -> str:
    """Set-based ``search_email`` rows: the address, from its first local dot, ``@domain``, the domain."""
    find = "strpos" if postgres else "instr"
    source = (
        f"(SELECT id, client_id, lower(address) AS a, {find}(lower(address), '@') AS at"
        f" FROM client_email {where}) e"
    )
    parts = [
        "a",
        "substr(a, at)",
        "substr(a, at + 1)",
        f"substr(a, {find}(a, '.') + 1)",
    ]
    conditions = ["", " WHERE at > 0", " WHERE at > 0", f" WHERE {find}(a, '.') BETWEEN 1 AND at - 2"]
    selects = [
        f"SELECT id, client_id, {part}, a FROM {source}{condition}"
        for part, condition in zip(parts, conditions, strict=True)
    ]
    order = "" if postgres else " ORDER BY 3, 1"
    return (
        "INSERT INTO search_email (email_id, client_id, part, address) " + " UNION ALL ".join(selects) + order
    )


def _doc_sql(*, postgres: bool, where: str) -> str:
    """Set-based ``search_doc`` rows from ``search_word``: every word and every key of a client."""
    if postgres:
        terms = (
            "array_to_tsvector(array_agg(DISTINCT word)"
            " || array_agg(DISTINCT wkey) FILTER (WHERE wkey <> ''))"
        )
    else:
        terms = "group_concat(word || ' ' || wkey, ' ')"
    return (
        f"INSERT INTO search_doc (client_id, terms)"
        f" SELECT client_id, {terms} FROM search_word {where} GROUP BY client_id"
    )


def _insert_vocab(connection: Connection, keys: set[str], *, postgres: bool) -> None:
    rows = [{"d": dkey, "t": term} for dkey, term in vocab_rows(sorted(keys))]
    if not rows:
        return
    verb, tail = ("INSERT", " ON CONFLICT DO NOTHING") if postgres else ("INSERT OR IGNORE", "")
    connection.execute(text(f"{verb} INTO search_vocab (dkey, term) VALUES (:d, :t){tail}"), rows)


def _bulk_insert(
    connection: Connection, table: str, columns: tuple[str, ...], batches: Iterable[list[tuple]]
) -> None:
    """Insert batches of rows fast: COPY on PostgreSQL (executemany where row security forbids it),
    executemany on the raw SQLite connection.

    Each batch is complete before it is written, so the producer may query the same connection.
    """
    driver = driver_connection(connection)
    column_list = ", ".join(columns)
    postgres = connection.dialect.name == "postgresql"
    # Under row security (an admin's role on the contact points' index) PostgreSQL refuses COPY.
    copying = postgres and copies_into(connection, table)
    marks = ", ".join(("%s" if postgres else "?") for _ in columns)
    sql = f"INSERT INTO {table} ({column_list}) VALUES ({marks})"
    for batch in batches:
        if not batch:
            continue
        if copying:
            with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
        else:
            cursor = driver.cursor()
            cursor.executemany(sql, batch)
            cursor.close()
