"""The article search index on both backends: keep it current, rebuild it, and search it ranked.

SQLite ranks with FTS5's bm25 (title 10, tags 4, body 2, typed words 1); PostgreSQL with ``ts_rank`` over
the weighted tsvector (A 1.0, B 0.4, C 0.2, D 0.1), normalised by document length like bm25. Both see the
same stemmed document (``render.IndexedDocument``), so both find the same articles; ties go to the lower id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlmodel import Session, col, select

from hotline.core.kb.markdown import plain_text
from hotline.core.kb.query import ParsedQuery, parse
from hotline.core.kb.render import IndexedDocument, to_fts5, to_rank_tsquery, to_tsquery
from hotline.core.kb.snippets import Highlighted, Matcher, highlight, snippet
from hotline.core.models import KbArticle

SQLITE_TABLE = "search_kb_fts"
PG_TABLE = "search_kb"
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
REBUILD_BATCH = 1000


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


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def index_articles(session: Session, articles: Iterable[KbArticle]) -> int:
    """Write (or rewrite) the index rows of ``articles``; they must have ids (flushed). Returns the count."""
    rows = [(article.id, document_for(article)) for article in articles if article.id is not None]
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
        [{"id": i, "title": d.title, "tags": d.tags, "body": d.body, "words": d.words} for i, d in rows],
    )
    return len(rows)


def remove_from_index(session: Session, article_ids: Sequence[int]) -> None:
    """Drop the index rows of these articles (deleting an article does it by itself too)."""
    if not article_ids:
        return
    table, key = (PG_TABLE, "article_id") if _is_postgres(session) else (SQLITE_TABLE, "rowid")
    statement = text(f"DELETE FROM {table} WHERE {key} IN :ids").bindparams(bindparam("ids", expanding=True))
    session.execute(statement, {"ids": list(article_ids)})


def rebuild_index(session: Session) -> int:
    """Empty the index and index every article again, in batches; returns how many were indexed."""
    session.execute(text(f"DELETE FROM {PG_TABLE if _is_postgres(session) else SQLITE_TABLE}"))
    total, last_id = 0, 0
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
            break
        total += index_articles(session, batch)
        last_id = batch[-1].id or last_id
        session.expunge_all()
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
    if _is_postgres(session):
        ranked = _ranked_postgres(
            session, to_tsquery(parsed.tree), to_rank_tsquery(parsed.tree), limit, audience
        )
    else:
        ranked = _ranked_sqlite(session, to_fts5(parsed.tree), limit, audience)
    articles = {
        article.id: article
        for article in session.exec(select(KbArticle).where(col(KbArticle.id).in_([i for i, _ in ranked])))
    }
    matcher = Matcher(parsed.positive_terms())
    hits = [
        _hit(articles[article_id], score, matcher) for article_id, score in ranked if article_id in articles
    ]
    return SearchResult(parsed.text, hits, parsed.hint)


def _ranked_sqlite(session: Session, match: str, limit: int, audience: str | None) -> list[tuple[int, float]]:
    if audience is None:
        sql = (
            f"SELECT rowid, rank FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH :match"
            " ORDER BY rank, rowid LIMIT :limit"
        )
    else:
        sql = (
            f"SELECT f.rowid, f.rank FROM {SQLITE_TABLE} f JOIN kb_article a ON a.id = f.rowid"
            f" WHERE {SQLITE_TABLE} MATCH :match AND a.audience = :audience"
            " ORDER BY f.rank, f.rowid LIMIT :limit"
        )
    rows = session.execute(text(sql), {"match": match, "limit": limit, "audience": audience})
    return [(int(row[0]), -float(row[1])) for row in rows]


def _ranked_postgres(
    session: Session, tsquery: str, rank_tsquery: str, limit: int, audience: str | None
) -> list[tuple[int, float]]:
    join = " JOIN kb_article a ON a.id = s.article_id AND a.audience = :audience" if audience else ""
    sql = (
        f"SELECT s.article_id, ts_rank(s.document, q.rank_query, 1) AS score"
        f" FROM {PG_TABLE} s{join},"
        " (SELECT CAST(:tsquery AS tsquery) AS query, CAST(:rank_tsquery AS tsquery) AS rank_query) q"
        " WHERE s.document @@ q.query ORDER BY score DESC, s.article_id LIMIT :limit"
    )
    parameters = {"tsquery": tsquery, "rank_tsquery": rank_tsquery, "limit": limit, "audience": audience}
    rows = session.execute(text(sql), parameters)
    return [(int(row[0]), float(row[1])) for row in rows]


def _hit(article: KbArticle, score: float, matcher: Matcher) -> SearchHit:
    assert article.id is not None
    return SearchHit(
        article_id=article.id,
        slug=article.slug,
        title=highlight(article.title, matcher),
        snippet=snippet(plain_text(article.body), matcher),
        tags=tuple(str(tag) for tag in article.tags),
        audience=article.audience,
        score=score,
        updated_at=article.updated_at,
    )
