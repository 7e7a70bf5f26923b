"""The article search index on both backends: keep it current, rebuild it, and search it ranked.

SQLite ranks with FTS5's bm25 (title 10, tags 4, body 2, typed words 1); PostgreSQL with ``ts_rank`` over
the weighted tsvector (A 1.0, B 0.4, C 0.2, D 0.1), normalised by document length like bm25. Both see the
same stemmed document (``render.IndexedDocument``), so both find the same articles; ties go to the lower id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session, col, select

from hotline.core.db import driver_connection
from hotline.core.errors import InvalidInput
from hotline.core.kb.markdown import plain_text
from hotline.core.kb.query import ParsedQuery, parse
from hotline.core.kb.render import (
    PG_MAX_TSVECTOR_BYTES,
    IndexedDocument,
    to_fts5,
    to_rank_tsquery,
    to_tsquery,
)
from hotline.core.kb.snippets import Highlighted, Matcher, highlight, snippet
from hotline.core.models import KbArticle

SQLITE_TABLE = "search_kb_fts"
PG_TABLE = "search_kb"
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
REBUILD_BATCH = 1000
RANKED_AT_MOST = 1000
"""A query matching more articles than this ranks only the newest this-many (and says so): ranking every
match of a word found in most articles would cost time in proportion to the whole knowledge base."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One article found: what to list, how well it matched, and where (highlighted)."""

    article_id: int
    slug: str
    title: Highlighted
    snippet: Highlighted
    tags: tuple[str, ...]
    audience: str
    score: float
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The hits, best first, and a one-line hint when the query had to be repaired (or was hopeless)."""

    query: str
    hits: list[SearchHit]
    hint: str | None = None


def document_for(article: KbArticle) -> IndexedDocument:
    """What the index holds for an article."""
    return IndexedDocument.build(
        title=article.title, tags=[str(tag) for tag in article.tags], body_text=plain_text(article.body)
    )


def checked_document(*, title: str, tags: Sequence[str], body: str, where: str) -> IndexedDocument:
    """The article's index entry; ``InvalidInput`` when it has more different words than a PostgreSQL
    index row holds, refused on SQLite too: the same file must not import on one database and fail on
    the other."""
    document = IndexedDocument.build(title=title, tags=tags, body_text=plain_text(body))
    size = document.tsvector_bytes()
    if size > PG_MAX_TSVECTOR_BYTES:
        raise InvalidInput(
            f"too many words to index ({size:,} bytes in the index, at most {PG_MAX_TSVECTOR_BYTES:,}):"
            " split the article",
            where=where,
        )
    return document


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def index_articles(
    session: Session, articles: Sequence[KbArticle], documents: Sequence[IndexedDocument] | None = None
) -> int:
    """Write (or rewrite) the index rows of ``articles``; they must have ids (flushed). ``documents``, in
    the same order, are their entries when already built. Returns the count."""
    built = documents if documents is not None else [document_for(article) for article in articles]
    rows = [
        (article.id, document)
        for article, document in zip(articles, built, strict=True)
        if article.id is not None
    ]
    if not rows:
        return 0
    ids = [article_id for article_id, _ in rows]
    if _is_postgres(session):
        session.execute(
            text(
                f"INSERT INTO {PG_TABLE} (article_id, document) VALUES (:id, CAST(:document AS tsvector))"
                " ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            [{"id": article_id, "document": document.tsvector_literal()} for article_id, document in rows],
        )
        return len(rows)
    remove_from_index(session, ids)
    session.execute(
        text(
            f"INSERT INTO {SQLITE_TABLE} (rowid, title, tags, body, words)"
            " VALUES (:id, :title, :tags, :body, :words)"
        ),
        [
            {"id": i, "title": d.title, "tags": d.tags, "body": d.body, "words": d.fts5_words()}
            for i, d in rows
        ],
    )
    return len(rows)


def remove_from_index(session: Session, article_ids: Sequence[int]) -> None:
    """Drop the index rows of these articles (deleting an article does it by itself too)."""
    if not article_ids:
        return
    table, key = (PG_TABLE, "article_id") if _is_postgres(session) else (SQLITE_TABLE, "rowid")
    statement = text(f"DELETE FROM {table} WHERE {key} IN :ids").bindparams(bindparam("ids", expanding=True))
    session.execute(statement, {"ids": list(article_ids)})


def _fingerprint(article: KbArticle) -> bytes:
    """What an article's document is built from, in a digest: a prepared document is used only if this
    is unchanged (its bodies, up to 2 MiB each, are not kept in memory)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (article.title, "\x00".join(str(tag) for tag in article.tags or ()), article.body):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00\x01")
    return digest.digest()


def _batches(session: Session) -> Iterator[list[KbArticle]]:
    last_id = 0
    while True:
        batch = list(
            session.exec(
                select(KbArticle)
                .where(col(KbArticle.id) > last_id)
                .order_by(col(KbArticle.id))
                .limit(REBUILD_BATCH)
            )
        )
        if not batch:
            return
        yield batch
        last_id = batch[-1].id or last_id
        session.expunge_all()


def prepare_documents(session: Session) -> dict[int, tuple[bytes, IndexedDocument]]:
    """Every article's document, built (stemmed) in a reading transaction: ``rebuild_index`` then holds
    the write lock only to write them."""
    return {
        article.id: (_fingerprint(article), document_for(article))
        for batch in _batches(session)
        for article in batch
        if article.id is not None
    }


