"""The lookup's fused statements on PostgreSQL: candidates with everything the result list shows.

Each statement of a lookup is a round trip (through PgBouncer, two hops and three processes woken), and
at 500 operators on two cores the round trips, not the index probes, were most of a keystroke's time.
So on PostgreSQL one statement returns, for the candidates of a word: the ranked candidate ids (every
option's capped range scan, first-seen order kept, as the separate scans gave them), each candidate's
word rows (as arrays, for the scoring in Python), the client's line (name, organisation, last
interaction, open tickets) and its first contact points (through migration 0021's functions, which
hand them out to the role: ``contact_handout``); and, for a one-word query, the weak email
matches the lookup adds when words find too few, speculatively, with their lines too. A keystroke is
then one statement after the planner settings (which ride with ``BEGIN``). Several words: the full-text
match with the candidates' word rows, then, once at the end of the lookup, the lines of only those that
can rank in the list (a typo lookup's passes each read their lines before). SQLite runs in-process,
where a statement costs microseconds: it keeps the separate statements.
"""

from __future__ import annotations

from typing import Any

from hotline.core.models.enums import OPEN_STATUSES
from hotline.core.search.matching import WordOption, after_prefix, option_sql

KIND_WORD = "w"
KIND_EMAIL = "e"
KIND_DETAILS = "d"

_OPEN_LIST = ", ".join(f"'{status.value}'" for status in OPEN_STATUSES)


def open_count_sql(client: str) -> str:
    """The number of open tickets of ``client`` (a column), NULL with none (both backends). Counted with
    a CASE over the client's tickets: given a status filter, planners prefer the status index and scan
    every open ticket."""
    return (
        f"(SELECT sum(CASE WHEN t.status IN ({_OPEN_LIST}) THEN 1 ELSE 0 END)"
        f" FROM ticket t WHERE t.client_id = {client})"
    )


# One row per found client: what it was found by, its word rows, its line, its first contact points.
# A client with no phone shows its first two addresses.
_LINES = (
    " SELECT f.kind, f.client_id, f.address, w.fields, w.words, w.wkeys,"
    " c.id, c.name, c.last_interaction_at, o.name,"
    f" {open_count_sql('c.id')}, k.phone, k.emails"
    " FROM found f"
    " LEFT JOIN LATERAL (SELECT array_agg(s.field) AS fields, array_agg(s.word) AS words,"
    "  array_agg(s.wkey) AS wkeys FROM search_word s"
    f"  WHERE s.client_id = f.client_id AND f.kind = '{KIND_WORD}') w ON true"
    " LEFT JOIN client c ON c.id = f.client_id"
    " LEFT JOIN client o ON o.id = c.organisation_id"
    # the contact points, handed out to the role (``contact_handout``) by the function that reads them
    " LEFT JOIN hotline_contact_lines(ARRAY(SELECT DISTINCT client_id FROM found)) k ON k.client_id = c.id"
    " ORDER BY f.kind, f.pos"
)


def one_word_sql(options: list[WordOption], *, cap: int, email: str | None) -> tuple[str, dict[str, Any]]:
    """Candidates of one typed word (each option a capped range scan of the word B-trees, the ids kept
    in the order the scans found them, at most ``cap``), and the ``email`` prefix matches when given."""
    params: dict[str, Any] = {"cap": cap}
    scans = []
    for number, option in enumerate(options):
        where, option_params = option_sql("a", [option], tag=f"o{number}")
        params.update(option_params)
        scans.append(
            f"o{number} AS (SELECT client_id, row_number() OVER () AS n"
            f" FROM (SELECT a.client_id FROM search_word a WHERE {where} LIMIT :cap) s)"
        )
    hits = " UNION ALL ".join(
        f"SELECT client_id, {number} AS o, n FROM o{number}" for number in range(len(options))
    )
    span = cap + 1  # positions of the first option's rows, then the second's...
    ctes = [
        *scans,
        f"hits AS ({hits})",
        f"ids AS (SELECT client_id, min(o * {span} + n) AS pos FROM hits GROUP BY client_id"
        " ORDER BY pos LIMIT :cap)",
    ]
    found = f"SELECT '{KIND_WORD}' AS kind, client_id, pos, NULL AS address FROM ids"
    if email is not None:
        ctes.append(
            "mails AS (SELECT client_id, address, row_number() OVER () AS n"
            " FROM hotline_email_parts(:e_lo, :e_hi, :cap) m)"
        )
        params.update({"e_lo": email, "e_hi": after_prefix(email)})
        found += f" UNION ALL SELECT '{KIND_EMAIL}', client_id, n, address FROM mails"
    ctes.append(f"found AS ({found})")
    return "WITH " + ", ".join(ctes) + _LINES, params


