"""prefix lexemes in the PostgreSQL lookup index (issue 19): the GIN index of ``search_doc`` is rebuilt over
``search_doc_prefixed(terms)``, the terms with their prefixes of 3 to 16 letters as lexemes of their own,
so a several-word lookup whose last word is being typed intersects exact posting lists instead of
gathering every client of every word the prefix begins (``search/schema.py``). Derived data: the table is
unchanged, only its index; at 10,000,000 clients the index takes some minutes to build. SQLite (FTS5
prefix indexes) is unchanged.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

from hotline.core.search.schema import prefixed_function_sql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(prefixed_function_sql())
    op.execute("DROP INDEX IF EXISTS search_doc_terms")
    # IF NOT EXISTS: a database made from scratch got it already (the lookup schema's migration creates
    # the index as ``search/schema.py`` defines it today).
    op.execute(
        "CREATE INDEX IF NOT EXISTS search_doc_prefixed ON search_doc USING gin (search_doc_prefixed(terms))"
    )
    # Statistics of the new expression: without them its estimates are defaults (100,000 rows for any
    # lexeme at 10,000,000 clients), which made the planner choose parallel plans.
    op.execute("ANALYZE search_doc")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS search_doc_prefixed")
    op.execute("CREATE INDEX IF NOT EXISTS search_doc_terms ON search_doc USING gin (terms)")
    op.execute("DROP FUNCTION IF EXISTS search_doc_prefixed(tsvector)")
