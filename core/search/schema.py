"""The lookup index: its tables, indexes and full-text structures, for both backends.

Everything here is derived data, rebuilt by ``rebuild_index`` and kept current by ``reindex_clients``;
every object's name starts with ``search_`` (so schema comparisons can leave them out). Lookups are
B-tree range scans (``COLLATE "C"`` on PostgreSQL so ranges follow code points), except several-word
queries, which intersect posting lists in a full-text index.

- ``search_word``: one row per folded name word of a client (``field`` ``n``) and of its organisation
  (``o``), with the word's spelling-blind key (``wkey``): exact and prefix lookups in either alphabet.
- ``search_phone_owner``: each phone's digits and client; ``search_phone``: one row per suffix (3+
  digits) of each phone's digits. "Ends with" is an equal
  suffix, "contains" a prefix of a suffix, the whole number the longest suffix: one B-tree serves all
  three, and builds several times faster than a trigram index (measured: 0.7 s against 2.0 s for
  125,000 phones on SQLite).
- ``search_email``: each address (lower-case) under several ``part``s — the address, the address from
  the first dot of the local part (``petrov@acme.ru``), ``@domain`` and the domain — so ``petrov@``,
  ``@acme.ru`` and ``acme`` are all prefix scans.
- ``search_vocab``: the symmetric-delete keys of every name word and key of 5+ letters (typo correction).
- ``search_doc``: one row per client with all its words and keys (a key in a document is a Latin
  spelling of the word, so a Latin prefix may match it: that is the transliteration match), for
  several-word queries: SQLite FTS5 with prefix indexes / a PostgreSQL tsvector under GIN intersect the
  words' posting lists far faster than B-tree probes when every word is common.

  On PostgreSQL the GIN index is over ``search_doc_prefixed(terms)``: the terms and, for each, its
  prefixes of 3 to 16 letters as lexemes of their own (``горд~``). A typed prefix is then one exact
  lexeme, which GIN intersects by skipping through the rarest posting list, where a prefix match
  (``горд:*``) first gathers every client of every word it begins: at 10,000,000 clients a two-word
  query with a prefix took 11–145 ms in the index alone, with the prefix lexeme 1–2 ms. 16 letters
  cover nearly every name word (patronymics included: 28 prefix lexemes a client, against 25.6 up to
  8 letters); a longer prefix is still a prefix match. The prefixes live in the index only, not in the
  table, which stays as it was.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

TABLES = ("search_word", "search_phone", "search_phone_owner", "search_email", "search_vocab", "search_doc")
SQLITE_FTS = ("search_doc_fts",)
FTS_PREFIXES = "1 2 3 4 5 6"
"""SQLite: the prefix lengths FTS5 keeps an index for (migration 0016). A typed prefix of another length
is expanded into every term it begins: ``марк*`` cost 4-8 ms a statement at 1,000,000 clients, and a
two-word lookup runs two to four; with indexes up to 6 letters its p99 went 13-17 ms -> 6 ms, for 22 MB."""
MIN_PHONE_SUFFIX = 3
MAX_PHONE_DIGITS = 20
PREFIX_LEXEMES = (3, 16)
"""The lengths of the prefix lexemes ``search_doc_prefixed`` adds (PostgreSQL)."""
PREFIX_MARK = "~"
"""Ends a prefix lexeme (never part of a folded word), so ``горд~`` is no word's whole spelling."""

_INDEXES = {
    "search_word": [
        ("search_word_word", "word, client_id"),
        ("search_word_wkey", "wkey, client_id"),
        ("search_word_client", "client_id, word"),
    ],
    "search_phone": [("search_phone_suffix", "suffix")],
    "search_phone_owner": [("search_phone_owner_client", "client_id")],
    "search_email": [("search_email_part", "part"), ("search_email_client", "client_id")],
}
_CLUSTERED_ON_SQLITE = {"search_phone_suffix", "search_email_part"}
_PG_GIN_INDEXES = [("search_doc_prefixed", "search_doc", "search_doc_prefixed(terms)")]
PG_FUNCTIONS = ("search_doc_prefixed(tsvector)",)


def prefixed_function_sql() -> str:
    """PostgreSQL: ``search_doc_prefixed(terms)``, the terms with their prefix lexemes (immutable, so an
    index may be built on it; PL/pgSQL measured twice as fast as the set-based SQL form, 11 µs a row)."""
    shortest, longest = PREFIX_LEXEMES
    return (
        "CREATE OR REPLACE FUNCTION search_doc_prefixed(terms tsvector) RETURNS tsvector"
        " LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$"
        " DECLARE prefixes text[] := '{}'; lexeme text; size int;"
        " BEGIN"
        "  FOREACH lexeme IN ARRAY tsvector_to_array(terms) LOOP"
        f"   FOR size IN {shortest} .. least(length(lexeme), {longest}) LOOP"
        f"    prefixes := prefixes || (left(lexeme, size) || '{PREFIX_MARK}');"
        "   END LOOP;"
        "  END LOOP;"
        "  RETURN terms || array_to_tsvector(prefixes);"
        " END $$"
    )