def ranked_lines_sql(ids: list[int], scores: list[float], limit: int) -> tuple[str, dict[str, Any]]:
    """The lines of the ``limit`` best of these clients, ranked as the result list ranks them (score,
    then open tickets, then the latest interaction, then the id): a client's open tickets and last
    interaction are read for each, its contacts and organisation only for those ranked in."""
    ranked = (
        "WITH x AS (SELECT client_id, score FROM unnest(CAST(:ids AS integer[]),"
        " CAST(:scores AS double precision[])) AS x(client_id, score)),"
        " ranked AS (SELECT x.client_id, row_number() OVER (ORDER BY x.score DESC,"
        "  coalesce(t.open_count, 0) DESC, coalesce(extract(epoch FROM c.last_interaction_at), 0) DESC,"
        "  x.client_id) AS pos"
        "  FROM x JOIN client c ON c.id = x.client_id CROSS JOIN LATERAL"
        f"  (SELECT {open_count_sql('x.client_id')} AS open_count) t),"
        f" found AS (SELECT '{KIND_DETAILS}' AS kind, client_id, pos, NULL AS address FROM ranked"
        " WHERE pos <= :limit)"
    )
    return ranked + _LINES, {"ids": list(ids), "scores": list(scores), "limit": limit}


# The word rows of a several-word lookup's candidates (``found``: client_id, pos), without their lines:
# the scoring needs every candidate's words, the list only the lines of those that can rank in it, which
# are read once at the end (``ranked_lines_sql``). The word rows of a client read earlier in the lookup
# (``:known``) are not read again.
_WORDS = (
    " SELECT f.client_id, w.fields, w.words, w.wkeys FROM found f"
    " LEFT JOIN LATERAL (SELECT array_agg(s.field) AS fields, array_agg(s.word) AS words,"
    "  array_agg(s.wkey) AS wkeys FROM search_word s"
    "  WHERE s.client_id = f.client_id AND f.client_id <> ALL (CAST(:known AS integer[]))) w ON true"
    " ORDER BY f.pos"
)


def words_sql(found: str, params: dict[str, Any], *, known: list[int]) -> tuple[str, dict[str, Any]]:
    """The candidates a statement's CTEs find (``found``: ``WITH …, found AS (client_id, pos)``), with
    the word rows of those not ``known``."""
    return found + _WORDS, {**params, "known": known}


def ids_words_sql(ids: list[int]) -> tuple[str, dict[str, Any]]:
    """These clients (in this order) with their word rows."""
    found = (
        "WITH found AS (SELECT x.client_id, x.pos"
        " FROM unnest(CAST(:ids AS integer[])) WITH ORDINALITY AS x(client_id, pos))"
    )
    return words_sql(found, {"ids": list(ids)}, known=[])


def contact_line(phone: str | None, emails: list[str] | None) -> list[str]:
    """The contact points a result line shows: the first phone and the first address, or without a
    phone the first two addresses."""
    emails = list(emails or [])
    return [phone, *emails[:1]] if phone is not None else emails[:2]
