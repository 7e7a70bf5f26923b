"""short-word typos (issue 19): the typo vocabulary also holds the one-letter-deleted forms of
four-letter name words and keys, so a slip in a short surname (``hotl`` for ``holt``) is corrected. No
table changes: the rows are added for the words already indexed (a rebuild makes the same).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SHORT_LENGTH = 4
BATCH = 5_000


def _delete_keys(word: str) -> set[str]:
    return {word} | {word[:position] + word[position + 1 :] for position in range(len(word))}


def upgrade() -> None:
    bind = op.get_bind()
    terms = [
        term
        for (term,) in bind.execute(
            text(
                "SELECT word FROM search_word WHERE length(word) = :n"
                " UNION SELECT wkey FROM search_word WHERE length(wkey) = :n"
            ),
            {"n": SHORT_LENGTH},
        )
        if term.isalpha()
    ]
    rows = sorted({(key, term) for term in terms for key in _delete_keys(term)})
    verb, tail = (
        ("INSERT", " ON CONFLICT DO NOTHING")
        if bind.dialect.name == "postgresql"
        else ("INSERT OR IGNORE", "")
    )
    statement = text(f"{verb} INTO search_vocab (dkey, term) VALUES (:d, :t){tail}")
    for start in range(0, len(rows), BATCH):
        bind.execute(statement, [{"d": d, "t": t} for d, t in rows[start : start + BATCH]])


def downgrade() -> None:
    # Only these rows have a four-letter term: longer terms' rows are left alone.
    op.get_bind().execute(text("DELETE FROM search_vocab WHERE length(term) = :n"), {"n": SHORT_LENGTH})
