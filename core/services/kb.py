"""Knowledge-base articles: import a folder of Markdown (re-import updates in place), read, search, delete.

Every write keeps the search index current in the same transaction and records an audit entry.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlmodel import col, select

from hotline.core.errors import InvalidInput, NotFound
from hotline.core.kb import index
from hotline.core.kb.index import SearchResult
from hotline.core.kb.markdown import MAX_SLUG_CHARS, ArticleSource, parse_article
from hotline.core.kb.render import IndexedDocument
from hotline.core.models import KbArticle
from hotline.core.services.audit import record_audit
from hotline.core.text import checked_text, printable

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

MARKDOWN_SUFFIXES = (".md", ".markdown")
MAX_ARTICLE_BYTES = 2 * 1024 * 1024
KB_IMPORT_LOCK = 0x6B62696D  # "kbim": the advisory lock imports take one at a time (PostgreSQL)


@dataclass
class ImportReport:
    """What an import did, by slug."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """``file: reason`` of the files left out (with ``skip_invalid``)."""
    removed: list[str] = field(default_factory=list)
    """Articles whose file is gone from the folder (renamed or deleted): the folder is the truth."""
    kept: list[str] = field(default_factory=list)
    """Articles whose file is gone, kept because files were skipped (one of them may be theirs)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "removed": self.removed,
            "kept": self.kept,
        }


def _audit_view(article: KbArticle) -> dict[str, Any]:
    """The audited state: the fields, and the body by size (the file holds the text)."""
    return {
        "slug": article.slug,
        "title": article.title,
        "tags": list(article.tags),
        "audience": article.audience,
        "body_chars": len(article.body),
    }


def save_article(
    uow: UnitOfWork,
    *,
    source: ArticleSource,
    slug: str,
    where: str | None = None,
    document: IndexedDocument | None = None,
) -> tuple[KbArticle, str]:
    """Create the article ``slug`` or update it in place; returns it and ``created|updated|unchanged``.
    ``where`` names its file in a refusal; ``document`` is its index entry when already built."""
    slug = unicodedata.normalize("NFC", slug.strip())
    if not slug or len(slug) > MAX_SLUG_CHARS:
        raise InvalidInput(f"an article needs a slug of 1 to {MAX_SLUG_CHARS} characters", where="slug")
    checked_text(source.title, what="a title", at_most=500, where=f"{slug}: title")
    now = uow.now()
    article = uow.session.exec(select(KbArticle).where(KbArticle.slug == slug)).first()
    fields = {
        "title": source.title,
        "body": source.body,
        "tags": list(source.tags),
        "audience": source.audience.value,
    }
    if article is not None and all(getattr(article, key) == value for key, value in fields.items()):
        return article, "unchanged"
    if document is None:
        document = index.checked_document(
            title=source.title, tags=source.tags, body=source.body, where=where or slug
        )
    if article is None:
        article = KbArticle(slug=slug, **fields, updated_by=uow.actor_name, created_at=now, updated_at=now)
        uow.session.add(article)
        uow.session.flush()
        record_audit(
            uow, action="kb.create", entity="kb_article", entity_id=article.id, after=_audit_view(article)
        )
        change = "created"
    else:
        before = _audit_view(article)
        for key, value in fields.items():
            setattr(article, key, value)
        article.updated_by = uow.actor_name
        article.updated_at = now
        uow.session.add(article)
        uow.session.flush()
        record_audit(
            uow,
            action="kb.update",
            entity="kb_article",
            entity_id=article.id,
            before=before,
            after=_audit_view(article),
        )
        change = "updated"
    index.index_articles(uow.session, [article], documents=[document])
    return article, change


@dataclass(frozen=True, slots=True)
class ArticleFile:
    """A Markdown file read, checked and indexed in memory: what ``import_folder`` writes."""

    relative: Path
    slug: str
    source: ArticleSource
    document: IndexedDocument


