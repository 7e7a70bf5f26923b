"""The lookup engine: classify the query, fetch candidates from the index, rank them in Python.

Candidates come from cheap index range scans chosen by what was typed (digits, ``#N``, an email
fragment, words, one or two letters); ranking every match in SQL before ``LIMIT`` costs hundreds of
milliseconds at a million clients, so each fetch is capped and the few hundred candidates are ordered
here: exact phone or ticket first, then exact words, prefixes, transliterations and typo corrections,
ties by recent activity (open tickets, last interaction).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection
from sqlmodel import Session

from hotline.core.contact_handout import HANDS_OUT
from hotline.core.db import begin_with, driver_connection, may_prepare
from hotline.core.limits import MAX_LOOKUP_RESULTS
from hotline.core.search import owed
from hotline.core.search.layout import swap_layout
from hotline.core.search.matching import (
    LEVEL_EDIT_TYPO,
    LEVEL_EXACT,
    LEVEL_KEY_TYPO,
    LEVEL_TRANSLIT,
    LEVEL_TYPO,
    WordMatch,
    WordOption,
    after_prefix,
    fts_term,
    option_sql,
    ts_term,
    whole,
)
from hotline.core.search.pg_fetch import (
    KIND_EMAIL,
    KIND_WORD,
    contact_line,
    ids_words_sql,
    one_word_sql,
    open_count_sql,
    ranked_lines_sql,
    words_sql,
)
from hotline.core.search.phones import MIN_CONTAINS_DIGITS, exact_forms, suffix_forms
from hotline.core.search.schema import PREFIX_LEXEMES
from hotline.core.search.text import Query, QueryKind, classify, strip_controls
from hotline.core.search.translit import query_skeletons, skeleton
from hotline.core.search.typos import correctable, delete_keys, transpositions, within_one_edit

MIN_FRAGMENT = 3
SHORT_WORDS_FACTOR = 5
"""How many more candidates are read when words of one or two letters are checked on them by scoring."""
READING_SPAN = 1_000_000
"""Above any row number within one reading of the full-text match (each reads a few hundred at most)."""
MAX_LIMIT = MAX_LOOKUP_RESULTS

SCORE_EXACT_PHONE = 1000.0
SCORE_TICKET_HASH = 1100.0
SCORE_TICKET = 950.0
SCORE_EMAIL_EXACT = 980.0
SCORE_PHONE_SUFFIX = 850.0
SCORE_EMAIL_PREFIX = 760.0
SCORE_EMAIL_CONTAINS = 720.0
SCORE_PHONE_CONTAINS = 700.0
SCORE_WORDS = 500.0
WORD_SCALE = 300.0

LAYOUT_FACTOR = 0.9


@dataclass(frozen=True)
class Hit:
    """One result line: a client or a ticket (``id`` is the ticket number), and what matched."""

    kind: str
    id: int
    title: str
    subtitle: str
    matched: str
    score: float

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "subtitle": self.subtitle,
            "matched": self.matched,
            "score": round(self.score, 2),
        }


@dataclass
class _Candidate:
    score: float
    matched: str


@dataclass
class _Found:
    clients: dict[int, _Candidate] = field(default_factory=dict)
    tickets: dict[int, _Candidate] = field(default_factory=dict)

    def add_client(self, client_id: int, score: float, matched: str) -> None:
        known = self.clients.get(client_id)
        if known is None or known.score < score:
            self.clients[client_id] = _Candidate(score, matched)


def lookup(session: Session, query: str, *, default_region: str, limit: int = 20) -> list[Hit]:
    """Find clients and tickets for whatever the operator typed, best first (at most ``limit``)."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    parsed = classify(query or "")
    if parsed.kind is QueryKind.EMPTY:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        session.info[HANDS_OUT] = True  # the lines' contact points are handed out (``contact_handout``)
    search = _Search(connection, limit=limit, region=default_region)
    with index_driven_plans(connection), plans_kept(connection):
        found = search.run(parsed)
        return search.hits(found)


INDEX_DRIVEN_SETTINGS = {
    "enable_seqscan": "off",
    "enable_hashjoin": "off",
    "enable_mergejoin": "off",
    # A lookup reads a few hundred rows at most: starting parallel workers or compiling it (JIT, which an
    # estimate without statistics can trigger) cost 100-650 ms where the statement itself takes 1-3 ms
    # (measured at 10,000,000 clients on a newly built index).
    "max_parallel_workers_per_gather": "0",
    "jit": "off",
    # The statements ``plans_kept`` prepares are planned once, with the settings above, for any values.
    "plan_cache_mode": "force_generic_plan",
}
_PLANS_SET_IN = "hotline.search.index_driven_plans"


