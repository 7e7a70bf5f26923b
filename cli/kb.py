"""``hotline kb``: import a folder of Markdown articles, search them, show one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hotline.cli.options import MAX_ID, JsonFlag
from hotline.cli.output import info, print_json, stdout

if TYPE_CHECKING:
    from rich.text import Text

    from hotline.core.db import UnitOfWork
    from hotline.core.kb.index import SearchHit
    from hotline.core.kb.snippets import Highlighted
    from hotline.core.models import KbArticle

app = typer.Typer(help="The knowledge base: import, search and show articles.", no_args_is_help=True)

HIGHLIGHT_STYLE = "bold yellow"


@app.command("import")
def import_(
    folder: Annotated[
        str, typer.Argument(help="Folder of Markdown files (front matter: title, tags, audience).")
    ],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Leave bad files out instead of importing nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import (or re-import, updating in place) every Markdown file under FOLDER."""
    from hotline.cli.state import cli_state
    from hotline.core.errors import InvalidInput
    from hotline.core.services.kb import import_folder, read_folder

    state = cli_state()
    state.authorize("kb.import", entity="kb", entity_id=folder)
    if not folder.strip():
        # Read as a path, a blank FOLDER (an unset shell variable) was "." and imported every Markdown
        # file under the current folder. Refused after the permission check, as every bad input is.
        raise InvalidInput("a blank folder; name the folder of articles", where="FOLDER")
    # Read and stemmed before the write lock is taken: only the writes hold it.
    read = read_folder(Path(folder), skip_invalid=skip_invalid)
    with state.uow() as uow:
        report = import_folder(uow, folder=Path(folder), skip_invalid=skip_invalid, read=read)
    if as_json:
        print_json(report.as_dict())
        return
    for line in report.skipped:
        info(f"skipped {line}")
    for slug in report.removed:
        info(f"removed {slug}: its file is gone from the folder")
    for slug in report.kept:
        info(f"kept {slug}: its file is gone, but files were skipped (one may be its file)")
    info(
        f"{len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged,"
        f" {len(report.skipped)} skipped, {len(report.removed)} removed"
        + (f", {len(report.kept)} kept" if report.kept else "")
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words, "phrases", AND / OR / NOT, (parentheses), prefix*.')],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=200, help="How many articles at most.")
    ] = 20,
    audience: Annotated[
        str | None, typer.Option("--audience", help="Only 'internal' or only 'public' articles.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Search the articles, best first, with highlighted snippets; a bad query gives a hint, not an error."""
    from hotline.cli.state import cli_state
    from hotline.core.errors import InvalidInput
    from hotline.core.services.kb import search_articles

    if audience is not None and audience not in ("internal", "public"):
        raise InvalidInput("use internal or public", where="--audience")
    if not query.strip():  # "no articles found" (exit 0) for a search that never asked anything
        raise InvalidInput("nothing to search for: give words", where="QUERY")
    with cli_state().uow(readonly=True) as uow:
        result = search_articles(uow, query=query, limit=limit, audience=audience)
    if result.hint:
        info(f"hint: {result.hint}")
    if as_json:
        print_json([_hit_json(hit) for hit in result.hits])
        return
    if not result.hits:
        info("no articles found")
        return
    _print_hits(result.hits)


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "id": hit.article_id,
        "slug": hit.slug,
        "title": hit.title.text,
        "title_highlights": [list(span) for span in hit.title.spans],
        "snippet": hit.snippet.text,
        "snippet_highlights": [list(span) for span in hit.snippet.spans],
        "tags": list(hit.tags),
        "audience": hit.audience,
        "score": round(hit.score, 6),
        "updated_at": hit.updated_at,
    }


def _styled(highlighted: Highlighted) -> Text:
    """Highlights as styles on plain text (never markup); snippets and titles carry no control characters."""
    from rich.text import Text

    text = Text(highlighted.text)
    for start, end in highlighted.spans:
        text.stylize(HIGHLIGHT_STYLE, start, end)
    return text


def _print_hits(hits: list[SearchHit]) -> None:
    from rich.table import Table
    from rich.text import Text

    from hotline.core.text import printable

    table = Table(title="Knowledge base", title_justify="left", header_style="bold", show_lines=True)
    table.add_column("id", justify="right")
    table.add_column("article", ratio=1)
    for hit in hits:
        cell = _styled(hit.title)
        cell.stylize("bold")
        slug = printable(hit.slug)
        cell.append(Text(f"  {slug}" + (" · public" if hit.audience == "public" else ""), style="dim"))
        cell.append("\n")
        cell.append(_styled(hit.snippet))
        table.add_row(Text(str(hit.article_id)), cell)
    stdout().print(table)


@app.command()
def show(
    article: Annotated[str, typer.Argument(metavar="ARTICLE", help="The article's id or slug.")],
    raw: Annotated[bool, typer.Option("--raw", help="Print the Markdown as it is, not rendered.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show one article, rendered as Markdown."""
    from hotline.cli.state import cli_state
    from hotline.core.errors import InvalidInput
    from hotline.core.text import printable

    article = article.strip()  # slugs are stored without the spaces around them
    if not article:
        raise InvalidInput("a blank article: give its id or slug", where="ARTICLE")
    with cli_state().uow(readonly=True) as uow:
        found = _find(uow, article)
    if as_json:
        print_json(
            {
                "id": found.id,
                "slug": found.slug,
                "title": found.title,
                "tags": list(found.tags),
                "audience": found.audience,
                "body": found.body,
                "updated_by": found.updated_by,
                "updated_at": found.updated_at,
            }
        )
        return
    body = printable(found.body, multiline=True)
    if raw:
        stdout().out(body, highlight=False)
        return
    from rich.markdown import Markdown
    from rich.text import Text

    console = stdout()
    console.print(Text(printable(found.title), style="bold"))
    tags = ", ".join(printable(str(tag)) for tag in found.tags)
    console.print(Text(f"{printable(found.slug)} · {found.audience} · {tags}", style="dim"))
    console.print()
    console.print(Markdown(body))


def _find(uow: UnitOfWork, article: str) -> KbArticle:
    """The article by id or slug: ``2024.md``'s slug is ``2024``, found though it reads as an id; a number
    that is one article's id and another's slug is refused naming both."""
    from hotline.core.errors import InvalidInput, NotFound
    from hotline.core.services.kb import get_article
    from hotline.core.text import printable

    if not (article.isascii() and article.isdigit() and int(article) <= MAX_ID):
        return get_article(uow, slug=article)
    found = []
    for lookup in ({"article_id": int(article)}, {"slug": article}):
        try:
            found.append(get_article(uow, **lookup))
        except NotFound:
            continue
    if not found:
        raise NotFound(f"no knowledge-base article {article}")
    by_id, *by_slug = found
    if by_slug and by_slug[0].id != by_id.id:
        raise InvalidInput(
            f"{article!r} is the id of the article {printable(by_id.slug)!r} and the slug of the article"
            f" {by_slug[0].id}: give that one's slug or the other's id",
            where="ARTICLE",
        )
    return by_id


@app.command()
def reindex() -> None:
    """Rebuild the search index from the articles (after a bulk load that bypassed hotline)."""
    from hotline.cli.state import cli_state
    from hotline.core.kb.index import prepare_documents
    from hotline.core.services.kb import reindex_articles

    state = cli_state()
    state.authorize("kb.reindex", entity="kb_article")
    with state.uow(readonly=True) as uow:  # stemmed before the write lock is taken: only writes hold it
        prepared = prepare_documents(uow.session)
    with state.uow() as uow:
        count = reindex_articles(uow, prepared=prepared)
    info(f"{count} articles indexed")
