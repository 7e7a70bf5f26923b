"""The knowledge-base panel: type to search (ranked, with highlighted snippets), read the highlighted
article rendered as Markdown beside the results, Esc to close. Opened to insert (ctrl+k in a text field)
Enter inserts the article (returned to the caller); opened for reading (F6) Enter opens it in the reader,
a full-size view of the article. ctrl+o opens the reader either way; F1 lists the keys and the syntax.

Searching and reading run in thread workers; a result older than the newest keystroke is discarded.
A key that acts on the results (Enter, ctrl+s, ctrl+o, ↑↓) typed before the newest query's results are
shown waits for them, and holds the keys typed after it (``KeysHeld``): typed at once, the search and Enter
found nothing yet, said so, and the keys after Enter were lost.
A bad query shows its one-line hint, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import KeysHeld, forward_worker_failure
from hotline.tui.widgets.one_line_input import OneLineInput

if TYPE_CHECKING:
    from collections.abc import Callable

    from hotline.core.kb.index import SearchHit, SearchResult
    from hotline.core.kb.snippets import Highlighted
    from hotline.tui.context import ConsoleContext

SCOPE = "kb_search"
RESULTS_LIMIT = 30
HIGHLIGHT = "bold reverse"

READER_SCOPE = "kb_reader"

register(
    Command(
        id="kb_search.insert",
        key="ctrl+s",
        title="kb: insert the article",
        help="Close the panel and insert the highlighted article (Enter in the search box does it too).",
        action="choose",
        scope=SCOPE,
        label="Insert",
        priority=True,
    ),
    Command(
        id="kb_search.read",
        key="ctrl+o",
        title="kb: read the article",
        help="Open the highlighted article in the reader (Enter does it when the panel is only for reading).",
        action="read",
        scope=SCOPE,
        label="Read",
        priority=True,
    ),
    Command(
        id="kb_search.next",
        key="down",
        title="kb: next article",
        help="Highlight the next article.",
        action="move(1)",
        scope=SCOPE,
        show=False,
        in_palette=False,
    ),
    Command(
        id="kb_search.previous",
        key="up",
        title="kb: previous article",
        help="Highlight the previous article.",
        action="move(-1)",
        scope=SCOPE,
        show=False,
        in_palette=False,
    ),
    Command(
        id="kb_search.help",
        key="f1",
        title="kb: help",
        help="The keys of the knowledge base and how to write a query.",
        action="help",
        scope=SCOPE,
        label="Help",
        in_palette=False,
    ),
    Command(
        id="kb_search.close",
        key="escape",
        title="kb: close",
        help="Close the knowledge base without inserting anything.",
        action="close",
        scope=SCOPE,
        label="Close",
        in_palette=False,
    ),
    Command(
        id="kb_reader.insert",
        key="ctrl+s",
        title="kb reader: insert the article",
        help="Insert this article into the text being written (when the panel was opened with ctrl+k).",
        action="insert",
        scope=READER_SCOPE,
        label="Insert",
        priority=True,
    ),
    Command(
        id="kb_reader.help",
        key="f1",
        title="kb reader: help",
        help="The keys of the reader.",
        action="help",
        scope=READER_SCOPE,
        label="Help",
        in_palette=False,
    ),
    Command(
        id="kb_reader.back",
        key="escape",
        title="kb reader: back",
        help="Back to the search results.",
        action="back",
        scope=READER_SCOPE,
        label="Back",
        in_palette=False,
    ),
)

QUERY_SYNTAX = (
    "Type words to find the articles that have them all, best first; a word matches its other forms.\n"
    '"two words" finds the phrase; OR finds either word; NOT leaves out articles with a word; print* '
    "finds every word starting with print.\n"
    "The highlighted article shows beside the results. ↑↓ move through the results, PgUp/PgDn scroll "
    "the reader."
)


@dataclass(frozen=True)
class KbChoice:
    """The article chosen for insertion: its Markdown ``body`` is what the caller inserts."""

    article_id: int
    slug: str
    title: str
    body: str
    audience: str


@dataclass
class KbResultsFound(Message):
    """A search worker finished generation ``generation`` of the query box."""

    generation: int
    result: SearchResult


@dataclass
class KbArticleRead(Message):
    """The article to show beside the results was read."""

    choice: KbChoice


def styled(highlighted: Highlighted, *, style: str = "") -> Text:
    """Highlighted text as a ``Text`` (never markup); the matched words in ``HIGHLIGHT``."""
    text = Text(highlighted.text, style=style)
    for start, end in highlighted.spans:
        text.stylize(HIGHLIGHT, start, end)
    return text


def hit_prompt(hit: SearchHit) -> Text:
    """Two lines per article: the title (and ``internal`` when it may not go to clients), the snippet."""
    prompt = styled(hit.title, style="bold")
    if hit.audience != "public":
        prompt.append("  internal", style="dim italic")
    prompt.append("\n")
    prompt.append_text(styled(hit.snippet, style="dim"))
    return prompt


class KbSearchScreen(ModalScreen[KbChoice | None]):
    """Returns the chosen article, or None when closed. ``audience="public"`` lists only articles that
    may be sent to clients (for replies); ``insert=False``: opened for reading, Enter opens the reader
    and nothing is returned."""

    COMMAND_SCOPE = SCOPE
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for(SCOPE)

    def __init__(
        self, ctx: ConsoleContext, *, query: str = "", audience: str | None = None, insert: bool = True
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.insert = insert
        self.initial_query = query
        self.audience = audience
        self.generation = 0
        """Bumped on every change of the query; only the newest generation's results are shown."""
        self.hits: list[SearchHit] = []
        self.shown: KbChoice | None = None
        self._shown_generation = 0
        self._search_worker: Worker[None] | None = None
        self._when_shown: list[Callable[[], object]] = []
        """What the keys typed before the newest results asked (run in order once they are shown)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="kb-panel") as panel:
            panel.border_title = "Knowledge base"
            panel.border_subtitle = (
                "Enter insert · ^o read · ↑↓ choose · F1 help · Esc close"
                if self.insert
                else "Enter read · ↑↓ choose · F1 help · Esc close"
            )
            yield OneLineInput(
                what="the search",
                value=self.initial_query,
                placeholder='words, "phrase", AND / OR / NOT, prefix*',
                id="kb-query",
                compact=True,
            )
            yield Static("", id="kb-hint", markup=False)
            with Horizontal(id="kb-body"):
                yield OptionList(id="kb-results")
                with VerticalScroll(id="kb-article-scroll"):
                    yield ArticleMarkdown("", id="kb-article")

    def on_mount(self) -> None:
        self.query_one("#kb-results", OptionList).can_focus = False
        self.query_one("#kb-query", Input).focus()
        if self.initial_query:
            self._start_search(self.initial_query)

    # -- searching ----------------------------------------------------------------------------------

    @on(Input.Changed, "#kb-query")
    def _query_changed(self, event: Input.Changed) -> None:
        self._start_search(event.value)

    def _start_search(self, query: str) -> None:
        self.generation += 1
        if not query.strip():
            self._show(KbResultsFound(self.generation, _empty_result()))
            return
        self._search_worker = self._search(query, self.generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-search")
    def _search(self, query: str, generation: int) -> None:
        from hotline.core.services.kb import search_articles

        with self.ctx.uow(readonly=True) as uow:
            result = search_articles(uow, query=query, limit=RESULTS_LIMIT + 1, audience=self.audience)
        self.post_message(KbResultsFound(generation, result))

    def on_kb_results_found(self, message: KbResultsFound) -> None:
        message.stop()
        self._show(message)

    def _show(self, message: KbResultsFound) -> None:
        if message.generation != self.generation:
            return  # a stale answer to an older query
        self._shown_generation = message.generation
        result = message.result
        self.hits = list(result.hits[:RESULTS_LIMIT])  # one more is asked for: whether there are more
        hint = self.query_one("#kb-hint", Static)
        if result.hint:
            hint.update(Text(printable(result.hint), style="italic"))
        elif result.query.strip() and not self.hits:
            hint.update(Text("No articles found.", style="italic"))
        elif len(result.hits) > RESULTS_LIMIT:
            hint.update(
                Text(f"the best {articles_count(RESULTS_LIMIT)}; more match: add a word", style="dim")
            )
        else:
            hint.update(Text(articles_count(len(self.hits)) if self.hits else "", style="dim"))
        options = self.query_one("#kb-results", OptionList)
        options.clear_options()
        options.add_options([Option(hit_prompt(hit), id=str(hit.article_id)) for hit in self.hits])
        if self.hits:
            options.highlighted = 0
        else:
            self._show_article(None)
        self._run_when_shown()

    def keys_await(self) -> bool:
        """The newest query's results are not shown yet (the type-ahead valve waits for them)."""
        return self._shown_generation != self.generation

    def _once_shown(self, action: Callable[[], object]) -> None:
        """Run ``action`` (a key acting on the results) now, or once the newest results are shown,
        holding the keys typed after it meanwhile."""
        if not self._when_shown and not self.keys_await():
            action()
            return
        if not self._when_shown:
            self.post_message(KeysHeld(self, True))
        self._when_shown.append(action)

    def _run_when_shown(self) -> None:
        waiting, self._when_shown = self._when_shown, []
        if waiting:
            self.post_message(KeysHeld(self, False))
        for action in waiting:
            if self.is_attached and self.app.screen is self:
                action()

    # -- reading ------------------------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#kb-results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_id is not None:
            self._read(int(event.option_id))

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-article")
    def _read(self, article_id: int) -> None:
        self.post_message(KbArticleRead(read_choice(self.ctx, article_id)))

    def on_kb_article_read(self, message: KbArticleRead) -> None:
        message.stop()
        current = self._current_hit()
        if current is not None and current.article_id == message.choice.article_id:
            self._show_article(message.choice)

    def _show_article(self, choice: KbChoice | None) -> None:
        self.shown = choice
        view = self.query_one("#kb-article", Markdown)
        if choice is None:
            view.update("")
            return
        view.update(article_markdown(choice))
        self.query_one("#kb-article-scroll", VerticalScroll).scroll_home(animate=False)

    def _current_hit(self) -> SearchHit | None:
        index = self.query_one("#kb-results", OptionList).highlighted
        if index is None or not 0 <= index < len(self.hits):
            return None
        return self.hits[index]

    # -- actions ------------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        self._once_shown(lambda: self._move(step))

    def _move(self, step: int) -> None:
        options = self.query_one("#kb-results", OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    @on(Input.Submitted, "#kb-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.insert:
            self.action_choose()
        else:
            self.action_read()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and not self.insert:
            return None  # opened for reading: there is nothing to insert into
        return True

    def action_choose(self) -> None:
        self._once_shown(lambda: self._with_current("insert", self._insert))

    def _insert(self, choice: KbChoice) -> None:
        """Return ``choice`` to be inserted; for a reply, as it is now: the one shown (or opened in the
        reader) may have been made internal meanwhile, and went to the client."""
        if self.audience is None:
            self.dismiss(choice)
        else:
            self._read_then(choice.article_id, choice.title, self.dismiss)

    def action_read(self) -> None:
        self._once_shown(lambda: self._with_current("read", self._open_reader))

    def action_help(self) -> None:
        from hotline.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(SCOPE, title="Knowledge base", about=QUERY_SYNTAX))

    def _with_current(self, verb: str, then: Callable[[KbChoice], object]) -> None:
        """Run ``then`` with the highlighted article, read first when the one shown is another."""
        current = self._current_hit()
        if current is None:
            self.notify(
                f"Nothing to {verb}: search for an article first.",
                severity="warning",
                timeout=3,
                markup=False,
            )
            return
        if self.shown is not None and self.shown.article_id == current.article_id:
            then(self.shown)
        else:
            self._read_then(current.article_id, current.title.text, then)

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-choose")
    def _read_then(self, article_id: int, title: str, then: Callable[[KbChoice], object]) -> None:
        from hotline.core.errors import InvalidInput, NotFound

        try:
            choice = read_choice(self.ctx, article_id, audience=self.audience)
        except NotFound:  # an import removed it (its file renamed): "no knowledge-base article 7" said less
            gone = f"The article {printable(title)!r} is no longer in the knowledge base"
            self.app.call_from_thread(
                self.notify,
                f"{gone} (removed since it was listed): search again.",
                severity="warning",
                timeout=6,
                markup=False,
            )
            return
        except InvalidInput as refused:
            self.app.call_from_thread(self._refused, refused.message)
            return
        self.app.call_from_thread(then, choice)

    def _refused(self, reason: str) -> None:
        self.notify(f"Not inserted: {reason}.", severity="warning", timeout=6, markup=False)

    def _open_reader(self, choice: KbChoice) -> None:
        def back(chosen: KbChoice | None) -> None:
            if chosen is not None:
                self._insert(chosen)
            else:
                self.query_one("#kb-query", Input).focus()

        self.app.push_screen(KbReaderScreen(choice, can_insert=self.insert), back)

    def action_close(self) -> None:
        self.dismiss(None)

    def on_worker_state_changed(self, event: Worker[Any].StateChanged) -> None:
        if (
            event.worker is self._search_worker
            and event.worker.group == "kb-search"
            and event.state in (WorkerState.ERROR, WorkerState.CANCELLED)
        ):
            # the newest search failed: its results never come; the keys waiting for them act on
            # what is shown (the failure is said) rather than wait for ever
            self._shown_generation = self.generation
            self._run_when_shown()
        forward_worker_failure(self, event)


OPENED_SCHEMES = ("http", "https", "mailto")


class ArticleMarkdown(Markdown):
    """An article's Markdown whose clicked links open only on the web or in mail: a file's text made
    ``[Reset](file:///etc/shadow)``, ``ssh://`` or ``other.md`` open with whatever the desktop had for it."""

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        from urllib.parse import urlsplit

        event.stop()
        event.prevent_default()  # Markdown's own handler opened every link
        scheme = urlsplit(event.href.strip()).scheme.lower()
        if scheme in OPENED_SCHEMES:
            self.app.open_url(event.href.strip())
            return
        self.notify(
            f"Not opened: only web and mail links open, not {printable(event.href)[:100]!r}.",
            severity="warning",
            timeout=6,
            markup=False,
        )


def _markdown_text(text: str) -> str:
    """A title as literal Markdown text (its own ``*``, ``#``, ``[`` do not format)."""
    return "".join("\\" + char if char in "\\`*_{}[]()#+-.!<>|~" else char for char in text)


def article_markdown(choice: KbChoice) -> str:
    """The article as the panel and the reader show it: its title as a heading, then its body."""
    return f"# {_markdown_text(printable(choice.title))}\n\n{choice.body}"


def articles_count(count: int) -> str:
    """``1 article``, ``2 articles``."""
    return f"{count} article" if count == 1 else f"{count} articles"


def read_choice(ctx: ConsoleContext, article_id: int, *, audience: str | None = None) -> KbChoice:
    """Read one article (in a worker thread); its body made printable, never interpreted. ``audience``:
    refused (``InvalidInput``) when the article is for another one now."""
    from hotline.core.services.kb import get_article

    with ctx.uow(readonly=True) as uow:
        article = get_article(uow, article_id=article_id, audience=audience)
        return KbChoice(
            article_id=article_id,
            slug=article.slug,
            title=article.title,
            body=printable(article.body, multiline=True),
            audience=article.audience,
        )


def _empty_result() -> SearchResult:
    from hotline.core.kb.index import SearchResult

    return SearchResult("", [], None)


class KbReaderScreen(ModalScreen[KbChoice | None]):
    """One article at full size for reading; returns it when inserted (``can_insert``), else None."""

    COMMAND_SCOPE = READER_SCOPE
    CSS_PATH = Path(__file__).with_name("kb_search.tcss")
    BINDINGS: ClassVar = bindings_for(READER_SCOPE)

    def __init__(self, choice: KbChoice, *, can_insert: bool) -> None:
        super().__init__()
        self.choice = choice
        self.can_insert = can_insert

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="kb-reader") as reader:
            reader.border_title = Text(printable(self.choice.title)[:80])  # an article's title: never markup
            reader.border_subtitle = (
                "^s insert · ↑↓ PgUp PgDn scroll · F1 help · Esc back"
                if self.can_insert
                else "↑↓ PgUp PgDn scroll · F1 help · Esc back"
            )
            if self.choice.audience != "public":
                yield Static(Text("internal: not for clients", style="dim italic"), id="kb-reader-audience")
            yield ArticleMarkdown(article_markdown(self.choice), id="kb-reader-article")

    def on_mount(self) -> None:
        self.query_one("#kb-reader", VerticalScroll).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "insert" and not self.can_insert:
            return None
        return True

    def action_insert(self) -> None:
        self.dismiss(self.choice)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        from hotline.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(READER_SCOPE, title="Knowledge base: reader"))


def open_kb_search(app: Any, ctx: ConsoleContext, *, query: str = "") -> None:
    """Show the panel for reading (from anywhere): Enter opens an article in the reader, nothing is
    inserted."""
    if not isinstance(app.screen, KbSearchScreen | KbReaderScreen):
        app.push_screen(KbSearchScreen(ctx, query=query, insert=False))
