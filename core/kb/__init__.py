"""The knowledge base: Markdown articles, a forgiving query language, stemmed full-text search."""