def create_schema(connection: Connection) -> None:
    """Create every lookup object on ``connection`` (the migration calls this)."""
    postgres = connection.dialect.name == "postgresql"
    text_type = 'VARCHAR COLLATE "C"' if postgres else "TEXT"
    doc_type = "tsvector" if postgres else "TEXT"

    def clustered(key: str) -> str:
        # SQLite keeps these tables in their key's order (no separate heap and index to build).
        return ")" if postgres else f", PRIMARY KEY ({key})) WITHOUT ROWID"

    statements = [
        f"CREATE TABLE search_word (client_id INTEGER NOT NULL, field CHAR(1) NOT NULL,"
        f" word {text_type} NOT NULL, wkey {text_type} NOT NULL)",
        f"CREATE TABLE search_phone (suffix {text_type} NOT NULL, phone_id INTEGER NOT NULL,"
        f" client_id INTEGER NOT NULL{clustered('suffix, phone_id')}",
        f"CREATE TABLE search_phone_owner (phone_id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL,"
        f" digits {text_type} NOT NULL)",
        f"CREATE TABLE search_email (part {text_type} NOT NULL, email_id INTEGER NOT NULL,"
        f" client_id INTEGER NOT NULL, address {text_type} NOT NULL{clustered('part, email_id')}",
        f"CREATE TABLE search_vocab (dkey {text_type} NOT NULL, term {text_type} NOT NULL,"
        " PRIMARY KEY (dkey, term))",
        f"CREATE TABLE search_doc (client_id INTEGER PRIMARY KEY, terms {doc_type} NOT NULL)",
    ]
    if postgres:
        statements.append(prefixed_function_sql())
    for statement in statements:
        connection.exec_driver_sql(statement)
    create_indexes(connection)
    if not postgres:
        connection.exec_driver_sql(fts_table_sql())


def fts_table_sql() -> str:
    """SQLite: the full-text table over ``search_doc``, with prefix indexes of ``FTS_PREFIXES`` letters."""
    return (
        "CREATE VIRTUAL TABLE search_doc_fts USING fts5(terms, content='search_doc',"
        f" content_rowid='client_id', tokenize='unicode61 remove_diacritics 0', prefix='{FTS_PREFIXES}',"
        " detail='none')"
    )


def create_indexes(connection: Connection) -> None:
    """The B-tree (and, on PostgreSQL, GIN) indexes; dropped and remade around a bulk rebuild."""
    postgres = connection.dialect.name == "postgresql"
    for table, indexes in _INDEXES.items():
        for name, columns in indexes:
            if postgres or name not in _CLUSTERED_ON_SQLITE:
                connection.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")
    if postgres:
        for name, table, expression in _PG_GIN_INDEXES:
            connection.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})"
            )


def drop_indexes(connection: Connection) -> None:
    """Drop the secondary indexes (a bulk load then builds each once, sorted, instead of row by row)."""
    names = [name for indexes in _INDEXES.values() for name, _ in indexes]
    if connection.dialect.name == "postgresql":
        names += [name for name, _, _ in _PG_GIN_INDEXES]
    for name in names:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def drop_schema(connection: Connection) -> None:
    """Remove every lookup object (the migration's downgrade)."""
    if connection.dialect.name != "postgresql":
        for name in SQLITE_FTS:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    for name in TABLES:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    if connection.dialect.name == "postgresql":
        for signature in PG_FUNCTIONS:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature}")


def digit_positions(*, postgres: bool) -> str:
    """A FROM item ``n(i)`` counting 1..MAX_PHONE_DIGITS."""
    return (
        f"generate_series(1, {MAX_PHONE_DIGITS}) AS n(i)"
        if postgres
        else f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {MAX_PHONE_DIGITS})"
        " SELECT i FROM s) AS n"
    )


def phone_suffix_sql(*, postgres: bool, where: str) -> str:
    """Set-based ``search_phone`` rows: every suffix of 3+ digits of each phone ``where`` selects."""
    return (
        "INSERT INTO search_phone (phone_id, client_id, suffix)"
        " SELECT p.id, p.client_id, substr(p.digits, n.i)"
        f" FROM client_phone p CROSS JOIN {digit_positions(postgres=postgres)}"
        f" WHERE n.i <= length(p.digits) - {MIN_PHONE_SUFFIX - 1} {where}"
        f"{'' if postgres else ' ORDER BY 3, 1'}"
    )


def phone_suffix_delete_sql(*, postgres: bool) -> str:
    """Delete the suffix rows of the phones ``search_phone_owner`` lists for clients ``:ids`` (by key:
    an index on the client of ten million suffix rows would cost more to build than the rows)."""
    return (
        "DELETE FROM search_phone WHERE (suffix, phone_id) IN"
        " (SELECT substr(o.digits, n.i), o.phone_id"
        f" FROM search_phone_owner o CROSS JOIN {digit_positions(postgres=postgres)}"
        f" WHERE o.client_id IN :ids AND n.i <= length(o.digits) - {MIN_PHONE_SUFFIX - 1})"
    )