@contextmanager
def index_driven_plans(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, plan the lookup's statements for index scans and nested loops, whatever the statistics.

    Every lookup statement is a capped range scan or a probe by key; with statistics missing or stale
    (a bulk load not analysed yet) the planner chose parallel sequential scans and hash joins instead:
    119 ms per lookup at a million clients. The settings are ``SET LOCAL``: they last until the end of
    the caller's transaction (every caller runs a lookup in a unit of work of its own) and are set once
    per transaction, where putting them back after each lookup cost a round trip (measured: +0.6 ms
    p50 on every lookup for nothing). When the lookup opens the transaction, the settings travel with
    its ``BEGIN`` (``db.begin_with``): no round trip of their own.
    """
    if connection.dialect.name != "postgresql":
        yield
        return
    transaction = connection.get_transaction()
    done = connection.info.get(_PLANS_SET_IN)
    if transaction is None or done is None or done() is not transaction:
        sets = ", ".join(
            f"set_config('{name}', '{value}', true)" for name, value in INDEX_DRIVEN_SETTINGS.items()
        )
        if not begin_with(driver_connection(connection), f"SELECT {sets}"):
            connection.exec_driver_sql(f"SELECT {sets}")
        if transaction is not None:
            connection.info[_PLANS_SET_IN] = weakref.ref(transaction)
    yield


PREPARED_MAX = 256
"""Statements psycopg keeps prepared per connection (its default, 100, is about what lookups send)."""


@contextmanager
def plans_kept(connection: Connection) -> Iterator[None]:
    """On PostgreSQL reached directly, the lookup's statements are prepared on the server the first time
    a connection sends them and planned once (a generic plan, index-driven by ``index_driven_plans``).

    Planning was half of a several-word lookup's time in SQL: 2.2 of 4.5 ms per lookup at 1,000,000
    clients (``EXPLAIN ANALYZE``: the statements are short, their CTEs many). The statements' texts do
    not depend on what was typed (every value is a parameter; lists go as arrays), so a few dozen cover
    every lookup. Behind a transaction pooler (``may_prepare``) nothing is prepared.
    """
    if not may_prepare(connection):
        yield
        return
    driver = driver_connection(connection)
    threshold = driver.prepare_threshold
    driver.prepare_threshold = 0
    driver.prepared_max = max(driver.prepared_max or 0, PREPARED_MAX)
    try:
        yield
    finally:
        driver.prepare_threshold = threshold


class _Search:
    """One lookup on one connection."""

    def __init__(self, connection: Connection, *, limit: int, region: str) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        # On SQLite the statements go straight to the driver (named parameters are native there): the
        # SQLAlchemy layer costs more per statement than most of these index probes.
        self.driver = None if self.postgres else driver_connection(connection)
        self.limit = limit
        self.cap = max(limit * 3, 60)
        self.region = region
        # PostgreSQL (``pg_fetch``): the lines fetched with the candidates (None: no such client), their
        # contact points, the weak email matches fetched ahead with a word's candidates, and the
        # fragment the next word fetch should bring those for.
        self.lines: dict[int, Any] = {}
        self.line_contacts: dict[int, list[str]] = {}
        self.emails_ahead: dict[str, list[tuple[int, str]]] = {}
        self.email_wanted: str | None = None
        self.words_of: dict[int, list[tuple[str, str, str]]] = {}  # the word rows fetched, by client
        self.words_exist: dict[tuple[tuple[str, str, bool], ...], bool] = {}  # any_word's answers
        self.fetched: dict[tuple[tuple[tuple[str, str, bool], ...], ...], dict[int, Any]] = {}
        self.corrections_of: dict[frozenset[str], list[str]] = {}  # corrections' answers, by typed forms

    def rows(self, sql: str, params: dict[str, Any], *, expanding: tuple[str, ...] = ()) -> list[Any]:
        """The rows of one statement (``:name`` parameters; ``expanding``: lists spelt out for ``IN``)."""
        if expanding and self.postgres:
            # One array parameter: the statement's text is the same whatever the list's length.
            for name in expanding:
                sql = re.sub(rf"\bIN :{name}\b", f"= ANY(:{name})", sql)
            params = {**params, **{name: list(params[name]) for name in expanding}}
        elif expanding:
            params = dict(params)
            for name in expanding:
                values = list(params.pop(name)) or [None]
                marks = [f"{name}_{number}" for number in range(len(values))]
                params.update(zip(marks, values, strict=True))
                sql = re.sub(rf":{name}\b", "(" + ", ".join(f":{mark}" for mark in marks) + ")", sql)
        if self.driver is not None:
            cursor = self.driver.execute(sql, params)
            try:
                return cursor.fetchall()
            finally:
                cursor.close()
        # Straight to psycopg's placeholders: SQLAlchemy's text() costs ~0.2 ms a statement to compile
        # and cache, a tenth of a typo lookup's Python time; its cursor events still see every statement.
        return self.connection.exec_driver_sql(_psycopg_placeholders(sql), params).all()

    def run(self, query: Query) -> _Found:
        found = _Found()
        # Clients a staged import committed or merged but has not indexed yet (nearly always none): what
        # the index says of merged ones is stale, their own rows answer instead (``owed.py``).
        owing = owed.owing(self) if query.kind is not QueryKind.TICKET else owed.Owing()
        fresh: set[int] = set()
        if query.kind is QueryKind.TICKET:
            self.find_ticket(found, query.ticket_number, hashed=True)
        elif query.kind is QueryKind.PHONE:
            self.find_phone(found, query)
            if owing.merged:
                owed.drop_stale(self, found)
            if owing:
                exact = exact_forms(query.text, query.digits, region=self.region)
                fresh |= owed.find_phones(self, found, exact, owing)
        elif query.kind is QueryKind.EMAIL:
            self.find_email(found, query.fragment)
            if owing.merged:
                owed.drop_stale(self, found)
            if owing:
                fresh |= owed.find_email(self, found, query.fragment, owing)
            if not found.clients and query.words:
                self.find_words(found, query.words)
        else:
            if self.postgres and len(query.words) == 1:
                self.email_wanted = _email_needle(query.words[0])
            self.find_words(found, query.words, short=query.kind is QueryKind.SHORT)
            if owing.merged:
                owed.drop_stale(self, found)
            if owing and query.kind is QueryKind.WORDS:
                fresh |= owed.find_words(self, found, query.words, owing)
            if not found.clients:
                swapped = classify(swap_layout(query.text))
                if swapped.kind in (QueryKind.WORDS, QueryKind.SHORT):
                    self.find_words(found, swapped.words, factor=LAYOUT_FACTOR, note="keyboard layout")
                elif swapped.kind is QueryKind.EMAIL:  # 'зуекщм"ьфшдюкг' is petrov@mail.ru
                    self.find_email(found, swapped.fragment)
            if not found.clients and query.kind is QueryKind.WORDS:
                self.find_words(found, query.words, typos=True)
            if not found.clients and query.kind is QueryKind.WORDS and len(query.words) > 1:
                # Never an empty answer when a one-edit reading matches: a typo may make another real
                # word ("gary" for "gray"), which the pass above keeps as typed. Try each word as the typo.
                for position in range(len(query.words)):
                    self.find_words(found, query.words, typo_word=position)
            if (
                len(found.clients) < self.limit
                and len(query.words) == 1
                and len(query.words[0]) >= MIN_FRAGMENT
            ):
                self.find_email(found, query.words[0], weak=True)
        if owing.merged:
            owed.drop_stale(self, found, keep=fresh)
        return found

    # --- tickets and phones ---------------------------------------------------------------------

    def find_ticket(self, found: _Found, number: int | None, *, hashed: bool) -> None:
        if number is None or number > 2**62:
            return
        for (ticket_number,) in self.rows("SELECT number FROM ticket WHERE number = :n", {"n": number}):
            score = SCORE_TICKET_HASH if hashed else SCORE_TICKET
            found.tickets[ticket_number] = _Candidate(score, f"ticket #{ticket_number}")

    def find_phone(self, found: _Found, query: Query) -> None:
        """Exact numbers, then numbers ending with the digits, then numbers containing them: every stored
        suffix is a row, so all three are one B-tree range scan per form the digits may stand for."""
        digits = query.digits
        exact = exact_forms(query.text, digits, region=self.region)
        if exact:
            for client_id, phone in self.rows(
                # PostgreSQL: through the function that hands the numbers out to the role (0021)
                "SELECT client_id, digits FROM hotline_phone_suffixes(CAST(:forms AS text[]))"
                if self.postgres
                else "SELECT s.client_id, o.digits FROM search_phone s CROSS JOIN search_phone_owner o"
                " WHERE o.phone_id = s.phone_id AND s.suffix IN :forms",
                {"forms": exact},
                expanding=() if self.postgres else ("forms",),
            ):
                if phone in exact:
                    found.add_client(client_id, SCORE_EXACT_PHONE, f"phone +{phone}")
        if len(digits) <= 12:
            self.find_ticket(found, query.ticket_number, hashed=False)
        for typed in suffix_forms(query.text, digits, region=self.region):
            for client_id, phone, suffix in self.rows(
                "SELECT client_id, digits, suffix FROM hotline_phone_range(:lo, :hi, :cap)"
                if self.postgres
                else "SELECT s.client_id, o.digits, s.suffix FROM search_phone s"
                " CROSS JOIN search_phone_owner o"
                " WHERE o.phone_id = s.phone_id AND s.suffix >= :lo AND s.suffix < :hi LIMIT :cap",
                {"lo": typed, "hi": after_prefix(typed), "cap": self.cap},
            ):
                if suffix == typed:
                    score = SCORE_PHONE_SUFFIX + min(len(typed), 15)
                    found.add_client(client_id, score, f"phone +{phone} ends with {typed}")
                elif len(typed) >= MIN_CONTAINS_DIGITS:
                    found.add_client(client_id, SCORE_PHONE_CONTAINS, f"phone +{phone} contains {typed}")

    # --- emails ---------------------------------------------------------------------------------

    def find_email(self, found: _Found, fragment: str, *, weak: bool = False) -> None:
        """Addresses with a part (the address, from its first local dot, ``@domain``, the domain) that
        starts with the fragment: one B-tree range scan."""
        needle = _email_needle(fragment)
        if needle is None:
            return
        rows = self.emails_ahead.pop(needle, None) if weak else None
        if rows is None:
            rows = self.rows(
                "SELECT client_id, address FROM hotline_email_parts(:lo, :hi, :cap)"
                if self.postgres
                else "SELECT client_id, address FROM search_email"
                " WHERE part >= :lo AND part < :hi LIMIT :cap",
                {"lo": needle, "hi": after_prefix(needle), "cap": self.cap},
            )
        for client_id, address in rows:
            if address == needle:
                score = SCORE_EMAIL_EXACT
            elif address.startswith(needle) or needle.startswith("@"):
                score = SCORE_EMAIL_PREFIX
            else:
                score = SCORE_EMAIL_CONTAINS
            if weak:
                score = SCORE_WORDS + 0.5 * WORD_SCALE
            found.add_client(client_id, score, f"email {address}")

    # --- words ----------------------------------------------------------------------------------

    def find_words(
        self,
        found: _Found,
        query_words: tuple[str, ...],
        *,
        short: bool = False,
        typos: bool = False,
        factor: float = 1.0,
        note: str = "",
        typo_word: int | None = None,
    ) -> None:
        """Clients matching every word; ``typos``: correct the words that match nothing; ``typo_word``:
        read that word (by position) only as its corrections, the others as typed."""
        if not query_words:
            return
        if (typos or typo_word is not None) and not short:
            self.probe_for_typos(query_words)
        alternatives = [
            self.word_alternatives(word, short=short, typos=typos, forced=position == typo_word)
            for position, word in enumerate(query_words)
        ]
        if any(not options for options in alternatives):
            return
        before = len(found.clients)
        for tier in _typo_tiers(alternatives):
            self.score_words(found, tier, self.word_rows(tier), factor=factor, note=note)
            if len(found.clients) - before >= self.cap:
                break  # the likelier reading filled the candidates the lower ones would compete for

    def word_rows(self, alternatives: list[list[WordOption]]) -> dict[int, list[tuple[str, str, str]]]:
        """The word rows of the clients matching every word, read once per lookup for the same words: a
        later pass (typos, another word as the typo) often asks again for what an earlier one found."""
        key = tuple(_options_key(options) for options in alternatives)
        known = self.fetched.get(key)
        if known is not None:
            return known
        fetch = self.fetch_candidates if self.postgres else self.sqlite_word_rows
        word_rows = fetch(alternatives)
        self.fetched[key] = word_rows
        return word_rows

    def sqlite_word_rows(self, alternatives: list[list[WordOption]]) -> dict[int, list[tuple[str, str, str]]]:
        """SQLite: the matching clients, then their word rows (in-process statements cost microseconds)."""

        def read(ids: list[int]) -> dict[int, list[tuple[str, str, str]]]:
            rows: dict[int, list[tuple[str, str, str]]] = {}
            for client_id, field_code, word, wkey in self.rows(
                "SELECT client_id, field, word, wkey FROM search_word WHERE client_id IN :ids",
                {"ids": ids},
                expanding=("ids",),
            ):
                rows.setdefault(client_id, []).append((field_code, word, wkey))
            return rows

        return self.words_of_clients(self.matching_clients(alternatives), read)

    def words_of_clients(
        self, ids: list[int], read: Callable[[list[int]], dict[int, list[tuple[str, str, str]]]]
    ) -> dict[int, list[tuple[str, str, str]]]:
        """The word rows of these clients (in this order, those with any), reading only the clients no
        earlier pass of this lookup has read."""
        new = [client_id for client_id in ids if client_id not in self.words_of]
        if new:
            self.words_of.update({client_id: [] for client_id in new})
            self.words_of.update(read(new))
        return {client_id: self.words_of[client_id] for client_id in ids if self.words_of[client_id]}

    def fetch_candidates(self, alternatives: list[list[WordOption]]) -> dict[int, list[tuple[str, str, str]]]:
        """PostgreSQL: the candidates' word rows, their lines kept for the result list (``pg_fetch``).

        One word: its scans, the word rows, the lines (and the weak email matches wanted) in one
        statement. Several words: the full-text match with the word rows of the candidates an earlier
        pass of this lookup has not read, in one statement; their lines are read at the end, only for
        those that can rank in the list (``client_lines``)."""
        if len(alternatives) > 1:
            return self.several_words_pg(alternatives)
        email, self.email_wanted = self.email_wanted, None
        sql, params = one_word_sql(alternatives[0], cap=self.cap, email=email)
        word_rows, email_rows = self.take_lines(self.rows(sql, params))
        self.words_of.update(word_rows)
        if email is not None:
            self.emails_ahead[email] = email_rows
        return word_rows

    def several_words_pg(self, alternatives: list[list[WordOption]]) -> dict[int, list[tuple[str, str, str]]]:
        """PostgreSQL: the candidates of several words (``matching_clients``) with their word rows."""
        if all(_too_short(option) for options in alternatives for option in options):
            ids = self.matching_clients(alternatives)
            return self.words_of_clients(ids, lambda new: self.read_words(*ids_words_sql(new)))
        complete = [[whole(option) for option in options] for options in alternatives[:-1]]
        found, params = self.readings_pg(complete + alternatives[-1:], alternatives)
        read = self.read_words(*words_sql(found, params, known=list(self.words_of)))
        return self.words_of_clients(list(read), lambda new: {number: read[number] for number in new})

    def read_words(self, sql: str, params: dict[str, Any]) -> dict[int, list[tuple[str, str, str]]]:
        """Client ids (in the order read) with their word rows (empty when not read)."""
        return {
            client_id: list(zip(fields, words, wkeys, strict=True)) if fields is not None else []
            for client_id, fields, words, wkeys in self.rows(sql, params)
        }

    def take_lines(
        self, rows: list[Any]
    ) -> tuple[dict[int, list[tuple[str, str, str]]], list[tuple[int, str]]]:
        """Keep the lines and contact points of fetched rows; the word rows of the word candidates and
        the email matches, each in the order fetched."""
        word_rows: dict[int, list[tuple[str, str, str]]] = {}
        email_rows: list[tuple[int, str]] = []
        for kind, client_id, address, fields, words, wkeys, *line in rows:
            line_id, name, last, organisation, open_count, phone, emails = line
            self.lines[client_id] = (
                None if line_id is None else (line_id, name, last, organisation, open_count)
            )
            self.line_contacts[client_id] = contact_line(phone, emails)
            if kind == KIND_WORD and fields is not None:
                word_rows[client_id] = list(zip(fields, words, wkeys, strict=True))
            elif kind == KIND_EMAIL:
                email_rows.append((client_id, address))
        return word_rows, email_rows

    def score_words(
        self,
        found: _Found,
        alternatives: list[list[WordOption]],
        word_rows: dict[int, list[tuple[str, str, str]]],
        *,
        factor: float = 1.0,
        note: str = "",
    ) -> None:
        """Add the clients whose word rows match every typed word (its ``alternatives``), scored."""
        matches = [WordMatch(options) for options in alternatives]
        for client_id, rows in word_rows.items():
            levels: list[float] = []
            notes: list[str] = []
            for match in matches:
                level, label = match.best(rows)
                if level <= 0:
                    break
                levels.append(level)
                notes.append(label)
            else:
                score = SCORE_WORDS + WORD_SCALE * factor * sum(levels) / len(levels)
                matched = ", ".join(dict.fromkeys(notes))
                found.add_client(client_id, score, f"{matched} ({note})" if note else matched)

    def word_alternatives(
        self, word: str, *, short: bool, typos: bool, forced: bool = False
    ) -> list[WordOption]:
        """Ways one typed word may match an index row: its own prefix, its keys, its corrections (when
        ``typos`` and nothing matches it as typed, or always when ``forced``)."""
        options = [WordOption("word", word, prefix=True, level=LEVEL_EXACT)]
        if short:
            return options
        for key in () if _held_down(word) else query_skeletons(word):
            if key:
                options.append(WordOption("wkey", key, prefix=True, level=LEVEL_TRANSLIT))
        if not (forced or typos) or not correctable(word):
            return options
        if forced or not self.any_word(options):
            terms = self.corrections(word)
            # Two letters swapped (the commonest slip) rank first, then other corrections of the word as
            # typed, then those found only through its spelling-blind key ("loew": "lowe", then "love").
            swaps = transpositions(word)
            options = [
                WordOption(column, term, prefix=False, level=_typo_level(word, term, swaps))
                for term in terms
                for column in ("word", "wkey")
            ]
        return options

    def probe_for_typos(self, words: tuple[str, ...]) -> None:
        """Whether each correctable word matches as typed (``any_word``) and its corrections, for every
        word at once, in one statement: the typo pass asks both for each word, and each word as the typo
        asks for its corrections (a round trip each was ~0.5 ms, half a short lookup's SQL)."""
        probes: list[str] = []
        params: dict[str, Any] = {}
        asked: list[tuple[tuple[tuple[str, str, bool], ...], ...]] = []
        forms_wanted: list[frozenset[str]] = []
        for number, word in enumerate(dict.fromkeys(words)):
            if not correctable(word):
                continue
            options = self.word_alternatives(word, short=False, typos=False)
            key = _options_key(options)
            if key not in self.words_exist and key not in asked:
                probe, probe_params = _exists_sql(options, tag=f"w{number}_")
                params.update(probe_params)
                probes.append(f"SELECT {len(asked)} AS n, {probe} AS hit, CAST(NULL AS text) AS term")
                asked.append(key)
            forms = _typed_forms(word)
            if forms not in self.corrections_of and forms not in forms_wanted:
                forms_wanted.append(forms)
        keys = sorted({dkey for forms in forms_wanted for form in forms for dkey in delete_keys(form)})
        if keys:
            # (typed NULLs: PostgreSQL makes an untyped one text under DISTINCT, which a boolean can't join)
            probes.append(
                "SELECT DISTINCT -1, CAST(NULL AS boolean), term FROM search_vocab WHERE dkey IN :keys"
            )
            params["keys"] = keys
        if not probes:
            return
        terms: set[str] = set()
        for number, hit, term in self.rows(
            " UNION ALL ".join(probes), params, expanding=("keys",) if keys else ()
        ):
            if number >= 0:
                self.words_exist[asked[number]] = bool(hit)
            else:
                terms.add(term)
        for forms in forms_wanted:
            self.corrections_of[forms] = _pick_corrections(forms, terms)

    def any_word(self, options: list[WordOption]) -> bool:
        """Whether any index row matches any option: one indexed probe per option (an OR inside one scan
        defeats the planner), all in one statement (a round trip each was most of their cost)."""
        key = _options_key(options)
        if key in self.words_exist:
            return self.words_exist[key]
        exists = False
        if options:
            probe, params = _exists_sql(options, tag="o")
            exists = bool(self.rows(f"SELECT {probe}", params)[0][0])
        self.words_exist[key] = exists
        return exists

    def corrections(self, word: str) -> list[str]:
        """Vocabulary terms (name words and their keys) one edit away from the word or its key (read by
        ``probe_for_typos``, which a typo pass runs first for all its words)."""
        forms = _typed_forms(word)
        if forms not in self.corrections_of:
            self.probe_for_typos((word,))
        return self.corrections_of[forms]

    def matching_clients(self, alternatives: list[list[WordOption]]) -> list[int]:
        """Clients with a row matching every typed word.

        One word is a range scan of the word B-trees; several words intersect posting lists in the
        full-text index of ``search_doc`` (FTS5 / tsvector), which stays fast when every word is common.
        While typing, the words before the last are usually complete: matching them whole first reads
        one posting list each instead of merging every word they begin (``борис`` without ``борисович``);
        only when that finds too few are all words taken as prefixes.
        """
        if len(alternatives) == 1:
            return self.matching_one_word(alternatives[0])
        if not self.postgres and not all(self.any_word(options) for options in alternatives):
            # A word that begins no indexed word (a typo): no full-text query can match, and each would
            # still expand the other words' prefixes (4-8 ms a statement at 1,000,000 clients in FTS5).
            return []
        if self.postgres and all(_too_short(option) for options in alternatives for option in options):
            # Only words of one or two letters ("ли а"): as prefixes in the full-text index each gathers
            # millions of clients (300-860 ms at 10,000,000). The longest word's B-tree scan gives the
            # candidates instead, and the scoring checks the other words on them.
            driver = max(alternatives, key=lambda options: max(len(option.value) for option in options))
            return self.matching_one_word(driver, cap=self.cap * SHORT_WORDS_FACTOR)
        complete = [[whole(option) for option in options] for options in alternatives[:-1]]
        found = self.matching_all(complete + alternatives[-1:])
        if len(found) < self.limit and complete != alternatives[:-1]:
            found = list(dict.fromkeys(found + self.matching_all(alternatives)))
        return found[: self.cap]

    def matching_all(self, alternatives: list[list[WordOption]]) -> list[int]:
        """Clients whose document holds a match for every word (one full-text query).

        On PostgreSQL a one- or two-letter prefix would union the posting lists of every lexeme it
        begins; such words are left to the scoring of a larger set of candidates instead.
        """
        if not self.postgres:
            groups = [
                "(" + " OR ".join(dict.fromkeys(fts_term(option) for option in options)) + ")"
                for options in alternatives
            ]
            sql = "SELECT rowid FROM search_doc_fts WHERE search_doc_fts MATCH :query LIMIT :cap"
            return [
                client_id for (client_id,) in self.rows(sql, {"query": " AND ".join(groups), "cap": self.cap})
            ]
        query, cap = self.ts_query(alternatives)
        # Planned without the LIMIT, the match goes through the GIN index: with it, PostgreSQL may bet
        # on a sequential scan finding enough rows early, which costs ~0.7 s when few rows match.
        sql = (
            "WITH matches AS MATERIALIZED"
            " (SELECT client_id FROM search_doc WHERE search_doc_prefixed(terms) @@ CAST(:query AS tsquery))"
            " SELECT client_id FROM matches LIMIT :cap"
        )
        return [client_id for (client_id,) in self.rows(sql, {"query": query, "cap": cap})]

    def readings_pg(
        self, complete: list[list[WordOption]], prefixed: list[list[WordOption]]
    ) -> tuple[str, dict[str, Any]]:
        """PostgreSQL: ``matching_all`` as the CTEs of one statement (ending with ``found``: client_id,
        pos), reading by reading, each read only while the ones before it leave places empty;
        first-found order, capped.

        1. The words as typed (the words before the last whole): a client it finds scores above one
           found only through a spelling-blind key (a key's level is below a prefix's; only matches in an
           organisation's name, weighed down, can tie), so when it fills the candidate places the keys
           are not read. Keys are common (``rose``, ``lau~``: tens of thousands of clients each at
           10,000,000), and merging their posting lists was most of a two-word lookup (``rosie law``:
           18.5 ms with the keys, 2.6 ms without, every page in memory).
        2. With the keys, when the first left candidate places empty.
        3. Every word as a prefix, when the first two found fewer than a page.
        """
        strict = [_as_typed(options) for options in complete]
        readings: dict[str, str] = {}  # tsquery: while what the readings before it found is below this
        for alternatives, wanted in [(strict, ""), (complete, ":cap"), (prefixed, ":page")]:
            if all(alternatives):  # a reading that asks what one before it asked is left out
                readings.setdefault(self.ts_query(alternatives)[0], wanted)
        params: dict[str, Any] = {"page": self.limit, "cap": self.ts_query(complete)[1]}
        ctes: list[str] = []
        for number, (query, wanted) in enumerate(readings.items()):
            params[f"q{number}"] = query
            earlier = " UNION ALL ".join(f"SELECT client_id FROM f{before}" for before in range(number))
            condition = (
                f" AND (SELECT count(DISTINCT client_id) FROM ({earlier}) e) < {wanted}" if number else ""
            )
            ctes += [
                f"r{number} AS MATERIALIZED (SELECT client_id FROM search_doc"
                f" WHERE search_doc_prefixed(terms) @@ CAST(:q{number} AS tsquery){condition})",
                f"f{number} AS (SELECT client_id, row_number() OVER () AS n"
                f" FROM (SELECT client_id FROM r{number} LIMIT :cap) s)",
            ]
        hits = " UNION ALL ".join(
            f"SELECT client_id, {number} AS o, n FROM f{number}" for number in range(len(readings))
        )
        # first-found order: a reading's rows after those of the readings before it
        ctes.append(
            f"found AS (SELECT client_id, min(o * {READING_SPAN} + n) AS pos FROM ({hits}) h"
            " GROUP BY client_id ORDER BY pos LIMIT :found_cap)"
        )
        params["found_cap"] = self.cap
        return f"WITH {', '.join(ctes)}", params

    def ts_query(self, alternatives: list[list[WordOption]]) -> tuple[str, int]:
        """The tsquery of the words and how many matches to read (see ``matching_all``)."""
        long_words = [options for options in alternatives if not all(_too_short(o) for o in options)]
        cap = self.cap
        if long_words and len(long_words) < len(alternatives):
            cap *= SHORT_WORDS_FACTOR  # the short words are checked on these candidates when they are scored
        else:
            long_words = alternatives
        query = " & ".join(
            "(" + " | ".join(dict.fromkeys(ts_term(option) for option in _long_enough(options))) + ")"
            for options in long_words
        )
        return query, cap

    def matching_one_word(self, options: list[WordOption], *, cap: int | None = None) -> list[int]:
        """Clients with a word (or key) matching one typed word: one capped B-tree range scan per option."""
        cap = cap or self.cap
        found: dict[int, None] = {}
        for option in options:
            where, params = option_sql("a", [option])
            params["cap"] = cap
            for (client_id,) in self.rows(
                f"SELECT a.client_id FROM search_word a WHERE {where} LIMIT :cap", params
            ):
                found[client_id] = None
            if len(found) >= cap:
                break
        return list(found)[:cap]

    # --- presentation ---------------------------------------------------------------------------

    def hits(self, found: _Found) -> list[Hit]:
        hits = self.ticket_hits(found.tickets)
        if found.clients:
            hits += self.client_hits(found.clients)
        hits.sort(key=lambda hit: -hit.score)
        return hits[: self.limit]

    def ticket_hits(self, tickets: dict[int, _Candidate]) -> list[Hit]:
        if not tickets:
            return []
        out = []
        for number, subject, status, client_name in self.rows(
            "SELECT t.number, t.subject, t.status, c.name FROM ticket t"
            " LEFT JOIN client c ON c.id = t.client_id"
            " WHERE t.number IN :numbers",
            {"numbers": sorted(tickets)},
            expanding=("numbers",),
        ):
            candidate = tickets[number]
            subtitle = " · ".join(part for part in (status, client_name) if part)
            out.append(
                Hit(
                    "ticket",
                    number,
                    _clean(f"#{number} {subject}"),
                    _clean(subtitle),
                    candidate.matched,
                    candidate.score,
                )
            )
        return out

    def client_hits(self, clients: dict[int, _Candidate]) -> list[Hit]:
        ids = sorted(clients)
        if self.postgres:
            return self.client_lines(clients, ids)
        details: dict[int, Any] = {}
        open_tickets: dict[int, int] = {}
        for row in self.rows(
            f"SELECT c.id, c.name, c.last_interaction_at, o.name, {open_count_sql('c.id')}"
            " FROM client c LEFT JOIN client o ON o.id = c.organisation_id WHERE c.id IN :ids",
            {"ids": ids},
            expanding=("ids",),
        ):
            details[row[0]] = row
            if row[4]:
                open_tickets[row[0]] = int(row[4])
        best = sorted(
            (client_id for client_id in ids if client_id in details),
            key=lambda client_id: _rank(clients, details, open_tickets, client_id),
        )[: self.limit]
        contacts = self.contacts(best)
        return [
            self.line(client_id, clients[client_id], details[client_id], open_tickets, contacts)
            for client_id in best
        ]

    def client_lines(self, clients: dict[int, _Candidate], ids: list[int]) -> list[Hit]:
        """PostgreSQL: the result lines from the lines fetched with the candidates (one statement for
        the clients found otherwise: by phone, by email), ranked as ``client_hits`` ranks them."""
        # Only a client scoring at least the limit-th best can be listed (the ties after the score are
        # broken by its line): the others' lines are not read, and of those without a line yet only the
        # limit best, ranked in SQL. A candidate without a client row (None) makes room for the next.
        by_score = sorted(ids, key=lambda client_id: -clients[client_id].score)
        while True:
            listable = [client_id for client_id in by_score if self.lines.get(client_id, ()) is not None]
            if len(listable) > self.limit:
                floor = clients[listable[self.limit - 1]].score
                listable = [client_id for client_id in listable if clients[client_id].score >= floor]
            missing = [client_id for client_id in listable if client_id not in self.lines]
            if not missing:
                break
            scores = [clients[client_id].score for client_id in missing]
            rows = self.rows(*ranked_lines_sql(missing, scores, self.limit))
            self.take_lines(rows)
            if len(rows) == self.limit:
                break  # the rest of the missing rank below these
            for client_id in missing:
                self.lines.setdefault(client_id, None)  # no such client
        details = {
            client_id: self.lines[client_id]
            for client_id in listable
            if self.lines.get(client_id) is not None
        }
        open_tickets = {client_id: int(row[4]) for client_id, row in details.items() if row[4]}
        best = sorted(details, key=lambda client_id: _rank(clients, details, open_tickets, client_id))
        return [
            self.line(client_id, clients[client_id], details[client_id], open_tickets, self.line_contacts)
            for client_id in best[: self.limit]
        ]

    def line(
        self,
        client_id: int,
        candidate: _Candidate,
        row: Any,
        open_tickets: dict[int, int],
        contacts: dict[int, list[str]],
    ) -> Hit:
        """One client's result line."""
        _, name, _, organisation, _ = row
        parts = [organisation or "", *contacts.get(client_id, [])]
        if open_tickets.get(client_id):
            parts.append(f"{open_tickets[client_id]} open")
        subtitle = " · ".join(part for part in parts if part)
        return Hit(
            "client",
            client_id,
            _clean(name),
            _clean(subtitle),
            _clean(candidate.matched),
            candidate.score,
        )

    def contacts(self, ids: list[int]) -> dict[int, list[str]]:
        if not ids:
            return {}
        out: dict[int, list[str]] = {}
        # One statement for both: the first phone, then the first email of each client.
        for client_id, source, _, value in self.rows(
            "SELECT client_id, 0 AS source, id, e164 FROM client_phone WHERE client_id IN :ids"
            " UNION ALL SELECT client_id, 1, id, address FROM client_email WHERE client_id IN :ids"
            " ORDER BY 2, 3",
            {"ids": ids},
            expanding=("ids",),
        ):
            if len(out.setdefault(client_id, [])) < 1 + source:
                out[client_id].append(value)
        return out


def _rank(
    clients: dict[int, _Candidate], details: dict[int, Any], open_tickets: dict[int, int], client_id: int
) -> tuple[float, int, float, int]:
    """Best score first, then more open tickets, then the latest interaction, then the id."""
    last = details[client_id][2]
    return (-clients[client_id].score, -open_tickets.get(client_id, 0), -_timestamp(last), client_id)


def _typo_tiers(alternatives: list[list[WordOption]]) -> list[list[list[WordOption]]]:
    """The words' alternatives split so that the likeliest reading of one corrected word is read first:
    its two-letters-swapped corrections, then its other ones. Several words with corrections, or one
    with a single kind of correction, are one tier. At 10,000,000 clients the corrections of a short
    word are common names (``ryna``: ryan, irina, nina, arina…) whose posting lists together cost 55 ms
    in the full-text index, where the swap alone (``ryan``) takes 9 ms and fills the candidates."""
    corrected = [
        position
        for position, options in enumerate(alternatives)
        if any(option.level <= LEVEL_TYPO for option in options)
    ]
    if len(corrected) != 1:
        return [alternatives]
    position = corrected[0]
    swaps = [option for option in alternatives[position] if option.level == LEVEL_TYPO]
    others = [option for option in alternatives[position] if option.level != LEVEL_TYPO]
    if not swaps or not others:
        return [alternatives]
    return [
        [swaps if number == position else options for number, options in enumerate(alternatives)],
        [others if number == position else options for number, options in enumerate(alternatives)],
    ]


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=512)
def _psycopg_placeholders(sql: str) -> str:
    """``:name`` as psycopg's ``%(name)s`` (a literal ``%`` doubled). The lookup's statements hold no
    ``:`` but their parameters and ``::`` casts (none: they use ``CAST``)."""
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


def _exists_sql(options: list[WordOption], *, tag: str) -> tuple[str, dict[str, Any]]:
    """Whether any index row matches any option, as one SQL expression: one indexed probe per option
    (an OR inside one scan defeats the planner)."""
    probes: list[str] = []
    params: dict[str, Any] = {}
    for number, option in enumerate(options):
        where, option_params = option_sql("a", [option], tag=f"{tag}{number}")
        params.update(option_params)
        probes.append(f"EXISTS (SELECT 1 FROM search_word a WHERE {where})")
    return " OR ".join(probes), params


def _typed_forms(word: str) -> frozenset[str]:
    """The forms a typed word is corrected from: as typed and its spelling-blind key."""
    return frozenset(form for form in (word, "" if _held_down(word) else skeleton(word)) if form)


_HELD_DOWN_RE = re.compile(r"(.)\1{3,}")


def _held_down(word: str) -> bool:
    """Four or more of one letter in a row (a key held down, gibberish): no name is spelt so. Its key
    would be that one letter ('ааааа' is 'a'), a prefix of every name beginning with it, so such a word
    is read as typed only ('ооо', three, is still a company's form)."""
    return _HELD_DOWN_RE.search(word) is not None


def _pick_corrections(typed: frozenset[str], terms: set[str]) -> list[str]:
    """Of vocabulary ``terms`` sharing a deletion key with a typed form, those one edit away from one:
    a swap of two adjacent letters (the commonest slip) first, then the rest, at most 20."""
    found = {
        term for term in terms if term not in typed and any(within_one_edit(form, term) for form in typed)
    }
    swaps = {swapped for form in typed for swapped in transpositions(form)}
    return sorted(found, key=lambda term: (term not in swaps, term))[:20]


def _options_key(options: list[WordOption]) -> tuple[tuple[str, str, bool], ...]:
    """What a word's options ask the index, as a key for what a lookup has already read."""
    return tuple((option.column, option.value, option.prefix) for option in options)


def _as_typed(options: list[WordOption]) -> list[WordOption]:
    """A word's options for the first reading of a several-word lookup (``readings_pg``): those on the
    word as typed, not its spelling-blind keys.

    A corrected word keeps all its options: a correction read through a key is as likely as one read as
    typed (the same level), and corrections are few. Its other words are read as typed first all the
    same: their keys' posting lists are long, and a client found with them as typed ranks above one
    found only through their keys, whatever the correction (``ryna edw`` at 10,000,000 clients: ``ryan``
    with ``edw~`` 2.2 ms, with ``edw~ | edv~ | edu~`` 7.0 ms, the same 135 clients). A word too short to
    be read as typed (``fx``, whose key ``fks`` is not) keeps its keys: alone it would make the reading
    a prefix scan of every term it begins (264 ms at 10,000,000 clients for ``kb[fx`d``)."""
    if any(option.level <= LEVEL_TYPO for option in options):
        return options
    typed = [option for option in options if option.column == "word"]
    if all(_too_short(option) for option in typed) and not all(_too_short(option) for option in options):
        return options
    return typed


def _long_enough(options: list[WordOption]) -> list[WordOption]:
    """A word's options for the full-text query: a prefix shorter than the shortest prefix lexeme (a
    spelling-blind key is often shorter than the word: ``анн`` is ``an``) is matched whole when the word
    has a longer option. As a prefix it would gather every client of every term it begins (145 ms at
    10,000,000 clients for ``мельникова анн``) for candidates the longer options find anyway; the scoring
    still reads it as a prefix."""
    if all(_too_short(option) for option in options):
        return options
    return [whole(option) if option.prefix and _too_short(option) else option for option in options]


def _too_short(option: WordOption) -> bool:
    """Shorter than the shortest prefix lexeme: as a PostgreSQL prefix it gathers every term it begins."""
    return len(option.value) < PREFIX_LEXEMES[0]


def _email_needle(fragment: str) -> str | None:
    """The fragment an email search looks for, or None when it is too short to be worth one."""
    needle = fragment.strip()
    if len(needle.replace("@", "").replace(".", "")) < 2 or len(needle) < MIN_FRAGMENT:
        return None
    return needle


def _typo_level(typed: str, term: str, swaps: set[str]) -> float:
    if term in swaps:
        return LEVEL_TYPO
    return LEVEL_EDIT_TYPO if within_one_edit(typed, term) else LEVEL_KEY_TYPO


def _timestamp(moment: datetime | str | None) -> float:
    if moment is None:
        return 0.0
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return 0.0
    return moment.timestamp()


def _clean(value: str | None) -> str:
    return " ".join(strip_controls(value or "").split())
