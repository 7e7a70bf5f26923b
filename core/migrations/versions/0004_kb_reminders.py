"""knowledge base and reminders (issue 8): the article search index on both backends.

SQLite: an FTS5 table ``search_kb_fts`` (stemmed title, tags, body and the typed words; rowid = article id;
prefix indexes of 2 to 10 letters),
with a trigger that drops an article's row when the article is deleted.
PostgreSQL: ``search_kb`` (article id, a weighted tsvector written by the service) with a GIN index.
Both are derived data, filled by ``hotline.core.kb.index`` (the stemming is done in Python, the same for
both); their names start with ``search_`` so schema comparisons leave them out.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SQLITE_PREFIXES = "2 3 4 5 6 7 8 9 10"
"""Prefix lengths FTS5 keeps ready-merged: ``word*`` as typed (a typed word is stored behind a one-letter
mark, so ``printi*`` looks up the 7-letter prefix). A longer prefix than these is merged from every word
that begins so, at each search and again for its bm25 weight: at 100,000 articles 10-50 ms for a common
word. The index grows about half (380 → 595 MB there)."""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(
            "CREATE TABLE search_kb (article_id INTEGER PRIMARY KEY REFERENCES kb_article (id) ON DELETE CASCADE,"
            " document TSVECTOR NOT NULL)"
        )
        bind.exec_driver_sql("CREATE INDEX search_kb_document ON search_kb USING gin (document)")
        return
    bind.exec_driver_sql(
        "CREATE VIRTUAL TABLE search_kb_fts USING fts5(title, tags, body, words,"
        f" tokenize = 'unicode61 remove_diacritics 0', prefix = '{SQLITE_PREFIXES}')"
    )
    bind.exec_driver_sql(
        "INSERT INTO search_kb_fts (search_kb_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 2.0, 1.0)')"
    )
    bind.exec_driver_sql(
        "CREATE TRIGGER search_kb_fts_article_deleted AFTER DELETE ON kb_article"
        " BEGIN DELETE FROM search_kb_fts WHERE rowid = old.id; END"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP TABLE IF EXISTS search_kb")
        return
    bind.exec_driver_sql("DROP TRIGGER IF EXISTS search_kb_fts_article_deleted")
    bind.exec_driver_sql("DROP TABLE IF EXISTS search_kb_fts")
