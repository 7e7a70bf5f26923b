"""Lookup of the clients a staged import committed but has not indexed yet (``search.pending``).

A big import on SQLite commits its clients first and their lookup-index rows over the next seconds: a
marker ``search-pending:FIRST-LAST`` names the clients still owed. Until it is gone, a lookup also reads
those clients' own rows, each probe bounded by the range of ids: an exact phone by ``client_phone.e164``,
an exact address by ``client_email.address`` (both indexed), and name words by a scan of the range's
``client`` rows (ids are the primary key: some 15-50 ms for 100,000) for names holding each typed word
as written (any case, ``ё`` as ``е``). The candidates are then scored exactly as the index scores them,
from the word rows the index would hold (``search.index.word_rows``), so a just-imported client ranks
where it will once indexed. Not covered until the index catches up: transliterated or misspelt names, a
word only in the first, middle or last name field and not in the name, and number or address fragments
(the index's suffix and prefix searches). PostgreSQL never owes rows (no staged path).

An update import owes the clients it merged (``search_owed``, ``search.pending.owe_clients``): their
index rows still hold the old names and numbers until rebuilt. The lookup then leaves whatever the index
found of them aside (``drop_stale``) and finds them by their own rows, as it does a range's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hotline.core.search.index import word_rows
from hotline.core.search.pending import MARKER_PREFIX

if TYPE_CHECKING:
    from hotline.core.search.engine import _Found, _Search

_AFTER_PREFIX = MARKER_PREFIX[:-1] + chr(ord(MARKER_PREFIX[-1]) + 1)


@dataclass(frozen=True)
class Owing:
    """What the index does not answer for yet: ranges of new clients, and whether any merged client
    (``search_owed``) waits for its rows to be rebuilt."""

    ranges: list[tuple[int, int]] = field(default_factory=list)
    merged: bool = False

    def __bool__(self) -> bool:
        return bool(self.ranges) or self.merged

    def scopes(self, column: str) -> list[tuple[str, dict[str, int]]]:
        """A condition on ``column`` (a client id) per part of what is owed, with its parameters."""
        scopes = [
            (f"{column} BETWEEN :first AND :last", {"first": first, "last": last})
            for first, last in self.ranges
        ]
        if self.merged:
            scopes.append((f"{column} IN (SELECT client_id FROM search_owed)", {}))
        return scopes


def owing(search: _Search) -> Owing:
    """The owed ranges and whether any merged client is owed: two probes of a key, nearly always empty."""
    if search.postgres:
        return Owing()
    merged = bool(search.rows("SELECT 1 FROM search_owed LIMIT 1", {}))
    return Owing(owed_ranges(search), merged)


def drop_stale(search: _Search, found: _Found, *, keep: set[int] | frozenset[int] = frozenset()) -> None:
    """Forget what the index found of merged clients still owed their rows (their old names and numbers),
    except ``keep``: those the owed lookups found by their own rows."""
    candidates = [client_id for client_id in found.clients if client_id not in keep]
    if not candidates:
        return
    for (client_id,) in search.rows(
        "SELECT client_id FROM search_owed WHERE client_id IN :ids", {"ids": candidates}, expanding=("ids",)
    ):
        del found.clients[client_id]


def owed_ranges(search: _Search) -> list[tuple[int, int]]:
    """The (first, last) client ids still owed index rows: one probe of ``counter``'s key, nearly always
    empty."""
    if search.postgres:
        return []
    rows = search.rows(
        "SELECT name FROM counter WHERE name > :lo AND name < :hi", {"lo": MARKER_PREFIX, "hi": _AFTER_PREFIX}
    )
    ranges = []
    for (name,) in rows:
        first, _, last = name.removeprefix(MARKER_PREFIX).partition("-")
        ranges.append((int(first), int(last)))
    return ranges


def find_phones(search: _Search, found: _Found, exact: list[str], owing: Owing) -> set[int]:
    """Owed clients with one of the ``exact`` numbers (E.164 digits), scored as the index's exact match;
    returns their ids."""
    from hotline.core.search.engine import SCORE_EXACT_PHONE

    ids: set[int] = set()
    if not exact:
        return ids
    for condition, params in owing.scopes("client_id"):
        for client_id, digits in search.rows(
            f"SELECT client_id, digits FROM client_phone WHERE e164 IN :forms AND {condition}",
            {"forms": ["+" + form for form in exact], **params},
            expanding=("forms",),
        ):
            if digits in exact:
                found.add_client(client_id, SCORE_EXACT_PHONE, f"phone +{digits}")
                ids.add(client_id)
    return ids


def find_email(search: _Search, found: _Found, needle: str, owing: Owing) -> set[int]:
    """Owed clients with exactly this address, scored as the index's exact match; returns their ids."""
    from hotline.core.search.engine import SCORE_EMAIL_EXACT

    ids: set[int] = set()
    for condition, params in owing.scopes("client_id"):
        for client_id, address in search.rows(
            f"SELECT client_id, address FROM client_email WHERE address = :a AND {condition}",
            {"a": needle.strip(), **params},
        ):
            found.add_client(client_id, SCORE_EMAIL_EXACT, f"email {address}")
            ids.add(client_id)
    return ids


def find_words(search: _Search, found: _Found, query_words: tuple[str, ...], owing: Owing) -> set[int]:
    """Owed clients whose names hold every typed word, scored from the word rows the index would hold;
    returns the ids of those it scored."""
    if not query_words:
        return set()
    conditions, params = [], {}
    for position, word in enumerate(query_words):
        patterns = _patterns(word)
        params.update({f"w{position}_{number}": pattern for number, pattern in enumerate(patterns)})
        alternatives = " OR ".join(
            f"c.name LIKE :w{position}_{number} ESCAPE '\\'" for number in range(len(patterns))
        )
        conditions.append(f"({alternatives})")
    rows = []
    for condition, scope in owing.scopes("c.id"):
        rows += search.rows(
            "SELECT c.id, c.name, c.first_name, c.middle_name, c.last_name, o.name FROM client c"
            " LEFT JOIN client o ON o.id = c.organisation_id"
            f" WHERE {condition} AND {' AND '.join(conditions)} LIMIT :cap",
            {**params, **scope, "cap": search.cap},
        )
    if not rows:
        return set()
    alternatives = [search.word_alternatives(word, short=False, typos=False) for word in query_words]
    scored = {row[0]: [(field, word, key) for _, field, word, key in word_rows(row)] for row in rows}
    before = {client_id: found.clients.get(client_id) for client_id in scored}
    search.score_words(found, alternatives, scored)
    return {client_id for client_id in scored if found.clients.get(client_id) is not before[client_id]}


def _patterns(word: str) -> list[str]:
    """``LIKE`` patterns of the names that may hold the folded ``word``: LIKE ignores the case of ASCII
    letters only, so a word in another script is looked for with any first letter (a capital) and in
    capitals; ``е`` stands for ``ё`` too (the index folds it). Candidates only: each is then scored."""
    forms = [_escaped(word)] if word.isascii() else ["_" + _escaped(word[1:]), _escaped(word.upper())]
    return [f"%{form.replace('е', '_').replace('Е', '_')}%" for form in forms]


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


__all__ = ["Owing", "drop_stale", "find_email", "find_phones", "find_words", "owed_ranges", "owing"]