@dataclass
class FolderRead:
    """The articles of a folder, and the bad files left out (``skip_invalid``)."""

    folder: Path
    files: list[ArticleFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def read_folder(folder: Path, *, skip_invalid: bool = False) -> FolderRead:
    """Read, check and index every Markdown file under ``folder`` without the database: the writing
    transaction then holds the lock only for the writes (it held it while 3,000 files were read and
    stemmed, 90 s in which every console's save failed with "database is locked").

    A bad file is ``InvalidInput`` naming its file, line and field, unless ``skip_invalid``: then it is
    listed in ``skipped``. Call it after the permission check (``uow.authorize("kb.import")``).
    """
    if not folder.is_dir():
        raise InvalidInput("not a folder", where=str(folder))
    read = FolderRead(folder=folder)
    seen: dict[str, Path] = {}
    """By the slug as a reader sees it: ``Café`` and ``café``, a composed é and a combining one, are one."""
    root = folder.resolve()
    paths, unreadable = _markdown_files(folder)
    for error in unreadable:
        if not skip_invalid:
            raise error
        read.skipped.append(str(error))
    for path in paths:
        relative = path.relative_to(folder)
        where = f"{relative}:1"
        try:
            source = _read(path, relative, root)
            slug = unicodedata.normalize("NFC", source.slug or relative.with_suffix("").as_posix())
            # A file's name makes its slug: one with a newline or an escape in it was stored so.
            checked_text(slug, what="a slug", at_most=MAX_SLUG_CHARS, where=f"{where}: slug")
            if slug.casefold() in seen:
                raise InvalidInput(
                    f"slug {slug!r} is also used by {seen[slug.casefold()]}"
                    " (differing only in case or in how an accent is typed, they are one name)",
                    where=f"{where}: slug",
                )
            document = index.checked_document(
                title=source.title, tags=source.tags, body=source.body, where=where
            )
        except InvalidInput as error:
            if not skip_invalid:
                raise
            read.skipped.append(str(error))
            continue
        seen[slug.casefold()] = relative
        read.files.append(ArticleFile(relative=relative, slug=slug, source=source, document=document))
    if not read.files and not read.skipped:
        # The folder is the truth: a wrong folder, with no article in it, would remove every article.
        raise InvalidInput("no .md or .markdown file under it: nothing to import", where=str(folder))
    return read


def import_folder(
    uow: UnitOfWork, *, folder: Path, skip_invalid: bool = False, read: FolderRead | None = None
) -> ImportReport:
    """Import every Markdown file under ``folder``; the slug is the front matter's or the file's path.
    The folder is the truth: an article whose file is gone (renamed, or deleted) is removed, unless files
    were skipped (one may be its file): then it is kept, and listed as kept.

    A bad file is ``InvalidInput`` naming its file, line and field, and nothing is imported, unless
    ``skip_invalid``: then it is listed in ``skipped`` and the rest goes in. ``read`` is the folder as
    ``read_folder`` read it before this unit of work took the write lock.
    """
    uow.authorize("kb.import", entity="kb", entity_id=folder)
    if read is None:
        read = read_folder(folder, skip_invalid=skip_invalid)
    if uow.session.get_bind().dialect.name == "postgresql":
        # One import at a time, held to the commit (SQLite's BEGIN IMMEDIATE queues them already): two at
        # once both found an article missing, and the second failed on the unique slug ("duplicate key").
        uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": KB_IMPORT_LOCK})
    report = ImportReport(skipped=list(read.skipped))
    for item in read.files:
        where = f"{item.relative}:1"
        _article, change = save_article(
            uow, source=item.source, slug=item.slug, where=where, document=item.document
        )
        getattr(report, change).append(item.slug)
    _remove_missing(uow, report, {item.slug for item in read.files})
    record_audit(
        uow, action="kb.import", entity="kb_article", after={"folder": str(folder), **report.as_dict()}
    )
    return report


def _markdown_files(folder: Path) -> tuple[list[Path], list[InvalidInput]]:
    """The Markdown files under ``folder``, sorted (links to folders not followed), and the folders that
    could not be read: ``rglob`` passed over those without a word, and their articles went missing."""
    unreadable: list[InvalidInput] = []
    paths: list[Path] = []
    waiting = [folder]  # a stack, not recursion: a file 1,200 folders down was a RecursionError
    while waiting:
        top = waiting.pop()
        try:
            with os.scandir(top) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        waiting.append(Path(entry.path))
                    elif Path(entry.name).suffix.lower() in MARKDOWN_SUFFIXES:
                        paths.append(Path(entry.path))
        except OSError as error:
            where = top.relative_to(folder) if top.is_relative_to(folder) else top
            reason = f"cannot read this folder: {error.strerror or error}"
            unreadable.append(InvalidInput(reason, where=str(where)))
    unreadable.sort(key=lambda error: error.where or "")
    return sorted(path for path in paths if not path.is_dir()), unreadable


def _remove_missing(uow: UnitOfWork, report: ImportReport, present: set[str]) -> None:
    """Remove (or, with files skipped, keep and list) the articles whose slug no file in the folder has."""
    rows = uow.session.exec(select(KbArticle.id, KbArticle.slug).order_by(col(KbArticle.slug))).all()
    missing = [(article_id, slug) for article_id, slug in rows if slug not in present]
    if report.skipped:
        report.kept = [slug for _, slug in missing]
        return
    for article_id, _slug in missing:
        article = uow.session.get(KbArticle, article_id)
        if article is None:
            continue
        before = _audit_view(article)
        index.remove_from_index(uow.session, [article.id or 0])
        uow.session.delete(article)
        record_audit(uow, action="kb.delete", entity="kb_article", entity_id=article.id, before=before)
        report.removed.append(article.slug)
    uow.session.flush()


def _read(path: Path, relative: Path, root: Path) -> ArticleSource:
    where = f"{relative}:1"
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:  # a dangling link: it was left out without a word
        raise InvalidInput("a link to nothing (its target does not exist)", where=where) from None
    except (OSError, RuntimeError):  # links that lead to each other (Python 3.11 says RuntimeError)
        raise InvalidInput("a loop of links, leading to no file", where=where) from None
    if not target.is_relative_to(root):
        # Followed, a link to /etc/passwd (or /proc/self/environ) became an article every operator reads.
        raise InvalidInput(f"a link to a file outside the folder ({target})", where=where)
    if not target.is_file():  # a named pipe or a device: left out without a word, or read for ever
        raise InvalidInput("not a regular file", where=where)
    try:
        if target.stat().st_size > MAX_ARTICLE_BYTES:
            raise InvalidInput(f"larger than {MAX_ARTICLE_BYTES // 1024 // 1024} MiB", where=where)
        raw = target.read_bytes()
    except OSError as error:  # "Input/output error", exit 1, naming no file
        raise InvalidInput(f"cannot read it: {error.strerror or error}", where=where) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InvalidInput("not UTF-8 text", where=f"{relative}:{line}") from None
    if not text.strip():  # "created" an article named after the file, with nothing in it
        raise InvalidInput("the file is empty", where=f"{relative}:1")
    if "\x00" in text:  # PostgreSQL refuses NUL in text: one bad file failed the whole import there
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InvalidInput(
            "a binary file (it contains NUL bytes), not Markdown text", where=f"{relative}:{line}"
        )
    return parse_article(text, source=str(relative), fallback_title=path.stem)


def get_article(
    uow: UnitOfWork, *, article_id: int | None = None, slug: str | None = None, audience: str | None = None
) -> KbArticle:
    """An article by id or slug; a missing one is ``NotFound``. With ``audience`` (``public``: what goes
    into a reply to a client) an article for another audience, made internal since it was listed, is
    ``InvalidInput``."""
    article = None
    if article_id is not None:
        article = uow.session.get(KbArticle, article_id)
    elif slug is not None and not any("\ud800" <= char <= "\udfff" for char in slug):
        # (no stored slug holds a lone surrogate, a shell's undecodable byte: such a slug could not even be
        # sent to the database, and was a UnicodeEncodeError)
        # Stored composed (NFC): a combining accent typed at a shell finds it too.
        slug = unicodedata.normalize("NFC", slug)
        article = uow.session.exec(select(KbArticle).where(KbArticle.slug == slug)).first()
    if article is None:
        raise NotFound(f"no knowledge-base article {article_id if article_id is not None else slug!r}")
    if audience is not None and article.audience != audience:
        title = printable(article.title)
        raise InvalidInput(
            f"the article {title!r} is {article.audience} now (only {audience} ones may go here)"
        )
    return article


def search_articles(
    uow: UnitOfWork, *, query: str, limit: int = index.DEFAULT_LIMIT, audience: str | None = None
) -> SearchResult:
    """Ranked articles for a query with highlighted snippets; a bad query gives a hint, never an error."""
    return index.search(uow.session, query, limit=limit, audience=audience)


def delete_article(uow: UnitOfWork, *, article_id: int) -> None:
    """Delete an article and its index row."""
    uow.authorize("kb.delete", entity="kb_article", entity_id=article_id)
    article = get_article(uow, article_id=article_id)
    before = _audit_view(article)
    index.remove_from_index(uow.session, [article_id])
    uow.session.delete(article)
    record_audit(uow, action="kb.delete", entity="kb_article", entity_id=article_id, before=before)


def reindex_articles(
    uow: UnitOfWork, *, prepared: dict[int, tuple[bytes, IndexedDocument]] | None = None
) -> int:
    """Rebuild the search index from the articles (after a bulk load that bypassed the services).
    ``prepared``: documents ``index.prepare_documents`` built before this unit of work took the write
    lock (stemming 3,000 articles inside it held SQLite's lock 5 s longer)."""
    uow.authorize("kb.reindex", entity="kb_article")
    count = index.rebuild_index(uow.session, prepared)
    record_audit(uow, action="kb.reindex", entity="kb_article", after={"articles": count})
    return count
