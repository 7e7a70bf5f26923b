"""Instant lookup: one query box that finds a client or a ticket by phone, name, email, company or number.

``lookup(session, query)`` classifies what was typed, fetches candidates from the database's own indexes
(B-trees on words and digits, SQLite FTS5 trigram / PostgreSQL pg_trgm for fragments) and ranks them in
Python. ``rebuild_index`` and ``reindex_clients`` keep the index tables in step with the clients.
"""

from hotline.core.search.engine import Hit, lookup
from hotline.core.search.index import rebuild_index, reindex_clients

__all__ = ["Hit", "lookup", "rebuild_index", "reindex_clients"]
