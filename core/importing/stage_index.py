"""The lookup-index rows of a staged import: built in TEMP tables while staging, published after the
clients in chunks of rows, in short transactions (``search.pending.in_short_transactions``).

Each table goes in the order of its own key, a chunk being a range of that key: phone suffixes by
suffix, address parts by part, typo-vocabulary by key, the rest by client. The key-ordered TEMP tables
are filled in that order, so a row's rowid is its rank and a chunk is a range of rowids (one range read),
and every page of the real table is written by one transaction only (chunks of clients would each touch
pages all over the suffix table; that doubled the work).

Other writers may change one of the new clients between two chunks. Every transaction therefore first
looks for clients someone changed (another ``updated_at``), deleted, or indexed (word rows newer than
the last this import saw) since it last held the lock, reindexes those from their stored rows
(``search.index.reindex_ids``, which removes the rows this import wrote for them so far) and leaves them
out of every later chunk. The search only happens when ``PRAGMA data_version`` says that someone else
committed meanwhile. The phone owners go first, so that such a reindex finds the suffix rows to delete.
(Unseen: a client left without a single word by someone renaming its organisation, its own name having
none; its next reindex puts it right.)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from hotline.core.db import driver_connection
from hotline.core.search.index import reindex_ids, vocab_rows
from hotline.core.search.pending import IndexRun, Step, in_short_transactions, owner_of
from hotline.core.search.schema import MIN_PHONE_SUFFIX, digit_positions

CHUNK_ROWS = 100_000
"""Rows per chunk of the key-ordered tables (suffixes, address parts, vocabulary, phone owners)."""
CHUNK_CLIENTS = 10_000
"""Clients per chunk of the client-ordered tables (words, documents and their full-text index)."""

TABLES = (
    "CREATE TEMP TABLE stage_word (client_seq INTEGER NOT NULL, field TEXT, word TEXT, wkey TEXT)",
    "CREATE TEMP TABLE stage_suffix (suffix TEXT NOT NULL, phone_seq INTEGER NOT NULL,"
    " client_seq INTEGER NOT NULL)",
    "CREATE TEMP TABLE stage_part (part TEXT NOT NULL, email_seq INTEGER NOT NULL,"
    " client_seq INTEGER NOT NULL, address TEXT NOT NULL)",
    "CREATE TEMP TABLE stage_doc (client_seq INTEGER PRIMARY KEY, terms TEXT NOT NULL)",
    "CREATE TEMP TABLE stage_vocab (dkey TEXT NOT NULL, term TEXT NOT NULL)",
    "CREATE TEMP TABLE stage_touched (seq INTEGER PRIMARY KEY)",
)
NAMES = ("word", "suffix", "part", "doc", "vocab", "touched")


def write_index_rows(cursor: Any, words: Sequence[tuple[int, str, str, str]]) -> None:
    """Fill the TEMP index tables from the staged clients' ``words`` (client seq, field, word, key, in
    seq order) and the staged phones and emails, the key-ordered tables in the order of their key."""
    cursor.executemany("INSERT INTO temp.stage_word VALUES (?, ?, ?, ?)", words)
    cursor.execute("CREATE INDEX temp.stage_word_client ON stage_word (client_seq)")
    cursor.execute(
        "INSERT INTO temp.stage_suffix (suffix, phone_seq, client_seq)"
        " SELECT substr(p.digits, n.i), p.seq, p.client_seq"
        f" FROM temp.stage_phone p CROSS JOIN {digit_positions(postgres=False)}"
        f" WHERE n.i <= length(p.digits) - {MIN_PHONE_SUFFIX - 1} ORDER BY 1, 2"
    )
    # The four parts of an address, as ``search.index._email_sql`` makes them (a part twice: once).
    source = (
        "(SELECT seq, client_seq, lower(address) AS a, instr(lower(address), '@') AS at"
        " FROM temp.stage_email) e"
    )
    parts = ["a", "substr(a, at)", "substr(a, at + 1)", "substr(a, instr(a, '.') + 1)"]
    conditions = ["", " WHERE at > 0", " WHERE at > 0", " WHERE instr(a, '.') BETWEEN 1 AND at - 2"]
    selects = [
        f"SELECT {part} AS part, seq AS email_seq, client_seq, a AS address FROM {source}{condition}"
        for part, condition in zip(parts, conditions, strict=True)
    ]
    cursor.execute(
        "INSERT INTO temp.stage_part (part, email_seq, client_seq, address)"
        f" {' UNION '.join(selects)} ORDER BY 1, 2"
    )
    cursor.execute(
        "INSERT INTO temp.stage_doc (client_seq, terms) SELECT client_seq,"
        " group_concat(word || ' ' || wkey, ' ') FROM temp.stage_word GROUP BY client_seq"
    )
    terms = sorted({term for *_, word, key in words for term in (word, key)})
    vocabulary = sorted(set(vocab_rows(terms)))
    cursor.executemany("INSERT INTO temp.stage_vocab VALUES (?, ?)", vocabulary)


@dataclass
class IndexPublisher:
    """Publishes the staged index rows on the staging connection (whose TEMP tables hold them) after
    the clients committed with ids ``base + seq``, under marker ``marker``."""

    connection: Connection
    marker: str
    base: int
    phone_base: int
    email_base: int
    clients: int
    stamp: Any
    """The staged clients' ``updated_at`` as stored: another value means someone changed the client."""
    words_seen: int
    """The highest ``search_word`` rowid when this import last held the lock: newer rows are others'."""
    data_version: int
    """``PRAGMA data_version`` then: another value means someone else committed since."""
    _touched: set[int] = field(default_factory=set)
    """Seqs of the clients someone else changed or indexed meanwhile (reindexed from their stored rows,
    left out of the chunks)."""
    _driver: Any = field(init=False)

    def __post_init__(self) -> None:
        self._driver = driver_connection(self.connection)

    def run(self, finish: Callable[[Connection], None] | None, *, between: Callable[[], None]) -> IndexRun:
        """Write every staged index row in short transactions (``between`` after each); the last
        deletes the marker and runs ``finish``. Stops early if another process took the marker over
        (it then writes them)."""

        @contextmanager
        def begin() -> Iterator[Connection]:
            with self.connection.begin():
                yield self.connection

        def last(connection: Connection) -> None:
            self._execute("DELETE FROM counter WHERE name = ?", (self.marker,))
            if finish is not None:
                finish(connection)

        return in_short_transactions(begin, self.steps(), start=self._start, finish=last, between=between)

    def steps(self) -> list[Step]:
        """The chunks, in the order they must go: phone owners before phone suffixes (a reindex of a
        client meanwhile deletes its suffix rows through its owner rows)."""
        steps: list[Step] = []
        for statements, table, size in (
            (_OWNERS, "phone", CHUNK_ROWS),  # by phone seq: by client
            (_WORDS, "client", CHUNK_CLIENTS),
            (_SUFFIXES, "suffix", CHUNK_ROWS),  # by rank: by key
            (_PARTS, "part", CHUNK_ROWS),
            (_VOCABULARY, "vocab", CHUNK_ROWS),
        ):
            rows = self._execute(f"SELECT coalesce(max(rowid), 0) FROM temp.stage_{table}").fetchone()[0]
            steps += [
                self._step(statements, first=first, last=first + size - 1)
                for first in range(1, rows + 1, size)
            ]
        return steps

    def _step(self, statements: tuple[str, ...], **bounds: int) -> Step:
        values = {"base": self.base, "phone": self.phone_base, "email": self.email_base, **bounds}

        def step(_connection: Connection) -> None:
            for statement in statements:
                self._execute(statement, values)
            if statements is _WORDS:
                self._note_words()

        return step

    def _start(self, connection: Connection) -> bool:
        """At the beginning of each transaction: still this process's marker? Then reindex the clients
        someone else changed or indexed since this import last held the lock."""
        owner = owner_of(connection, self.marker)
        if owner != os.getpid():
            return False  # written meanwhile, or taken over by another process
        version = self._execute("PRAGMA data_version").fetchone()[0]
        if version != self.data_version:
            self.data_version = version
            self._reindex_touched(connection)
        return True

    def _reindex_touched(self, connection: Connection) -> None:
        values = {
            "base": self.base,
            "first": self.base + 1,
            "last": self.base + self.clients,
            "seen": self.words_seen,
            "stamp": self.stamp,
        }
        self._execute(_INDEXED_BY_OTHERS, values)
        (unchanged,) = self._execute(_UNCHANGED, values).fetchone()
        if unchanged != self.clients:
            self._execute(_CHANGED_BY_OTHERS, values)
        touched = {seq for (seq,) in self._execute("SELECT seq FROM temp.stage_touched")}
        found = sorted(self.base + seq for seq in touched - self._touched)
        if found:
            # An organisation's contact persons are reindexed with it: left out of the chunks too.
            reindexed = {client_id - self.base for client_id in reindex_ids(connection, found)}
            members = sorted(seq for seq in reindexed - touched if 1 <= seq <= self.clients)
            self._driver.executemany("INSERT INTO temp.stage_touched VALUES (?)", [(seq,) for seq in members])
            touched |= set(members)
        self._touched = touched
        self._note_words()

    def _note_words(self) -> None:
        """Remember the newest word row: those this import wrote itself are no sign of anyone else."""
        self.words_seen = self._execute("SELECT coalesce(max(rowid), 0) FROM search_word").fetchone()[0]

    def _execute(self, sql: str, parameters: Any = ()) -> Any:
        """``sql`` on the driver; of a dict of values, those ``sql`` names."""
        if isinstance(parameters, dict):
            parameters = {key: value for key, value in parameters.items() if f":{key}" in sql}
        return self._driver.execute(sql, parameters)