def rebuild_index(session: Session, prepared: dict[int, tuple[bytes, IndexedDocument]] | None = None) -> int:
    """Empty the index and index every article again, in batches; returns how many were indexed.
    ``prepared`` (``prepare_documents``) are documents built before; an article changed since is built
    again here."""
    session.execute(text(f"DELETE FROM {PG_TABLE if _is_postgres(session) else SQLITE_TABLE}"))
    total = 0
    for batch in _batches(session):
        documents = []
        for article in batch:
            ready = (prepared or {}).get(article.id or 0)
            fresh = ready is not None and ready[0] == _fingerprint(article)
            documents.append(ready[1] if ready is not None and fresh else document_for(article))
        total += index_articles(session, batch, documents)
    return total


def search(
    session: Session,
    query: str | ParsedQuery,
    *,
    limit: int = DEFAULT_LIMIT,
    audience: str | None = None,
) -> SearchResult:
    """The best ``limit`` articles for ``query``, with highlighted titles and snippets."""
    parsed = parse(query) if isinstance(query, str) else query
    if parsed.tree is None:
        return SearchResult(parsed.text, [], parsed.hint)
    limit = max(1, min(limit, MAX_LIMIT))
    hints = [parsed.hint] if parsed.hint else []
    if _is_postgres(session):
        candidates = _candidates_postgres(
            session, to_tsquery(parsed.tree), to_rank_tsquery(parsed.tree), audience
        )
    else:
        candidates = _candidates_sqlite(session, to_fts5(parsed.tree), audience)
    if len(candidates) > RANKED_AT_MOST:
        candidates = candidates[:RANKED_AT_MOST]
        hints.append(
            f"over {RANKED_AT_MOST:,} articles match; the newest {RANKED_AT_MOST:,} were ranked: add a word"
        )
    ranked = sorted(candidates, key=lambda item: (-item[1], item[0]))[:limit]
    columns = (KbArticle.id, KbArticle.slug, KbArticle.title, KbArticle.body, KbArticle.tags)
    columns += (KbArticle.audience, KbArticle.updated_at)
    # Plain rows, not ORM objects: this is the hot path of a search.
    statement = select(*columns).where(col(KbArticle.id).in_([article_id for article_id, _ in ranked]))
    articles = {row[0]: row for row in session.connection().execute(statement)}
    matcher = Matcher(parsed.positive_terms())
    hits = [
        _hit(articles[article_id], score, matcher) for article_id, score in ranked if article_id in articles
    ]
    return SearchResult(parsed.text, hits, "; ".join(hints) or None)


def _candidates_sqlite(session: Session, match: str, audience: str | None) -> list[tuple[int, float]]:
    """``(id, score)`` of the newest ``RANKED_AT_MOST + 1`` matches, newest first, in one pass of FTS5."""
    join = "" if audience is None else " JOIN kb_article a ON a.id = f.rowid AND a.audience = :audience"
    sql = (
        f"SELECT f.rowid, -f.rank FROM {SQLITE_TABLE} f{join} WHERE {SQLITE_TABLE} MATCH :match"
        " ORDER BY f.rowid DESC LIMIT :cap"
    )
    # Straight through the driver's cursor: up to a thousand rows, and SQLAlchemy's per-row work (result
    # proxies, processors) would cost more than FTS5 itself. The session's own connection, so the same
    # transaction.
    cursor = driver_connection(session.connection()).cursor()
    try:
        cursor.execute(sql, {"match": match, "audience": audience, "cap": RANKED_AT_MOST + 1})
        return cursor.fetchall()
    finally:
        cursor.close()


def _candidates_postgres(
    session: Session, tsquery: str, rank_tsquery: str, audience: str | None
) -> list[tuple[int, float]]:
    """The same on PostgreSQL, scored by ``ts_rank`` (the positive terms, normalised by length)."""
    join = " JOIN kb_article a ON a.id = s.article_id AND a.audience = :audience" if audience else ""
    sql = (
        f"SELECT s.article_id, ts_rank(s.document, q.rank_query, 1) AS score"
        f" FROM {PG_TABLE} s{join},"
        " (SELECT CAST(:tsquery AS tsquery) AS query, CAST(:rank_tsquery AS tsquery) AS rank_query) q"
        " WHERE s.document @@ q.query ORDER BY s.article_id DESC LIMIT :cap"
    )
    parameters = {
        "tsquery": tsquery,
        "rank_tsquery": rank_tsquery,
        "audience": audience,
        "cap": RANKED_AT_MOST + 1,
    }
    rows = session.execute(text(sql), parameters)
    return [(int(row[0]), float(row[1])) for row in rows]


_LINK_TAIL_RE = re.compile(r"\]\([^)\s]*\)?")


def plain_window(markdown: str) -> str:
    """A piece cut from a Markdown body as plain text, including links and images cut in half."""
    text = _LINK_TAIL_RE.sub("]", plain_text(markdown))
    closing, opening = text.find("]"), text.find("[")
    if closing >= 0 and (opening < 0 or closing < opening):
        text = text[:closing] + text[closing + 1 :]
    opening, closing = text.rfind("["), text.rfind("]")
    if opening > closing:
        text = text[:opening] + text[opening + 1 :].removeprefix("!")
    return text.replace("![", "")


def _hit(row: Any, score: float, matcher: Matcher) -> SearchHit:
    article_id, slug, title, body, tags, audience, updated_at = row
    return SearchHit(
        article_id=article_id,
        slug=slug,
        title=highlight(title, matcher),
        snippet=snippet(body, matcher, clean=plain_window),
        tags=tuple(str(tag) for tag in tags or ()),
        audience=audience,
        score=score,
        updated_at=updated_at,
    )
