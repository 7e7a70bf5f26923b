"""The lookup index: its tables, indexes and full-text structures, for both backends.

Everything here is derived data, rebuilt by ``rebuild_index`` and kept current by ``reindex_clients``;
every object's name starts with ``search_`` (so schema comparisons can leave them out).

- ``search_word``: one row per folded name word of a client (``field`` ``n``) and of its organisation
  (``o``), with the word's spelling-blind key (``wkey``); B-trees on both serve exact and prefix lookups
  as range scans (``COLLATE "C"`` on PostgreSQL so ranges follow code points).
- ``search_phone``: the digits of each phone and the same digits reversed (suffix match = prefix of the
  reversed digits); fragments via SQLite FTS5 trigram / PostgreSQL pg_trgm.
- ``search_email``: each address (lower-case) under several ``part``s — the address, the address from
  the first dot of the local part (``petrov@acme.ru``), ``@domain`` and the domain — so ``petrov@``,
  ``@acme.ru`` and ``acme`` are all B-tree prefix scans.
- ``search_vocab``: the symmetric-delete keys of every name word and key of 5+ letters (typo correction).
- ``search_doc``: one row per client with all its words and keys (keys marked by a leading ``0``), for
  several-word queries: SQLite FTS5 with prefix indexes / a PostgreSQL tsvector under GIN intersect the
  words' posting lists far faster than B-tree probes when every word is common.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

REVERSED_DIGITS_SQLITE = " || ".join(f"substr({{col}}, {position}, 1)" for position in range(20, 0, -1))
"""SQLite has no reverse(); a phone has at most 20 digits and substr past the end is empty."""

TABLES = ("search_word", "search_phone", "search_email", "search_vocab", "search_doc")
SQLITE_FTS = ("search_phone_fts", "search_doc_fts")
KEY_MARK = "0"

_COMMON_INDEXES = {
    "search_word": [
        ("search_word_word", "word, client_id"),
        ("search_word_wkey", "wkey, client_id"),
        ("search_word_client", "client_id, word"),
    ],
    "search_phone": [
        ("search_phone_digits", "digits"),
        ("search_phone_rdigits", "rdigits"),
        ("search_phone_client", "client_id"),
    ],
    "search_email": [("search_email_part", "part"), ("search_email_client", "client_id")],
}
_PG_TRIGRAM_INDEXES = [
    ("search_phone_digits_trgm", "search_phone", "digits"),
]
_PG_GIN_INDEXES = [("search_doc_terms", "search_doc", "terms")]


def create_schema(connection: Connection) -> None:
    """Create every lookup object on ``connection`` (the migration calls this)."""
    postgres = connection.dialect.name == "postgresql"
    text_type = 'VARCHAR COLLATE "C"' if postgres else "TEXT"
    if postgres:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    connection.exec_driver_sql(
        f"CREATE TABLE search_word (client_id INTEGER NOT NULL, field CHAR(1) NOT NULL,"
        f" word {text_type} NOT NULL, wkey {text_type} NOT NULL)"
    )
    connection.exec_driver_sql(
        f"CREATE TABLE search_phone (phone_id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL,"
        f" digits {text_type} NOT NULL, rdigits {text_type} NOT NULL)"
    )
    connection.exec_driver_sql(
        f"CREATE TABLE search_email (email_id INTEGER NOT NULL, client_id INTEGER NOT NULL,"
        f" part {text_type} NOT NULL, address {text_type} NOT NULL)"
    )
    connection.exec_driver_sql(
        f"CREATE TABLE search_vocab (dkey {text_type} NOT NULL, term {text_type} NOT NULL,"
        f" PRIMARY KEY (dkey, term))"
    )
    doc_type = "tsvector" if postgres else "TEXT"
    connection.exec_driver_sql(
        f"CREATE TABLE search_doc (client_id INTEGER PRIMARY KEY, terms {doc_type} NOT NULL)"
    )
    create_indexes(connection)
    if not postgres:
        connection.exec_driver_sql(
            "CREATE VIRTUAL TABLE search_doc_fts USING fts5(terms, content='search_doc',"
            " content_rowid='client_id',"
            " tokenize='unicode61 remove_diacritics 0', prefix='1 2 3', detail='none')"
        )
        connection.exec_driver_sql(
            "CREATE VIRTUAL TABLE search_phone_fts USING fts5(digits, content='search_phone',"
            " content_rowid='phone_id', tokenize='trigram', detail='none')"
        )


def create_indexes(connection: Connection) -> None:
    """The B-tree (and, on PostgreSQL, trigram) indexes; dropped and remade around a bulk rebuild."""
    for table, indexes in _COMMON_INDEXES.items():
        for name, columns in indexes:
            connection.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")
    if connection.dialect.name == "postgresql":
        for name, table, column in _PG_TRIGRAM_INDEXES:
            connection.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
            )
        for name, table, column in _PG_GIN_INDEXES:
            connection.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column})")


def drop_indexes(connection: Connection) -> None:
    """Drop the secondary indexes (a bulk load then builds each once, sorted, instead of row by row)."""
    names = [name for indexes in _COMMON_INDEXES.values() for name, _ in indexes]
    if connection.dialect.name == "postgresql":
        names += [name for name, _, _ in _PG_TRIGRAM_INDEXES + _PG_GIN_INDEXES]
    for name in names:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def drop_schema(connection: Connection) -> None:
    """Remove every lookup object (the migration's downgrade). pg_trgm stays (others may use it)."""
    if connection.dialect.name != "postgresql":
        for name in SQLITE_FTS:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    for name in TABLES:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