_NOT_TOUCHED = "client_seq NOT IN (SELECT seq FROM temp.stage_touched)"
_OWNERS = (
    "INSERT INTO search_phone_owner (phone_id, client_id, digits)"
    " SELECT :phone + seq, :base + client_seq, digits FROM temp.stage_phone"
    f" WHERE seq BETWEEN :first AND :last AND {_NOT_TOUCHED} ORDER BY seq",
)
_WORDS = (
    "INSERT INTO search_word (client_id, field, word, wkey)"
    " SELECT :base + client_seq, field, word, wkey FROM temp.stage_word"
    f" WHERE client_seq BETWEEN :first AND :last AND {_NOT_TOUCHED} ORDER BY client_seq, rowid",
    "INSERT INTO search_doc (client_id, terms) SELECT :base + client_seq, terms FROM temp.stage_doc"
    f" WHERE client_seq BETWEEN :first AND :last AND {_NOT_TOUCHED} ORDER BY client_seq",
    "INSERT INTO search_doc_fts (rowid, terms) SELECT :base + client_seq, terms FROM temp.stage_doc"
    f" WHERE client_seq BETWEEN :first AND :last AND {_NOT_TOUCHED} ORDER BY client_seq",
)
_SUFFIXES = (
    "INSERT INTO search_phone (suffix, phone_id, client_id)"
    " SELECT suffix, :phone + phone_seq, :base + client_seq FROM temp.stage_suffix"
    f" WHERE rowid BETWEEN :first AND :last AND {_NOT_TOUCHED} ORDER BY rowid",
)
_PARTS = (
    "INSERT INTO search_email (part, email_id, client_id, address)"
    " SELECT part, :email + email_seq, :base + client_seq, address FROM temp.stage_part"
    f" WHERE rowid BETWEEN :first AND :last AND {_NOT_TOUCHED} ORDER BY rowid",
)
_VOCABULARY = (
    "INSERT OR IGNORE INTO search_vocab (dkey, term)"
    " SELECT dkey, term FROM temp.stage_vocab WHERE rowid BETWEEN :first AND :last ORDER BY rowid",
)
_INDEXED_BY_OTHERS = (
    "INSERT OR IGNORE INTO temp.stage_touched SELECT client_id - :base FROM search_word"
    " WHERE rowid > :seen AND client_id BETWEEN :first AND :last"
)
_UNCHANGED = "SELECT count(*) FROM client WHERE id BETWEEN :first AND :last AND updated_at = :stamp"
_CHANGED_BY_OTHERS = (
    "INSERT OR IGNORE INTO temp.stage_touched SELECT s.seq FROM temp.stage_client s"
    " WHERE NOT EXISTS (SELECT 1 FROM client c WHERE c.id = :base + s.seq AND c.updated_at = :stamp)"
)
