"""prefix indexes of 4 to 6 letters in SQLite's full-text lookup table (issue 19): FTS5 kept prefix
indexes of 1 to 3 letters only, so a typed prefix of 4 or more (``марк*``, ``викт*``) was expanded into
every term it begins, in every full-text statement of a two-word lookup (4-8 ms each at 1,000,000
clients). The table is derived data: it is made again with the new prefix lengths and rebuilt from
``search_doc`` (6 s at 1,000,000 clients). PostgreSQL (prefix lexemes, 0015) is unchanged.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_TABLE = (
    "CREATE VIRTUAL TABLE search_doc_fts USING fts5(terms, content='search_doc',"
    " content_rowid='client_id', tokenize='unicode61 remove_diacritics 0', prefix='{prefixes}',"
    " detail='none')"
)


def _remake(prefixes: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    wanted = _TABLE.format(prefixes=prefixes)
    current = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'search_doc_fts'"
    ).scalar()
    if current == wanted:
        return  # a database made from scratch has it already (the lookup schema is made from live code)
    op.execute("DROP TABLE IF EXISTS search_doc_fts")
    op.execute(wanted)
    op.execute("INSERT INTO search_doc_fts(search_doc_fts) VALUES ('rebuild')")


def upgrade() -> None:
    _remake("1 2 3 4 5 6")


def downgrade() -> None:
    _remake("1 2 3")
